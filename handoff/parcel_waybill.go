package handoff

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tongban/tongban/courier"
	"github.com/tongban/tongban/internal/bus"
	"github.com/tongban/tongban/internal/envelope"
)

// settlementNode is the envelope recipient of waybill events.
const settlementNode = "settlement"

// waybillEvent is what settlement is told about a parcel's order.
func (p *Parcels) waybillEvent(parcel courier.Parcel, f caseParcelFacts, at time.Time) courier.WaybillEvent {
	s := p.current()
	cfg := s.Config
	l, w, h, _ := cfg.Dims()
	product := cfg.Product
	if product == "" {
		product = "1" // both adapters' default product
	}
	return courier.WaybillEvent{Carrier: parcel.Carrier, Product: courier.ProductName(parcel.Carrier, product), Account: s.Account,
		Waybill: parcel.Waybill, OriginDivision: f.Origin, DestinationDivision: f.Destination, WeightG: cfg.WeightG,
		LengthMM: l, WidthMM: w, HeightMM: h, Insured: cfg.Insured, DeclaredValueFen: cfg.DeclaredValueFen,
		ReturnReceipt: cfg.ReturnReceipt, QuotedFeeFen: parcel.QuotedFeeFen, CaseID: parcel.CaseID.String(),
		CaseNo: f.CaseNo, Hall: p.n.opt.Code, Department: f.Department, CreatedAt: at.UTC().Truncate(time.Microsecond)}
}

// enqueueSettlement writes a signed waybill event to the outbox in the caller's
// transaction, keyed by case id so a case's created and voided stay in order. Seq is
// 1: settlement orders waybill events by waybill, not by the case's hall sequence.
func (p *Parcels) enqueueSettlement(ctx context.Context, tx pgx.Tx, typ string, ev courier.WaybillEvent) error {
	id, err := uuid.NewV7()
	if err != nil {
		return err
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("handoff: encode %s: %w", typ, err)
	}
	env := envelope.Envelope{ID: id.String(), Type: typ, Schema: courier.WaybillSchema, From: p.n.opt.Code, To: settlementNode,
		CaseID: ev.CaseID, Seq: 1, At: p.n.now().Truncate(time.Microsecond), Payload: body}
	value, headers, err := p.n.keys.Seal(env)
	if err != nil {
		return fmt.Errorf("handoff: sign %s: %w", typ, err)
	}
	hdr, _ := json.Marshal(headers)
	if _, err := tx.Exec(ctx, `INSERT INTO outbox (id, topic, key, value, headers) VALUES ($1, $2, $3, $4, $5)`,
		id, bus.SettlementTopic, ev.CaseID, value, hdr); err != nil {
		return fmt.Errorf("handoff: enqueue %s: %w", typ, err)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_notify($1, '')`, outboxChannel); err != nil {
		return fmt.Errorf("handoff: notify relay: %w", err)
	}
	return nil
}
