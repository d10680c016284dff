package settlement

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// auditLock serialises appends to the chain: each row needs the previous hash.
const auditLock = 0x7462_6175 // "tbau"

// AuditEntry is one finance action.
type AuditEntry struct {
	Seq      int64     `json:"seq"`
	At       time.Time `json:"at"`
	Actor    string    `json:"actor"`
	Action   string    `json:"action"`
	Subject  string    `json:"subject"`
	Detail   string    `json:"detail"` // JSON, as hashed
	PrevHash []byte    `json:"prev_hash"`
	Hash     []byte    `json:"hash"`
}

// audit appends an entry inside the caller's transaction, so the action and its
// record commit or vanish together. detail is stored as the exact JSON bytes hashed.
func (n *Node) audit(ctx context.Context, tx pgx.Tx, actor, action, subject string, detail any) error {
	d, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("audit detail: %w", err)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, auditLock); err != nil {
		return fmt.Errorf("audit lock: %w", err)
	}
	e := AuditEntry{At: n.now(), Actor: actor, Action: action, Subject: subject, Detail: string(d), PrevHash: make([]byte, 32)}
	err = tx.QueryRow(ctx, `SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&e.Seq, &e.PrevHash)
	if err != nil && err != pgx.ErrNoRows {
		return fmt.Errorf("audit head: %w", err)
	}
	e.Seq++
	e.Hash = e.digest()
	_, err = tx.Exec(ctx, `INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, e.Seq, e.At, e.Actor, e.Action, e.Subject, e.Detail, e.PrevHash, e.Hash)
	if err != nil {
		return fmt.Errorf("audit append: %w", err)
	}
	return nil
}

// digest is SHA-256 over the previous hash and the entry's fields, each
// length-prefixed so no two different entries serialise alike.
func (e *AuditEntry) digest() []byte {
	h := sha256.New()
	h.Write(e.PrevHash)
	for _, f := range []string{strconv.FormatInt(e.Seq, 10), e.At.UTC().Format(time.RFC3339Nano), e.Actor, e.Action, e.Subject, e.Detail} {
		h.Write([]byte(strconv.Itoa(len(f))))
		h.Write([]byte{':'})
		h.Write([]byte(f))
	}
	return h.Sum(nil)
}

// AuditVerdict is the result of walking the chain.
type AuditVerdict struct {
	OK       bool   `json:"ok"`
	Entries  int64  `json:"entries"`
	BrokenAt int64  `json:"broken_at,omitempty"` // first seq whose link or hash does not hold
	Reason   string `json:"reason,omitempty"`
	Head     []byte `json:"head,omitempty"`
}

// VerifyAudit recomputes every hash from the first entry on.
func (n *Node) VerifyAudit(ctx context.Context) (AuditVerdict, error) {
	rows, err := n.db.Query(ctx, `SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit_log ORDER BY seq`)
	if err != nil {
		return AuditVerdict{}, fmt.Errorf("settlement: verify audit: %w", err)
	}
	defer rows.Close()
	v := AuditVerdict{OK: true}
	prev := make([]byte, 32)
	var want int64 = 1
	for rows.Next() {
		var e AuditEntry
		if err := rows.Scan(&e.Seq, &e.At, &e.Actor, &e.Action, &e.Subject, &e.Detail, &e.PrevHash, &e.Hash); err != nil {
			return AuditVerdict{}, fmt.Errorf("settlement: verify audit: %w", err)
		}
		v.Entries++
		switch {
		case e.Seq != want:
			v.OK, v.BrokenAt, v.Reason = false, e.Seq, fmt.Sprintf("sequence gap: expected %d", want)
		case !bytes.Equal(e.PrevHash, prev):
			v.OK, v.BrokenAt, v.Reason = false, e.Seq, "prev_hash does not match the previous entry"
		case !bytes.Equal(e.digest(), e.Hash):
			v.OK, v.BrokenAt, v.Reason = false, e.Seq, "hash does not match the entry"
		}
		if !v.OK {
			return v, nil
		}
		prev, want = e.Hash, want+1
		v.Head = e.Hash
	}
	return v, rows.Err()
}

// AuditLog lists entries from seq after, at most limit.
func (n *Node) AuditLog(ctx context.Context, after int64, limit int) ([]AuditEntry, error) {
	rows, err := n.db.Query(ctx, `SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit_log
		WHERE seq > $1 ORDER BY seq LIMIT $2`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("settlement: audit log: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (AuditEntry, error) {
		var e AuditEntry
		err := r.Scan(&e.Seq, &e.At, &e.Actor, &e.Action, &e.Subject, &e.Detail, &e.PrevHash, &e.Hash)
		return e, err
	})
}
