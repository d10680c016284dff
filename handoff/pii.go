package handoff

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tongban/tongban/internal/pii"
)

// sealedApplicant is an applicant as stored: the masked form for screens, the sealed
// full record, and the keyed hash of the ID number for exact search.
type sealedApplicant struct {
	masked []byte
	keyID  string
	sealed []byte
	idHash string
}

// sealApplicant prepares an applicant for storage. The record is bound to its row
// (aad = the case or notice id), so a sealed blob copied to another row will not open.
func (n *Node) sealApplicant(rowID uuid.UUID, a Applicant) (sealedApplicant, error) {
	full, err := json.Marshal(a)
	if err != nil {
		return sealedApplicant{}, err
	}
	keyID, ct, err := n.opt.Data.Seal(full, rowID[:])
	if err != nil {
		return sealedApplicant{}, fmt.Errorf("handoff: seal applicant: %w", err)
	}
	masked, _ := json.Marshal(a.masked())
	return sealedApplicant{masked: masked, keyID: keyID, sealed: ct, idHash: n.opt.Search.Hash("id:"+a.IDType, a.IDNumber)}, nil
}

func (n *Node) openApplicant(rowID uuid.UUID, keyID string, sealed []byte) (Applicant, error) {
	var a Applicant
	plain, err := n.opt.Data.Open(keyID, sealed, rowID[:])
	if err != nil {
		return a, fmt.Errorf("handoff: open applicant: %w", err)
	}
	return a, json.Unmarshal(plain, &a)
}

// caseApplicant reads and opens a case's full applicant record inside tx.
func (n *Node) caseApplicant(ctx context.Context, q pgx.Tx, id uuid.UUID) (Applicant, error) {
	var keyID string
	var sealed []byte
	if err := q.QueryRow(ctx, `SELECT applicant_key, applicant_sealed FROM cases WHERE id = $1`, id).Scan(&keyID, &sealed); err != nil {
		return Applicant{}, err
	}
	return n.openApplicant(id, keyID, sealed)
}

// sealAttachment seals a scan at rest, bound to its attachment id.
func (n *Node) sealAttachment(id uuid.UUID, data []byte) (string, []byte, error) {
	return n.opt.Data.Seal(data, id[:])
}

func (n *Node) openAttachment(id uuid.UUID, keyID string, data []byte) ([]byte, error) {
	if keyID == "" {
		return data, nil
	}
	return n.opt.Data.Open(keyID, data, id[:])
}

// sealFor seals plaintext for the partner hall, so Kafka's operators cannot read it.
func (n *Node) sealFor(partner string, plaintext, aad []byte) (pii.Sealed, error) {
	pub, ok := n.opt.SealKeys[partner]
	if !ok {
		return pii.Sealed{}, fmt.Errorf("%w: %s", ErrPartnerUnknown, partner)
	}
	return pii.SealFor(pub, plaintext, aad)
}

var errNoSealer = errors.New("handoff: this hall has no sealing key to open partner data")

// getApplicant shows a case's applicant unmasked to the staff who need it, and
// records in the audit log who looked.
func (n *Node) getApplicant(w http.ResponseWriter, r *http.Request) error {
	c, err := n.loadCase(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	var a Applicant
	err = pgx.BeginFunc(r.Context(), n.opt.DB, func(tx pgx.Tx) error {
		var err error
		if a, err = n.caseApplicant(r.Context(), tx, c.ID); err != nil {
			return err
		}
		return n.audit(r.Context(), tx, r, "view_unmasked", c.CaseNo, "ok", map[string]any{"case_id": c.ID})
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a)
}
