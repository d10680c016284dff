package handoff

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/auth"
	"github.com/tongban/tongban/internal/pg"
)

// audit appends an entry for the calling staff member inside tx.
func (n *Node) audit(ctx context.Context, tx pgx.Tx, r *http.Request, action, target, outcome string, detail map[string]any) error {
	e := audit.Entry{At: n.now(), Actor: "anonymous", Action: action, Target: target, Outcome: outcome, Detail: detail}
	if p, ok := auth.FromContext(r.Context()); ok {
		e.Actor, e.Role = p.Username, string(p.Role)
	}
	return audit.Append(ctx, tx, e)
}

// auditTransition records every state change in the audit log, in its transaction.
func (n *Node) auditTransition(ctx context.Context, tx pgx.Tx, t Transition) error {
	return audit.Append(ctx, tx, transitionEntry(t))
}

// auditTransitions records several state changes with one statement, queued on w.
func (n *Node) auditTransitions(ctx context.Context, tx pgx.Tx, ts []Transition, w *pg.Writes) error {
	es := make([]audit.Entry, len(ts))
	for i, t := range ts {
		es[i] = transitionEntry(t)
	}
	sql, args, err := audit.AppendManyStatement(es)
	if err != nil {
		return err
	}
	w.Add("audit: append transitions", sql, args...)
	return nil
}

func transitionEntry(t Transition) audit.Entry {
	where := "local"
	if !t.Local {
		where = "partner"
	}
	return audit.Entry{At: t.At, Actor: t.Actor, Action: "case." + string(t.To), Target: t.CaseNo,
		Outcome: "ok", Detail: map[string]any{"move": t.Move, "from": t.From, "to": t.To, "made": where}}
}

// auditAuth records logins, logouts, tokens and account changes.
func (n *Node) auditAuth(ctx context.Context, actor string, role auth.Role, action, target, outcome string, detail map[string]any) {
	_ = audit.Append(ctx, n.opt.DB, audit.Entry{At: n.now(), Actor: actor, Role: string(role), Action: action,
		Target: target, Outcome: outcome, Detail: detail})
}

func (n *Node) getAuditVerify(w http.ResponseWriter, r *http.Request) error {
	rep, err := audit.Verify(r.Context(), n.opt.DB)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}

// runAuditRetention prunes audit records older than the retention once an hour. The
// retention never goes below audit.MinRetention (six months), whatever is configured.
func (n *Node) runAuditRetention(ctx context.Context) error {
	keep := max(n.opt.AuditRetention, audit.MinRetention)
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		if pruned, err := audit.Prune(ctx, n.opt.DB, n.now().Add(-keep)); err != nil && ctx.Err() == nil {
			n.opt.Log.Warn("audit retention: prune failed", slog.String("err", err.Error()))
		} else if pruned > 0 {
			n.opt.Log.Info("audit retention: pruned", slog.Int64("rows", pruned))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
