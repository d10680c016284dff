// Package audit is the append-only, hash-chained audit log of one node: logins, every
// state change and every view of unmasked personal data, with time, user, event and
// outcome, kept at least six months (等保 2.0 level 3).
//
// Writing is split in two so the log never serialises business transactions: Append
// inserts the row, unchained, inside the caller's transaction (so the audit row commits
// or rolls back with the change it records); a single Chainer per database then links
// committed rows into a SHA-256 chain in the background. Verify recomputes the chain and
// names the first broken link; Prune removes old rows through the one path the database
// allows, moving an anchor so the rest still verifies. Triggers make the table
// append-only for ordinary SQL (see migrations/0001_audit.sql).
package audit

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tongban/tongban/internal/pg"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migrations are the audit tables, triggers and the retention function.
func Migrations() pg.Source {
	return pg.Source{Domain: "audit", FS: migrationFS, Dir: "migrations"}
}

// Querier is what Append needs of a pgx.Tx, pgx.Conn or pgxpool.Pool. Pass the business
// transaction so the audit row commits with the change.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// Entry is one audited event.
//
// Detail is extra context as JSON (a state transition, a token id, a field name). It
// must never contain personal data: no names, ID numbers, phone numbers or addresses,
// not even masked ones beyond what a screen shows. The audit log is kept longer and read
// by more people than the data it describes, and what was viewed is named by Target
// (a case id) and Action ("case.view_unmasked"), not by its value.
type Entry struct {
	At      time.Time // zero: now
	Actor   string    // username, token id, or "system"
	Role    string
	Action  string // e.g. "auth.login", "case.accept", "pii.view"
	Target  string // e.g. a case id
	Outcome string // e.g. "ok", "denied", "failed"
	Detail  any    // marshalled to JSON; nil is {}
}

const insertSQL = `INSERT INTO audit_log (at, actor, role, action, target, outcome, detail)
VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)`

// Append records e with the caller's Querier, normally inside the transaction of the
// change being audited. It touches no shared row, so concurrent transactions do not
// wait for each other; the row is chained after it commits.
func Append(ctx context.Context, q Querier, e Entry) error {
	at, detail, err := e.row()
	if err != nil {
		return err
	}
	_, err = q.Exec(ctx, insertSQL, at, clean(e.Actor), clean(e.Role), clean(e.Action),
		clean(e.Target), clean(e.Outcome), detail)
	if err != nil {
		return fmt.Errorf("audit: append %s: %w", e.Action, err)
	}
	return nil
}

// AppendMany records several entries as Append does, in one statement, for a
// transaction that makes many audited changes at once.
func AppendMany(ctx context.Context, q Querier, es []Entry) error {
	sql, args, err := AppendManyStatement(es)
	if err != nil {
		return err
	}
	if _, err := q.Exec(ctx, sql, args...); err != nil {
		return fmt.Errorf("audit: append %d entries: %w", len(es), err)
	}
	return nil
}

// AppendManyStatement is the statement AppendMany runs, for a caller that sends it
// in the same round trip as others (a pgx.Batch).
func AppendManyStatement(es []Entry) (string, []any, error) {
	n := len(es)
	ats := make([]time.Time, n)
	actors, roles, actions, targets, outcomes, details := make([]string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n), make([]string, n)
	for i, e := range es {
		at, detail, err := e.row()
		if err != nil {
			return "", nil, err
		}
		ats[i], details[i] = at, detail
		actors[i], roles[i], actions[i], targets[i], outcomes[i] = clean(e.Actor), clean(e.Role), clean(e.Action), clean(e.Target), clean(e.Outcome)
	}
	return `INSERT INTO audit_log (at, actor, role, action, target, outcome, detail)
		SELECT u.at, u.actor, u.role, u.action, u.target, u.outcome, u.detail::jsonb
		FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
			AS u(at, actor, role, action, target, outcome, detail)`,
		[]any{ats, actors, roles, actions, targets, outcomes, details}, nil
}

// row checks an entry and gives its time in UTC and its detail as JSON.
func (e Entry) row() (time.Time, string, error) {
	if e.Action == "" || e.Outcome == "" {
		return time.Time{}, "", errors.New("audit: append: action and outcome are required")
	}
	at := e.At
	if at.IsZero() {
		at = time.Now()
	}
	detail := []byte("{}")
	if e.Detail != nil {
		b, err := json.Marshal(e.Detail)
		if err != nil {
			return time.Time{}, "", fmt.Errorf("audit: append %s: detail: %w", e.Action, err)
		}
		detail = b
	}
	return at.UTC(), string(detail), nil
}

// clean makes any string storable in a text column: actors and targets may come from
// request input (a failed login's username), and a NUL byte or invalid UTF-8 there must
// not make the audit write, and with it the request's transaction, fail.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.ReplaceAll(s, "\x00", "\uFFFD")
}
