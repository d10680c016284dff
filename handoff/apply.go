package handoff

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// applyRemote applies a verified partner message inside the inbox transaction. Each
// case's messages from one sender apply in their seq order: one that arrives early is
// parked until the gap is filled; one already applied changes nothing.
func (n *Node) applyRemote(ctx context.Context, tx pgx.Tx, env Envelope, value []byte) error {
	caseID := uuid.MustParse(env.CaseID)
	if env.Type == TypeDispatched {
		return n.applyDispatched(ctx, tx, caseID, env)
	}
	c, err := scanHead(tx.QueryRow(ctx, `SELECT `+headCols+` FROM cases WHERE id = $1 FOR UPDATE`, caseID))
	if errors.Is(err, ErrNotFound) {
		// The package has not arrived yet; wait for it.
		return park(ctx, tx, caseID, env, value)
	}
	if err != nil {
		return err
	}
	switch {
	case env.Seq <= c.InSeq:
		return nil
	case env.Seq > c.InSeq+1:
		return park(ctx, tx, caseID, env, value)
	}
	if err := n.applyStep(ctx, tx, c, env); err != nil {
		return err
	}
	return n.drainParked(ctx, tx, caseID, env.From)
}

func park(ctx context.Context, tx pgx.Tx, caseID uuid.UUID, env Envelope, value []byte) error {
	_, err := tx.Exec(ctx, `INSERT INTO inbox_pending (case_id, sender, seq, message_id, value) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT DO NOTHING`, caseID, env.From, env.Seq, uuid.MustParse(env.ID), value)
	return err
}

// drainParked applies parked messages that are now next in line.
func (n *Node) drainParked(ctx context.Context, tx pgx.Tx, caseID uuid.UUID, sender string) error {
	for {
		c, err := scanHead(tx.QueryRow(ctx, `SELECT `+headCols+` FROM cases WHERE id = $1`, caseID))
		if err != nil {
			return err
		}
		var value []byte
		err = tx.QueryRow(ctx, `DELETE FROM inbox_pending WHERE case_id = $1 AND sender = $2 AND seq = $3 RETURNING value`,
			caseID, sender, c.InSeq+1).Scan(&value)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		var env Envelope
		if err := json.Unmarshal(value, &env); err != nil {
			return reject(ReasonMalformed, "parked message: %v", err)
		}
		if err := n.applyStep(ctx, tx, c, env); err != nil {
			return err
		}
	}
}

// applyStep moves the local copy as the partner did. The sender must be the side the
// move belongs to. A move the copy already made, or one that would take the case
// backwards (a late parcel event after sign-for), is recorded and skipped.
func (n *Node) applyStep(ctx context.Context, tx pgx.Tx, c caseHead, env Envelope) error {
	var step Step
	if err := decodeStrict(env.Payload, &step); err != nil {
		return reject(ReasonBadPayload, "%s payload: %v", env.Type, err)
	}
	move := env.Type
	if move == TypeParcelEvent {
		move = "parcel." + step.Status
	}
	m, ok := Moves[move]
	if !ok || move == TypeDispatched {
		return reject(ReasonBadPayload, "no move for %s with status %q", env.Type, step.Status)
	}
	if err := step.validate(move); err != nil {
		return reject(ReasonBadPayload, "%s: %v", move, err)
	}
	side := c.sideOf(env.From)
	if side == 0 || side&m.By == 0 {
		return reject(ReasonNotAllowed, "%s may not send %s for case %s", env.From, move, c.CaseNo)
	}
	msgID := uuid.MustParse(env.ID)
	to, action := m.To, move
	switch {
	case m.allows(c.State):
		if err := n.applyColumns(ctx, tx, c.ID, move, step); err != nil {
			return err
		}
	case c.State == m.To || !c.State.Open() || rank[c.State] > rank[m.To]:
		to, action = c.State, move+" (already applied or stale)"
	default:
		return reject(ReasonConflict, "%s arrived for case %s in state %s", move, c.CaseNo, c.State)
	}
	_, err := tx.Exec(ctx, `UPDATE cases SET state = $2, in_seq = $3, state_changed_at = CASE WHEN state <> $2 THEN $4 ELSE state_changed_at END,
		updated_at = $4 WHERE id = $1`, c.ID, to, env.Seq, n.now())
	if err != nil {
		return err
	}
	if err := n.recordEvent(ctx, tx, c.ID, env.From, step.Actor, action, c.State, to, msgID, step); err != nil {
		return err
	}
	if to != c.State {
		// The partner's clock: a stage starts when the partner made the move, not when
		// its message arrived.
		if err := n.runHooks(ctx, tx, Transition{CaseID: c.ID, CaseNo: c.CaseNo, Move: move, From: c.State, To: to,
			Actor: step.Actor, Step: &step, At: env.At}); err != nil {
			return err
		}
	}
	n.metrics.moves.WithLabelValues(move, "remote").Inc()
	return nil
}

