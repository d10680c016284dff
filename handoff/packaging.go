package handoff

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// allowedTypes are the electronic copies a window may attach. The declared type must
// agree with what the bytes are, so a renamed executable is not accepted as a PDF.
var allowedTypes = map[string]bool{"application/pdf": true, "image/jpeg": true, "image/png": true}

// DetectAttachmentType returns the type of an uploaded file from its first bytes.
func DetectAttachmentType(data []byte) string {
	t := http.DetectContentType(data)
	if i := strings.IndexByte(t, ';'); i >= 0 {
		t = t[:i]
	}
	return t
}

// Attachment describes a stored electronic copy.
type Attachment struct {
	ID          uuid.UUID `json:"id"`
	MaterialID  string    `json:"material_id,omitempty"`
	Name        string    `json:"name"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	CreatedAt   time.Time `json:"created_at"`
}

// postAttachment stores an uploaded file (raw body; name and material_id in the query)
// on a case the origin window has not dispatched yet.
func (n *Node) postAttachment(w http.ResponseWriter, r *http.Request) error {
	data, err := io.ReadAll(io.LimitReader(r.Body, n.opt.MaxAttachment+1))
	if err != nil {
		return errTooLarge
	}
	a, err := n.Attach(r.Context(), r.PathValue("id"), actor(r), r.URL.Query().Get("name"), r.URL.Query().Get("material_id"),
		r.Header.Get("Content-Type"), data)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, a)
}

// Attach stores an electronic copy of a material on a case the origin window has not
// dispatched yet: sealed at rest, with its SHA-256, within the size limit, and only
// when its bytes are the PDF, JPEG or PNG they claim to be. The same file twice is
// stored once. The API and the console share it.
func (n *Node) Attach(ctx context.Context, ref, who, name, materialID, declaredType string, data []byte) (Attachment, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 120 || strings.ContainsAny(name, "/\\") {
		return Attachment{}, fieldErr("name", "请填写文件名（不含路径，不超过 120 字）", "a file name without path, at most 120 characters")
	}
	if int64(len(data)) > n.opt.MaxAttachment {
		return Attachment{}, fieldErr("body", fmt.Sprintf("文件超过 %d KB 上限", n.opt.MaxAttachment>>10), fmt.Sprintf("file larger than the %d KiB limit", n.opt.MaxAttachment>>10))
	}
	if len(data) == 0 {
		return Attachment{}, fieldErr("body", "文件为空", "empty file")
	}
	declared, _, _ := mime.ParseMediaType(declaredType)
	sniffed := DetectAttachmentType(data)
	if !allowedTypes[sniffed] || (declared != "" && declared != "application/octet-stream" && declared != sniffed) {
		return Attachment{}, fieldErr("content_type", "仅接受与内容一致的 PDF、JPEG、PNG 文件", "only PDF, JPEG or PNG files whose content matches the declared type")
	}
	sum := sha256.Sum256(data)
	a := Attachment{Name: name, MaterialID: materialID, ContentType: sniffed, Size: int64(len(data)),
		SHA256: hex.EncodeToString(sum[:]), CreatedAt: n.now()}
	a.ID, _ = uuid.NewV7()
	keyID, sealed, err := n.sealAttachment(a.ID, data)
	if err != nil {
		return Attachment{}, err
	}
	err = pgx.BeginFunc(ctx, n.opt.DB, func(tx pgx.Tx) error {
		c, err := lockCase(ctx, tx, ref)
		if err != nil {
			return err
		}
		if c.Origin != n.opt.Code {
			return ErrNotYours
		}
		if c.State != Accepted {
			return &StateError{Move: "attach", Current: c.State}
		}
		tag, err := tx.Exec(ctx, `INSERT INTO attachments (id, case_id, material_id, name, content_type, size, sha256, data, created_at, data_key)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) ON CONFLICT (case_id, sha256) DO NOTHING`,
			a.ID, c.ID, a.MaterialID, a.Name, a.ContentType, a.Size, a.SHA256, sealed, a.CreatedAt, keyID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			// The same file again: answer with the stored one.
			return tx.QueryRow(ctx, `SELECT id, material_id, name, created_at FROM attachments WHERE case_id = $1 AND sha256 = $2`,
				c.ID, a.SHA256).Scan(&a.ID, &a.MaterialID, &a.Name, &a.CreatedAt)
		}
		return n.recordEvent(ctx, tx, c.ID, n.opt.Code, who, "attach", "", "", uuid.Nil,
			map[string]any{"name": a.Name, "sha256": a.SHA256, "size": a.Size})
	})
	if err != nil {
		return Attachment{}, err
	}
	return a, nil
}

func (n *Node) attachments(ctx context.Context, caseID uuid.UUID, withData bool) ([]AttachmentData, error) {
	cols := `id, material_id, name, content_type, size, sha256, created_at, ''::bytea, ''`
	if withData {
		cols = `id, material_id, name, content_type, size, sha256, created_at, data, coalesce(data_key, '')`
	}
	rows, err := n.opt.DB.Query(ctx, `SELECT `+cols+` FROM attachments WHERE case_id = $1 ORDER BY created_at, id`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []AttachmentData{}
	for rows.Next() {
		var a AttachmentData
		var id uuid.UUID
		var at time.Time
		if err := rows.Scan(&id, &a.MaterialID, &a.Name, &a.ContentType, &a.Size, &a.SHA256, &at, &a.data, &a.keyID); err != nil {
			return nil, err
		}
		a.ID = id.String()
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if withData {
		for i := range out {
			plain, err := n.openAttachment(uuid.MustParse(out[i].ID), out[i].keyID, out[i].data)
			if err != nil {
				return nil, err
			}
			out[i].data = plain
		}
	}
	return out, nil
}

func (n *Node) listAttachments(w http.ResponseWriter, r *http.Request) error {
	c, err := n.loadCase(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	as, err := n.attachments(r.Context(), c.ID, false)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"attachments": as})
}

func (n *Node) getAttachment(w http.ResponseWriter, r *http.Request) error {
	c, err := n.loadCase(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	aid, err := uuid.Parse(r.PathValue("aid"))
	if err != nil {
		return ErrNotFound
	}
	var name, ctype, sum, keyID string
	var data []byte
	err = n.opt.DB.QueryRow(r.Context(), `SELECT name, content_type, sha256, data, coalesce(data_key, '') FROM attachments WHERE id = $1 AND case_id = $2`, aid, c.ID).
		Scan(&name, &ctype, &sum, &data, &keyID)
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	if data, err = n.openAttachment(aid, keyID, data); err != nil {
		return err
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.Header().Set("X-Content-SHA256", sum)
	_, err = w.Write(data)
	return err
}

// PackageRequest seals the paper: the seal number on the bag and what is inside.
type PackageRequest struct {
	SealNo   string         `json:"seal_no"`
	Manifest []ManifestLine `json:"manifest,omitempty"` // defaults to what was received at intake
}

func (n *Node) postPackage(w http.ResponseWriter, r *http.Request) error {
	var req PackageRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if err := n.Package(r.Context(), r.PathValue("id"), actor(r), req); err != nil {
		return err
	}
	return n.answerCase(w, r, http.StatusOK)
}

// Package seals a case's paper at the origin window: the seal number on the bag and
// the manifest of what is inside (by default what the window received).
func (n *Node) Package(ctx context.Context, ref, who string, req PackageRequest) error {
	req.SealNo = strings.TrimSpace(req.SealNo)
	if req.SealNo == "" || len(req.SealNo) > 40 {
		return fieldErr("seal_no", "请扫描或填写封签号（不超过 40 字符）", "scan or type the seal number (at most 40 characters)")
	}
	return pgx.BeginFunc(ctx, n.opt.DB, func(tx pgx.Tx) error {
		c, err := lockCase(ctx, tx, ref)
		if err != nil {
			return err
		}
		if c.Origin != n.opt.Code {
			return ErrNotYours
		}
		if c.State != Accepted {
			return &StateError{Move: "package", Current: c.State}
		}
		manifest := req.Manifest
		if len(manifest) == 0 {
			if manifest, err = manifestFromIntake(ctx, tx, c.ID); err != nil {
				return err
			}
		}
		if len(manifest) == 0 {
			return fieldErr("manifest", "没有可封装的材料", "nothing was received to package")
		}
		for i, l := range manifest {
			if l.ID == "" || l.Originals < 0 || l.Copies < 0 || l.Originals+l.Copies == 0 {
				return fieldErr(fmt.Sprintf("manifest[%d]", i), "清单每行须有材料编号和份数", "each line needs an id and a count")
			}
		}
		mj, _ := json.Marshal(manifest)
		if _, err := tx.Exec(ctx, `UPDATE cases SET seal_no = $2, manifest = $3, updated_at = $4 WHERE id = $1`, c.ID, req.SealNo, mj, n.now()); err != nil {
			return err
		}
		return n.recordEvent(ctx, tx, c.ID, n.opt.Code, who, "package", "", "", uuid.Nil,
			map[string]any{"seal_no": req.SealNo, "manifest": manifest})
	})
}

func manifestFromIntake(ctx context.Context, tx pgx.Tx, id uuid.UUID) ([]ManifestLine, error) {
	var mats []byte
	if err := tx.QueryRow(ctx, `SELECT materials FROM cases WHERE id = $1`, id).Scan(&mats); err != nil {
		return nil, err
	}
	var lines []MaterialLine
	_ = json.Unmarshal(mats, &lines)
	var out []ManifestLine
	for _, l := range lines {
		if l.GotOrig+l.GotCopies > 0 {
			out = append(out, ManifestLine{ID: l.ID, Name: l.Name, Originals: l.GotOrig, Copies: l.GotCopies})
		}
	}
	return out, nil
}

// DispatchRequest hands the sealed parcel to the courier.
type DispatchRequest struct {
	Waybill string `json:"waybill,omitempty"`
}

// Dispatch puts the package on the bus to the deciding hall (case.dispatched) before
// the parcel leaves, so the partner sees the case coming.
func (n *Node) Dispatch(ctx context.Context, ref, who, waybill string) (caseHead, error) {
	var pkg Package
	return n.localMoveWith(ctx, ref, TypeDispatched, Step{Actor: who, Waybill: waybill}, func(tx pgx.Tx, c caseHead) (any, error) {
		full, err := n.scanCase(tx.QueryRow(ctx, `SELECT `+caseCols+` FROM cases WHERE id = $1`, c.ID))
		if err != nil {
			return nil, err
		}
		if full.SealNo == nil || len(full.Manifest) == 0 {
			return nil, fieldErr("seal_no", "请先封装（扫描封签号）再寄出", "package the case (seal number) before dispatch")
		}
		atts, err := n.attachments(ctx, c.ID, true)
		if err != nil {
			return nil, err
		}
		dest := c.partner(n.opt.Code)
		for i := range atts {
			sealed, err := n.sealFor(dest, atts[i].data, []byte(c.ID.String()+"/"+atts[i].ID))
			if err != nil {
				return nil, err
			}
			atts[i].Sealed = &sealed
		}
		app, err := n.caseApplicant(ctx, tx, c.ID)
		if err != nil {
			return nil, err
		}
		appJSON, _ := json.Marshal(app)
		sealedApp, err := n.sealFor(dest, appJSON, []byte(c.ID.String()))
		if err != nil {
			return nil, err
		}
		if waybill != "" {
			if _, err := tx.Exec(ctx, `UPDATE cases SET waybill = $2 WHERE id = $1`, c.ID, waybill); err != nil {
				return nil, err
			}
		}
		pkg = Package{CaseNo: full.CaseNo, Origin: full.Origin, Destination: full.Destination, MatterCode: full.MatterCode,
			MatterName: full.MatterName, Department: full.Department, CaseType: full.CaseType, LegalLimit: full.LegalLimit,
			PromisedLimit: full.PromisedLimit, LimitUnit: full.LimitUnit, Applicant: sealedApp, Materials: full.Materials,
			Missing: full.Missing, SealNo: *full.SealNo, Waybill: waybill, Manifest: full.Manifest, Clerk: full.Clerk,
			IntakeAt: full.IntakeAt, Attachments: atts}
		if full.CommitmentDate != nil {
			pkg.CommitmentDate = *full.CommitmentDate
		}
		return pkg, nil
	})
}

func (n *Node) postDispatch(w http.ResponseWriter, r *http.Request) error {
	var req DispatchRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if len(req.Waybill) > 40 {
		return fieldErr("waybill", "运单号过长", "waybill longer than 40 characters")
	}
	if _, err := n.Dispatch(r.Context(), r.PathValue("id"), actor(r), strings.TrimSpace(req.Waybill)); err != nil {
		return err
	}
	return n.answerCase(w, r, http.StatusOK)
}

// postParcel records the parcel's movement by hand (picked up, delivered) until the
// courier integration reports it.
func (n *Node) postParcel(w http.ResponseWriter, r *http.Request) error {
	var step Step
	if err := decodeBody(r, &step); err != nil {
		return err
	}
	step.Actor = actor(r)
	move := "parcel." + step.Status
	if move != TypeInTransit && move != TypeDelivered {
		return fieldErr("status", "状态须为 in_transit 或 delivered", "status must be in_transit or delivered")
	}
	if _, err := n.localMove(r.Context(), r.PathValue("id"), move, step, nil); err != nil {
		return err
	}
	return n.answerCase(w, r, http.StatusOK)
}

func (n *Node) answerCase(w http.ResponseWriter, r *http.Request, status int) error {
	c, err := n.loadCase(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	c.mask()
	return writeJSON(w, status, c)
}
