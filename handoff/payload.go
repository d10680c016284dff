package handoff

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/pii"
)

// Applicant is who applies. Personal fields are shown masked except to roles that need them.
type Applicant struct {
	Type     string `json:"type"` // person | organisation
	Name     string `json:"name"`
	IDType   string `json:"id_type"`
	IDNumber string `json:"id_number"`
	Phone    string `json:"phone"`
	Address  string `json:"address"`
	Postcode string `json:"postcode,omitempty"`
	Contact  string `json:"contact,omitempty"`
	LegalRep string `json:"legal_representative,omitempty"`
}

// MaterialLine is one checklist item as required and as received at intake.
type MaterialLine struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Originals int    `json:"originals"`
	Copies    int    `json:"copies"`
	Required  bool   `json:"required"`
	Waivable  bool   `json:"waivable,omitempty"`
	GotOrig   int    `json:"received_originals"`
	GotCopies int    `json:"received_copies"`
	Waived    bool   `json:"waived,omitempty"`
}

// ManifestLine is what went into the sealed parcel.
type ManifestLine struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Originals int    `json:"originals"`
	Copies    int    `json:"copies"`
}

// AttachmentData is an electronic copy travelling with the package, its content
// sealed for the deciding hall.
type AttachmentData struct {
	ID          string      `json:"id"`
	MaterialID  string      `json:"material_id,omitempty"`
	Name        string      `json:"name"`
	ContentType string      `json:"content_type"`
	Size        int64       `json:"size"`
	SHA256      string      `json:"sha256"`
	Sealed      *pii.Sealed `json:"sealed,omitempty"`
	data        []byte      // plaintext, never on the wire
	keyID       string      // data key at rest, never on the wire
}

// Package is the payload of case.dispatched: everything the deciding hall needs.
type Package struct {
	CaseNo         string           `json:"case_no"`
	Origin         string           `json:"origin"`
	Destination    string           `json:"destination"`
	MatterCode     string           `json:"matter_code"`
	MatterName     string           `json:"matter_name"`
	Department     string           `json:"department"`
	CaseType       int              `json:"case_type"`
	LegalLimit     int              `json:"legal_limit"`
	PromisedLimit  int              `json:"promised_limit"`
	LimitUnit      string           `json:"limit_unit"`
	Applicant      pii.Sealed       `json:"applicant_sealed"` // sealed for the deciding hall; aad = case id
	Materials      []MaterialLine   `json:"materials"`
	Missing        []string         `json:"missing"`
	CommitmentDate string           `json:"commitment_date,omitempty"`
	SealNo         string           `json:"seal_no"`
	Waybill        string           `json:"waybill,omitempty"`
	Manifest       []ManifestLine   `json:"manifest"`
	Clerk          string           `json:"clerk"`
	IntakeAt       time.Time        `json:"intake_at"`
	Attachments    []AttachmentData `json:"attachments"`
}

// Result is the decision of the deciding office.
type Result struct {
	Outcome      string `json:"outcome"` // granted | denied
	DocumentName string `json:"document_name"`
	DocumentNo   string `json:"document_no"`
	IssuingUnit  string `json:"issuing_unit,omitempty"`
	ValidUntil   string `json:"valid_until,omitempty"`
	Reason       string `json:"reason,omitempty"`
}

// Item is a line of a correction request, a supplement or a manifest check.
type Item struct {
	ID        string `json:"id,omitempty"`
	Name      string `json:"name"`
	Originals int    `json:"originals,omitempty"`
	Copies    int    `json:"copies,omitempty"`
	Note      string `json:"note,omitempty"`
}

// Mismatch is a manifest line that did not match at sign-for.
type Mismatch struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Expected string `json:"expected"`
	Found    string `json:"found"`
}

// Step is the payload of every message but case.dispatched; each type uses the fields
// its validation below requires.
type Step struct {
	Actor      string     `json:"actor"`
	Note       string     `json:"note,omitempty"`
	Reasons    []string   `json:"reasons,omitempty"`
	Items      []Item     `json:"items,omitempty"`
	Mismatches []Mismatch `json:"mismatches,omitempty"`
	Status     string     `json:"status,omitempty"`
	Waybill    string     `json:"waybill,omitempty"`
	Kind       string     `json:"kind,omitempty"`
	Result     *Result    `json:"result,omitempty"`
	Method     string     `json:"method,omitempty"`
	SignedBy   string     `json:"signed_by,omitempty"`
	NoticeNo   string     `json:"notice_no,omitempty"`
}

// Result dispatch methods and pause kinds.
var (
	resultMethods = map[string]bool{"post": true, "origin_window": true, "pickup": true}
	pauseKinds    = map[string]bool{"hearing": true, "testing": true, "inspection": true, "expert_review": true, "extension": true, "other": true}
)

// validate checks what a move's payload must carry. Both the API (before a local move)
// and the inbox (before applying a partner's) use it, so the two cannot disagree.
func (s *Step) validate(move string) error {
	if strings.TrimSpace(s.Actor) == "" {
		return fmt.Errorf("actor is required")
	}
	switch move {
	case TypeInTransit, TypeDelivered:
		if "parcel."+s.Status != move {
			return fmt.Errorf("status %q does not match %s", s.Status, move)
		}
	case TypeCorrectionRequested:
		if len(s.Items) == 0 {
			return fmt.Errorf("items: a correction request lists what is needed")
		}
	case TypeSupplementSent:
		if len(s.Items) == 0 {
			return fmt.Errorf("items: a supplement lists what was handed in")
		}
	case TypeRejected:
		if len(nonEmpty(s.Reasons)) == 0 {
			return fmt.Errorf("reasons: a refusal must give its reasons")
		}
	case TypePaused:
		if !pauseKinds[s.Kind] || strings.TrimSpace(s.Note) == "" {
			return fmt.Errorf("kind (hearing, testing, inspection, expert_review, extension, other) and note are required")
		}
	case TypeConcluded:
		r := s.Result
		if r == nil || (r.Outcome != "granted" && r.Outcome != "denied") {
			return fmt.Errorf("result.outcome must be granted or denied")
		}
		if r.Outcome == "granted" && (r.DocumentName == "" || r.DocumentNo == "") {
			return fmt.Errorf("result.document_name and result.document_no are required when granted")
		}
		if r.Outcome == "denied" && r.Reason == "" {
			return fmt.Errorf("result.reason is required when denied")
		}
	case TypeResultDispatched:
		if !resultMethods[s.Method] {
			return fmt.Errorf("method must be post, origin_window or pickup")
		}
		if s.Method == "post" && s.Waybill == "" {
			return fmt.Errorf("waybill is required when the result goes by post")
		}
	case TypeWithdrawn:
		if strings.TrimSpace(s.Note) == "" {
			return fmt.Errorf("note: a withdrawal records why")
		}
	}
	return nil
}

func (p *Package) validate() error {
	switch {
	case p.CaseNo == "" || p.Origin == "" || p.Destination == "" || p.MatterCode == "":
		return fmt.Errorf("case_no, origin, destination and matter_code are required")
	case p.SealNo == "":
		return fmt.Errorf("seal_no is required")
	case len(p.Materials) == 0 || len(p.Manifest) == 0:
		return fmt.Errorf("materials and manifest are required")
	case p.Applicant.Ciphertext == "" || p.Applicant.EphemeralPub == "":
		return fmt.Errorf("applicant_sealed is required")
	}
	return nil
}

func nonEmpty(ss []string) []string {
	var out []string
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return out
}

// decodeStrict decodes JSON refusing unknown fields and trailing data.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the JSON value")
	}
	return nil
}