// applyColumns stores what a move carries beyond the state.
func (n *Node) applyColumns(ctx context.Context, tx pgx.Tx, id uuid.UUID, move string, step Step) error {
	var err error
	switch move {
	case TypeReceived:
		if len(step.Mismatches) > 0 {
			_, err = tx.Exec(ctx, `UPDATE cases SET exception = $2 WHERE id = $1`, id, exceptionOf(step))
		}
	case TypeConcluded:
		_, err = tx.Exec(ctx, `UPDATE cases SET result = $2 WHERE id = $1`, id, step.Result)
	case TypeInTransit, TypeDelivered:
		if step.Waybill != "" {
			_, err = tx.Exec(ctx, `UPDATE cases SET waybill = $2 WHERE id = $1`, id, step.Waybill)
		}
	}
	return err
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func exceptionOf(step Step) map[string]any {
	return map[string]any{"kind": "manifest_mismatch", "mismatches": step.Mismatches, "reported_by": step.Actor}
}

// applyDispatched creates the local copy of a case from its package.
func (n *Node) applyDispatched(ctx context.Context, tx pgx.Tx, caseID uuid.UUID, env Envelope) error {
	var p Package
	if err := decodeStrict(env.Payload, &p); err != nil {
		return reject(ReasonBadPayload, "case.dispatched payload: %v", err)
	}
	if err := p.validate(); err != nil {
		return reject(ReasonBadPayload, "case.dispatched: %v", err)
	}
	if p.Origin != env.From || p.Destination != n.opt.Code {
		return reject(ReasonNotAllowed, "package from %s to %s sent by %s", p.Origin, p.Destination, env.From)
	}
	if env.Seq != 1 {
		return reject(ReasonBadPayload, "case.dispatched must be the first message of a case, got seq %d", env.Seq)
	}
	materials, _ := json.Marshal(p.Materials)
	missing, _ := json.Marshal(p.Missing)
	manifest, _ := json.Marshal(p.Manifest)
	if n.opt.Sealer == nil {
		return errNoSealer
	}
	appJSON, err := n.opt.Sealer.Open(p.Applicant, []byte(env.CaseID))
	if err != nil {
		return reject(ReasonBadPayload, "applicant data does not open with this hall's sealing key")
	}
	var app Applicant
	if err := json.Unmarshal(appJSON, &app); err != nil {
		return reject(ReasonBadPayload, "sealed applicant: %v", err)
	}
	sa, err := n.sealApplicant(caseID, app)
	if err != nil {
		return err
	}
	now := n.now()
	tag, err := tx.Exec(ctx, `INSERT INTO cases (id, case_no, origin, destination, matter_code, matter_name, department,
		case_type, legal_limit, promised_limit, limit_unit, applicant, materials, missing, commitment_date, state,
		seal_no, waybill, manifest, clerk, in_seq, intake_at, state_changed_at, updated_at, applicant_sealed, applicant_key, id_hash)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,NULLIF($15,'')::date,$16,$17,NULLIF($18,''),$19,$20,1,$21,$22,$22,$23,$24,$25)
		ON CONFLICT (id) DO NOTHING`,
		caseID, p.CaseNo, p.Origin, p.Destination, p.MatterCode, p.MatterName, p.Department, p.CaseType,
		p.LegalLimit, p.PromisedLimit, p.LimitUnit, sa.masked, materials, missing, p.CommitmentDate, Dispatched,
		p.SealNo, p.Waybill, manifest, p.Clerk, p.IntakeAt, now, sa.sealed, sa.keyID, sa.idHash)
	if err != nil {
		return fmt.Errorf("handoff: store package: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return nil
	}
	for _, a := range p.Attachments {
		aid, err := uuid.Parse(a.ID)
		if err != nil || a.Sealed == nil {
			return reject(ReasonBadPayload, "attachment %q without id or content", a.Name)
		}
		plain, err := n.opt.Sealer.Open(*a.Sealed, []byte(env.CaseID+"/"+a.ID))
		if err != nil || int64(len(plain)) != a.Size || sha256Hex(plain) != a.SHA256 {
			return reject(ReasonBadPayload, "attachment %s does not open or does not match its SHA-256", a.ID)
		}
		keyID, sealed, err := n.sealAttachment(aid, plain)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO attachments (id, case_id, material_id, name, content_type, size, sha256, data, created_at, data_key)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) ON CONFLICT DO NOTHING`,
			aid, caseID, a.MaterialID, a.Name, a.ContentType, a.Size, a.SHA256, sealed, now, keyID); err != nil {
			return err
		}
	}
	if err := n.recordEvent(ctx, tx, caseID, env.From, p.Clerk, TypeDispatched, "", Dispatched, uuid.MustParse(env.ID),
		map[string]any{"seal_no": p.SealNo, "manifest": p.Manifest, "waybill": p.Waybill, "attachments": len(p.Attachments)}); err != nil {
		return err
	}
	if err := n.runHooks(ctx, tx, Transition{CaseID: caseID, CaseNo: p.CaseNo, Move: TypeDispatched, To: Dispatched, Actor: p.Clerk, At: env.At}); err != nil {
		return err
	}
	n.metrics.moves.WithLabelValues(TypeDispatched, "remote").Inc()
	return n.drainParked(ctx, tx, caseID, env.From)
}
