package handoff

import (
	"context"
	"net/http"
	"strings"

	"github.com/tongban/tongban/internal/auth"
	"github.com/tongban/tongban/internal/pg"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Transition is a change of a case's state as seen by this hall, passed to the hooks
// inside the transaction that makes it, so what they write (timers, parcels) commits
// or rolls back with the move itself.
type Transition struct {
	CaseID uuid.UUID
	CaseNo string
	Move   string // "intake", a move name such as case.accepted, or parcel.in_transit
	From   State  // "" for intake and for a package arriving at the deciding hall
	To     State
	Local  bool   // made at this hall (false: applied from the partner's message)
	Actor  string // who made it
	At     time.Time
	Step   *Step // the step's payload, nil for intake and dispatch
}

// TransitionHook runs inside the transaction of every transition. An error rolls the
// transition back.
type TransitionHook func(ctx context.Context, tx pgx.Tx, t Transition) error

// TransitionsHook is a hook's form for several transitions made in one transaction
// (courier events moving many cases at once). It must write for each transition what
// the single form writes, in fewer statements; the cases are distinct. Writes whose
// results it does not need go on w, which is sent once every hook has run, so the
// hooks' writes share one round trip.
type TransitionsHook func(ctx context.Context, tx pgx.Tx, ts []Transition, w *pg.Writes) error

type transitionHook struct {
	one  TransitionHook
	many TransitionsHook // nil: one runs per transition
}

// OnTransition adds a hook. Call it before Run.
func (n *Node) OnTransition(h TransitionHook) { n.hooks = append(n.hooks, transitionHook{one: h}) }

// OnTransitions adds a hook with its batch form. Call it before Run.
func (n *Node) OnTransitions(one TransitionHook, many TransitionsHook) {
	n.hooks = append(n.hooks, transitionHook{one: one, many: many})
}

// AddWorker adds a background loop that Run starts and waits for. Call it before Run.
func (n *Node) AddWorker(f func(ctx context.Context) error) { n.workers = append(n.workers, f) }

// Route registers an API handler on the hall's router, so other parts of the hall
// (supervision, parcels) serve under the same login, access rules and error handling.
// Reads are open to the hall's staff and supervisors, changes to administrators; use
// RouteFor to name the roles.
func (n *Node) Route(pattern string, h func(w http.ResponseWriter, r *http.Request) error) {
	roles := readers
	if !strings.HasPrefix(pattern, "GET ") {
		roles = admins
	}
	n.route(pattern, roles, h)
}

// RouteFor registers an API handler open to roles.
func (n *Node) RouteFor(pattern string, roles []auth.Role, h func(w http.ResponseWriter, r *http.Request) error) {
	n.route(pattern, roles, h)
}

// PublicRoute registers a handler that needs no login, such as a courier's signed
// callback, which proves itself by its signature.
func (n *Node) PublicRoute(pattern string, h func(w http.ResponseWriter, r *http.Request) error) {
	n.publicRoute(pattern, h)
}

func (n *Node) runHooks(ctx context.Context, tx pgx.Tx, t Transition) error {
	return n.runHooksMany(ctx, tx, []Transition{t})
}

// runHooksMany runs every hook over transitions of distinct cases made in one
// transaction: a hook's batch form once, or its single form per transition.
func (n *Node) runHooksMany(ctx context.Context, tx pgx.Tx, ts []Transition) error {
	for i := range ts {
		if ts[i].At.IsZero() {
			ts[i].At = n.now()
		}
	}
	var w pg.Writes
	for _, h := range n.hooks {
		if h.many != nil && len(ts) > 1 {
			if err := h.many(ctx, tx, ts, &w); err != nil {
				return err
			}
			continue
		}
		for _, t := range ts {
			if err := h.one(ctx, tx, t); err != nil {
				return err
			}
		}
	}
	return w.Send(ctx, tx)
}
