package handoff

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"
)

// timerPlan is what one move does to the case's clocks. Closing comes first, then
// pausing and resuming, then opening, so a move that ends one stage and starts the
// next leaves exactly one clock running.
type timerPlan struct {
	close, pause, resume, open []string
	cancelAll                  bool // the case ends here: every clock still open is cancelled
}

var allTimerKinds = TimerKinds

// timerPlans follows DESIGN.md's states. The parcel moves close every transfer clock
// before them, since a courier may skip reporting a step; sign-for closes them all.
// 补正 stops the intake-decision clock (Art. 32 counts from complete materials) and
// the supplement restarts it; special procedures stop the decision clocks (Art. 45).
var timerPlans = map[string]timerPlan{
	"intake":                {open: []string{TimerDispatch}},
	TypeDispatched:          {close: []string{TimerDispatch}, open: []string{TimerPickup}},
	TypeInTransit:           {close: []string{TimerDispatch, TimerPickup}, open: []string{TimerDelivery}},
	TypeDelivered:           {close: []string{TimerDispatch, TimerPickup, TimerDelivery}, open: []string{TimerSignFor}},
	TypeReceived:            {close: []string{TimerDispatch, TimerPickup, TimerDelivery, TimerSignFor}, open: []string{TimerIntakeDecision}},
	TypeAccepted:            {close: []string{TimerIntakeDecision}, open: []string{TimerPromised, TimerLegal}},
	TypeCorrectionRequested: {pause: []string{TimerIntakeDecision}},
	TypeSupplementSent:      {resume: []string{TimerIntakeDecision}},
	TypeRejected:            {close: []string{TimerIntakeDecision}, cancelAll: true},
	TypePaused:              {pause: []string{TimerPromised, TimerLegal}},
	TypeResumed:             {resume: []string{TimerPromised, TimerLegal}},
	TypeConcluded:           {close: []string{TimerPromised, TimerLegal}, open: []string{TimerResultDispatch}},
	TypeResultDispatched:    {close: []string{TimerResultDispatch}, open: []string{TimerResultDelivery}},
	TypeResultDelivered:     {close: []string{TimerResultDelivery}},
	TypeClosed:              {cancelAll: true},
	TypeWithdrawn:           {cancelAll: true},
}

// onTransition runs inside every transition's transaction, so a clock starts, stops
// or ends if and only if the move commits.
func (d *Deadlines) onTransition(ctx context.Context, tx pgx.Tx, t Transition) error {
	plan, ok := timerPlans[t.Move]
	if !ok {
		return nil
	}
	at := t.At
	if len(plan.close) > 0 {
		if err := d.closeTimers(ctx, tx, t.CaseID, plan.close, at, false); err != nil {
			return err
		}
	}
	if plan.cancelAll {
		if err := d.closeTimers(ctx, tx, t.CaseID, allTimerKinds, at, true); err != nil {
			return err
		}
	}
	if len(plan.pause) > 0 {
		reason, note := t.Move, ""
		if t.Step != nil {
			if t.Step.Kind != "" {
				reason += ":" + t.Step.Kind
			}
			note = strings.TrimSpace(strings.Join(append([]string{t.Step.Note}, t.Step.Reasons...), "; "))
			note = strings.Trim(note, "; ")
		}
		if err := d.pauseTimers(ctx, tx, t.CaseID, plan.pause, at, reason, note, t.Actor); err != nil {
			return err
		}
	}
	if len(plan.resume) > 0 {
		if err := d.resumeTimers(ctx, tx, t.CaseID, plan.resume, at); err != nil {
			return err
		}
	}
	if len(plan.open) == 0 {
		return nil
	}
	f, err := loadCaseFacts(ctx, tx, t.CaseID)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return deadlineErr("timer case", err)
	}
	for _, kind := range plan.open {
		if err := d.openTimer(ctx, tx, f, kind, at, d.handlerOf(f, kind, t)); err != nil {
			return err
		}
	}
	return nil
}

// handlerOf is whom the first reminder of a stage goes to: the clerk who made the move
// that started it at this hall; the intake clerk for the origin's transfer stages;
// otherwise nobody yet, and the section head's desk sees it as unassigned.
func (d *Deadlines) handlerOf(f caseFacts, kind string, t Transition) string {
	if t.Local {
		return t.Actor
	}
	if timerOwner(kind) == OriginSide {
		return f.Clerk
	}
	if f.ownerOf(kind) != d.n.opt.Code {
		return t.Actor // the partner's clerk, shown with the partner's countdown
	}
	return ""
}
