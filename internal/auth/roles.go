// Package auth is staff login for every node: accounts with argon2id passwords,
// sessions with CSRF protection, API tokens for machines, an optional TOTP second
// factor, and roles bound to one hall (or the central settlement centre).
package auth

import (
	"context"
	"slices"

	"github.com/google/uuid"
)

// Role is what a staff member may do.
type Role string

const (
	WindowClerk     Role = "window_clerk"     // origin window: intake, packaging, dispatch, results handed out
	HallStaff       Role = "hall_staff"       // deciding hall: sign-for, decisions, results sent
	Supervisor      Role = "supervisor"       // 电子监察: reads everything of the hall, acts on nothing
	FinancePreparer Role = "finance_preparer" // settlement: imports, reconciles, prepares a close
	FinanceApprover Role = "finance_approver" // settlement: approves a close someone else prepared
	Admin           Role = "admin"            // users, tokens, catalogue, quarantine, audit
)

// Roles lists every role.
var Roles = []Role{WindowClerk, HallStaff, Supervisor, FinancePreparer, FinanceApprover, Admin}

// Valid reports whether r is a role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Finance reports whether r is a finance role, which belongs to the centre and never
// sees applicants' personal data.
func (r Role) Finance() bool { return r == FinancePreparer || r == FinanceApprover }

// NeedsSecondFactor reports whether a second factor is offered to r: finance and
// admin accounts may enrol TOTP, and once enrolled must use it.
func (r Role) NeedsSecondFactor() bool { return r.Finance() || r == Admin }

// Principal is who is calling.
type Principal struct {
	UserID   uuid.UUID `json:"user_id"`
	Username string    `json:"username"`
	Name     string    `json:"name"`
	Role     Role      `json:"role"`
	Hall     string    `json:"hall"`
	Via      string    `json:"via"` // session or token
	CSRF     string    `json:"-"`
	session  string
}

type ctxKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the caller, if authenticated.
func FromContext(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(ctxKey{}).(*Principal)
	return p, ok
}
