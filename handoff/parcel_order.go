package handoff

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tongban/tongban/courier"
	"github.com/tongban/tongban/courier/kuaidi100"
)

// runOrders places the orders of dispatched parcels with the carrier, woken by
// dispatch and checking every second for retries that fell due.
func (p *Parcels) runOrders(ctx context.Context) error {
	t := time.NewTicker(workerInterval)
	defer t.Stop()
	for {
		for p.placeDue(ctx) == orderBatch && ctx.Err() == nil {
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-p.wakeOrders:
		}
	}
}

// placeDue claims due orders and places them; it returns how many it claimed.
func (p *Parcels) placeDue(ctx context.Context) int {
	s := p.current()
	if s.Carrier == nil {
		return 0
	}
	claimed, err := courier.ClaimOrders(ctx, p.n.opt.DB, p.n.now(), orderLease, orderBatch)
	if err != nil {
		if ctx.Err() == nil {
			p.log.Warn("claim orders failed", slog.String("err", err.Error()))
		}
		return 0
	}
	for _, parcel := range claimed {
		if err := p.placeOrder(ctx, s, parcel); err != nil && ctx.Err() == nil {
			p.log.Error("order failed", slog.String("case", parcel.CaseNo), slog.String("order_id", parcel.OrderID),
				slog.String("err", err.Error()))
		}
	}
	return len(claimed)
}

// shipment is the order for a case parcel: hall to hall, nothing of the applicant.
func (p *Parcels) shipment(s *CourierSetup, parcel courier.Parcel, f caseParcelFacts) courier.Shipment {
	cfg := s.Config
	sender := cfg.HallParty(f.Origin, p.n.opt.Name)
	if cfg.SenderName != "" {
		sender.Name, sender.Company = cfg.SenderName, cfg.SenderName
	}
	if cfg.SenderPhone != "" {
		sender.Phone = cfg.SenderPhone
	}
	if cfg.SenderAddress != "" {
		sender.Address = cfg.SenderAddress
	}
	l, w, h, _ := cfg.Dims()
	return courier.Shipment{OrderID: parcel.OrderID, Product: cfg.Product, Sender: sender,
		Recipient: cfg.HallParty(f.Destination, ""), WeightGrams: cfg.WeightG, LengthMM: l, WidthMM: w, HeightMM: h,
		DeclaredValueFen: cfg.DeclaredValueFen, Insured: cfg.Insured, ReturnReceipt: cfg.ReturnReceipt, Contents: "政务文书"}
}

// placeOrder calls the carrier once and records the outcome. A temporary failure
// leaves the order pending with a backoff: the adapter has already looked the order
// up, and the same order id makes a later create return the same waybill.
func (p *Parcels) placeOrder(ctx context.Context, s *CourierSetup, parcel courier.Parcel) error {
	f, err := readCaseFacts(ctx, p.n.opt.DB, Transition{CaseID: parcel.CaseID})
	if err != nil {
		return err
	}
	order, err := s.Carrier.Create(ctx, p.shipment(s, parcel, f))
	if err != nil {
		if courier.Retryable(err) || errors.Is(err, courier.ErrDuplicateOrder) || ctx.Err() != nil {
			backoff := min(time.Duration(1<<min(parcel.OrderAttempts, 10))*time.Second, 10*time.Minute)
			return errors.Join(err, courier.RetryOrderLater(context.WithoutCancel(ctx), p.n.opt.DB, parcel.ID, err, p.n.now().Add(backoff)))
		}
		return errors.Join(err, p.orderRefused(ctx, parcel, err))
	}
	now := p.n.now()
	err = pgx.BeginFunc(ctx, p.n.opt.DB, func(tx pgx.Tx) error {
		ok, err := courier.MarkOrderPlaced(ctx, tx, parcel.ID, order, now)
		if err != nil || !ok {
			return err
		}
		parcel.Waybill, parcel.QuotedFeeFen = order.Waybill, order.QuotedFeeFen
		// The newest parcel's waybill is the case's: a resend replaces the lost one.
		if _, err := tx.Exec(ctx, `UPDATE cases SET waybill = $2, updated_at = $3 WHERE id = $1`, parcel.CaseID, order.Waybill, now); err != nil {
			return err
		}
		if err := courier.AppendCustody(ctx, tx, parcel.ID, courier.Link{At: now, Kind: courier.LinkOrderPlaced, Hall: p.n.opt.Code,
			Actor: "courier:" + parcel.Carrier, Detail: map[string]any{"waybill": order.Waybill, "order_id": order.OrderID}}); err != nil {
			return err
		}
		if err := p.n.recordEvent(ctx, tx, parcel.CaseID, p.n.opt.Code, "courier:"+parcel.Carrier, "parcel.order_placed", "", "", uuid.Nil,
			map[string]any{"waybill": order.Waybill, "parcel_no": parcel.ParcelNo}); err != nil {
			return err
		}
		return p.enqueueSettlement(ctx, tx, courier.TypeWaybillCreated, p.waybillEvent(parcel, f, now))
	})
	if err != nil {
		return err
	}
	p.log.Info("courier order placed", slog.String("case", parcel.CaseNo), slog.String("carrier", parcel.Carrier),
		slog.String("waybill", order.Waybill))
	if s.Kuaidi100 != nil {
		p.subscribe(ctx, s, parcel)
	}
	return nil
}

// orderRefused gives up on an order the carrier refused and tells staff.
func (p *Parcels) orderRefused(ctx context.Context, parcel courier.Parcel, cause error) error {
	now := p.n.now()
	return pgx.BeginFunc(ctx, p.n.opt.DB, func(tx pgx.Tx) error {
		ok, err := courier.MarkOrderFailed(ctx, tx, parcel.ID, cause, now)
		if err != nil || !ok {
			return err
		}
		return p.raiseIncident(ctx, tx, parcel, courier.IncidentOrderFailed, map[string]any{"error": cause.Error()}, now)
	})
}

// subscribe asks kuaidi100 to push the parcel's tracking; a failure is retried by
// the poller, which subscribes again whatever is marked failed or aborted.
func (p *Parcels) subscribe(ctx context.Context, s *CourierSetup, parcel courier.Parcel) {
	company := parcel.TrackCompany
	if company == "" {
		company = s.Kuaidi100.Company(parcel.Waybill)
	}
	f, _ := readCaseFacts(ctx, p.n.opt.DB, Transition{CaseID: parcel.CaseID})
	phone := s.Config.HallParty(f.Destination, "").Phone
	state := "subscribed"
	if err := s.Kuaidi100.Subscribe(ctx, kuaidi100.Parcel{Company: company, Number: parcel.Waybill, Phone: phone}); err != nil {
		state = "failed"
		p.log.Warn("kuaidi100 subscribe failed", slog.String("waybill", parcel.Waybill), slog.String("err", err.Error()))
	}
	if err := courier.SetSubscription(ctx, p.n.opt.DB, parcel.ID, state, company); err != nil {
		p.log.Warn("record subscription failed", slog.String("err", err.Error()))
	}
}
