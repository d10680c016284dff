package settlement

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/tongban/tongban/internal/auth"
	"github.com/tongban/tongban/internal/web"
)

// Who may use which route of settlement. Every account belongs to the centre; hall
// staff have no account here, and the ledger holds no applicant's personal data, so
// finance never sees any.
var (
	financeReaders = []auth.Role{auth.FinancePreparer, auth.FinanceApprover, auth.Admin}
	preparers      = []auth.Role{auth.FinancePreparer}
	approvers      = []auth.Role{auth.FinanceApprover}
	// Tariffs decide what every waybill should cost, so a preparer cannot set the
	// prices they then reconcile against.
	tariffSetters = []auth.Role{auth.FinanceApprover, auth.Admin}
	admins        = []auth.Role{auth.Admin}
	auditors      = []auth.Role{auth.FinanceApprover, auth.Admin}
)

type routeAccess struct {
	public bool
	roles  []auth.Role
}

// actor is the logged-in finance user making a change. The "system:" prefix stays
// reserved for the node's own jobs; login names cannot contain a colon, so no person
// can pass for the close job.
func actor(r *http.Request) (string, error) {
	p, ok := auth.FromContext(r.Context())
	if !ok {
		return "", auth.ErrUnauthenticated
	}
	if strings.HasPrefix(p.Username, "system:") {
		return "", auth.ErrForbidden
	}
	return p.Username, nil
}

// auditAuth records logins, logouts, tokens and account changes in settlement's own
// hash-chained log, each in its own transaction.
func (n *Node) auditAuth(ctx context.Context, who string, role auth.Role, action, target, outcome string, detail map[string]any) {
	d := map[string]any{"outcome": outcome}
	if role != "" {
		d["role"] = role
	}
	for k, v := range detail {
		d[k] = v
	}
	// A refused login is recorded even when the caller hung up.
	ctx = context.WithoutCancel(ctx)
	err := pgx.BeginFunc(ctx, n.db, func(tx pgx.Tx) error {
		return n.audit(ctx, tx, loginName(who), action, loginName(target), d)
	})
	if err != nil {
		n.log.Error("audit of a security event failed", slog.String("action", action), slog.String("err", err.Error()))
	}
}

// loginName is a name typed at the login form as the audit log keeps it: anything
// that cannot be a username (too long, or with characters usernames never have, such
// as the colon of "system:") is replaced, so the log cannot be made to show a job or
// carry arbitrary text.
func loginName(s string) string {
	if s == "" || len(s) > 64 {
		return "invalid-username"
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return "invalid-username"
		}
	}
	return s
}

// securityHeaders are the headers every node sets (internal/web).
func securityHeaders(w http.ResponseWriter, r *http.Request) { web.SecurityHeaders(w, r) }
