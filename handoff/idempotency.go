package handoff

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"

	"github.com/jackc/pgx/v5"
)

var (
	errIdemMismatch = errors.New("handoff: idempotency key reused for another request")
	errIdemBusy     = errors.New("handoff: idempotent request in progress")
)

// idempotent makes a creating POST safe to repeat: the first request with a key runs
// and its answer is stored; a repeat with the same key and body gets that answer back
// (header Idempotent-Replayed: true); the same key with another body is refused.
func (n *Node) idempotent(h apiFunc) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return errTooLarge
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		key, route := r.Header.Get("Idempotency-Key"), r.Method+" "+r.URL.Path
		if len(key) > 200 {
			return fieldErr("Idempotency-Key", "幂等键过长（最多 200 字符）", "Idempotency-Key longer than 200 characters")
		}
		sum := sha256.Sum256(append([]byte(actor(r)+"\n"), body...))
		hash := hex.EncodeToString(sum[:])
		ctx := r.Context()
		tag, err := n.opt.DB.Exec(ctx, `INSERT INTO idempotency (key, route, request_hash) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, key, route, hash)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return n.replayIdempotent(ctx, w, key, route, hash)
		}
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		herr := h(rec, r)
		if herr != nil || rec.status >= 500 {
			// A failed first attempt must not pin its failure: free the key for a retry.
			_, _ = n.opt.DB.Exec(context.WithoutCancel(ctx), `DELETE FROM idempotency WHERE key = $1 AND route = $2`, key, route)
			return herr
		}
		_, err = n.opt.DB.Exec(context.WithoutCancel(ctx), `UPDATE idempotency SET status = $3, body = $4 WHERE key = $1 AND route = $2`,
			key, route, rec.status, rec.body.Bytes())
		return err
	}
}

func (n *Node) replayIdempotent(ctx context.Context, w http.ResponseWriter, key, route, hash string) error {
	var stored string
	var status *int
	var body []byte
	err := n.opt.DB.QueryRow(ctx, `SELECT request_hash, status, body FROM idempotency WHERE key = $1 AND route = $2`, key, route).
		Scan(&stored, &status, &body)
	if errors.Is(err, pgx.ErrNoRows) {
		return errIdemBusy
	}
	if err != nil {
		return err
	}
	if stored != hash {
		return errIdemMismatch
	}
	if status == nil {
		return errIdemBusy
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Idempotent-Replayed", "true")
	w.WriteHeader(*status)
	_, err = w.Write(body)
	return err
}

// recorder keeps a copy of what a handler wrote.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(s int) { r.status = s; r.ResponseWriter.WriteHeader(s) }
func (r *recorder) Write(b []byte) (int, error) {
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}
