package settlement

import (
	"context"
	"fmt"

	"github.com/tongban/tongban/internal/auth"
)

// DemoUser is one of the centre's demo accounts.
type DemoUser struct {
	Username string
	Role     auth.Role
}

// demoAccounts are the centre's demo staff: a preparer and an approver, so the
// maker-checker close can be shown, and an administrator.
var demoAccounts = []DemoUser{
	{"preparer.centre", auth.FinancePreparer},
	{"approver.centre", auth.FinanceApprover},
	{"admin.centre", auth.Admin},
}

// DemoUsers makes the centre's demo accounts with password where they are missing
// (a restarted demo keeps them) and returns them for the demo to print. svc must be
// settlement's login service (Node.Auth, or auth.New with Scope auth.Centre on
// settlement's database). Never use it outside the demo.
func DemoUsers(ctx context.Context, svc *auth.Service, password string) ([]DemoUser, error) {
	existing, err := svc.Users(ctx)
	if err != nil {
		return nil, fmt.Errorf("settlement: demo users: %w", err)
	}
	have := map[string]bool{}
	for _, u := range existing {
		have[u.Username] = true
	}
	for _, d := range demoAccounts {
		if have[d.Username] {
			continue
		}
		if _, err := svc.CreateUser(ctx, auth.NewUser{Username: d.Username, Name: "演示" + string(d.Role), Role: d.Role,
			Hall: auth.Centre, Password: password}); err != nil {
			return nil, fmt.Errorf("settlement: demo user %s: %w", d.Username, err)
		}
	}
	return append([]DemoUser(nil), demoAccounts...), nil
}
