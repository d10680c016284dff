package handoff

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/tongban/tongban/courier"
)

// onTransition keeps parcels and their chains of custody in step with the case,
// inside the move's transaction:
//
//   - case.dispatched here (origin): the parcel is made, with the "packaged" link
//     (seal number and manifest) and "handed to courier"; with a carrier it waits
//     for the order worker.
//   - case.dispatched from the partner (destination): this hall's copy of the parcel,
//     with the partner's "packaged" link.
//   - parcel moves from the partner: the destination learns the waybill and status.
//   - case.received, at either hall: the "signed for" link with the manifest check.
func (p *Parcels) onTransition(ctx context.Context, tx pgx.Tx, t Transition) error {
	switch {
	case t.Move == TypeDispatched:
		return p.parcelAtDispatch(ctx, tx, t)
	case t.Move == TypeInTransit || t.Move == TypeDelivered:
		return p.parcelMoved(ctx, tx, t)
	case t.Move == TypeReceived:
		return p.signedFor(ctx, tx, t)
	}
	return nil
}

// caseParcelFacts are the case columns a parcel needs; no personal data.
type caseParcelFacts struct {
	Origin, Destination, Department, CaseNo string
	SealNo, Waybill                         string
	Manifest                                []ManifestLine
}

func readCaseFacts(ctx context.Context, db courier.DB, t Transition) (caseParcelFacts, error) {
	var f caseParcelFacts
	err := db.QueryRow(ctx, `SELECT origin, destination, department, case_no, coalesce(seal_no, ''), coalesce(waybill, ''),
		coalesce(manifest, '[]') FROM cases WHERE id = $1`, t.CaseID).
		Scan(&f.Origin, &f.Destination, &f.Department, &f.CaseNo, &f.SealNo, &f.Waybill, &f.Manifest)
	return f, err
}

func (p *Parcels) parcelAtDispatch(ctx context.Context, tx pgx.Tx, t Transition) error {
	f, err := readCaseFacts(ctx, tx, t)
	if err != nil {
		return err
	}
	np := courier.NewParcel{CaseID: t.CaseID, CaseNo: f.CaseNo, Waybill: f.Waybill, At: t.At}
	packagedBy, packagedAt := f.Origin, t.At
	if t.Local {
		setup := p.current()
		np.Role, np.Carrier, np.OrderState = courier.RoleOrigin, guessCarrier(f.Waybill, setup.Config), courier.OrderManual
		if f.Waybill == "" && setup.Carrier != nil {
			np.OrderState = courier.OrderPending
		}
	} else {
		np.Role, np.Carrier, np.OrderState = courier.RoleDestination, guessCarrier(f.Waybill, courier.Config{}), courier.OrderRemote
	}
	parcel, err := courier.CreateParcel(ctx, tx, np)
	if err != nil {
		return err
	}
	if parcel.CustodySeq > 0 {
		return nil // a replay: the chain was started
	}
	links := []courier.Link{{At: packagedAt, Kind: courier.LinkPackaged, Hall: packagedBy, Actor: t.Actor,
		Detail: map[string]any{"seal_no": f.SealNo, "manifest": f.Manifest}}}
	if t.Local {
		links = append(links, courier.Link{At: t.At, Kind: courier.LinkHandedToCourier, Hall: p.n.opt.Code, Actor: t.Actor,
			Detail: map[string]any{"carrier": np.Carrier, "waybill": f.Waybill, "order_id": parcel.OrderID}})
	}
	if err := courier.AppendCustody(ctx, tx, parcel.ID, links...); err != nil {
		return err
	}
	if np.OrderState == courier.OrderPending {
		wake(p.wakeOrders)
	}
	return nil
}

// guessCarrier names the carrier of a typed waybill: SF numbers start "SF"; without
// a number the configured carrier ships it.
func guessCarrier(waybill string, cfg courier.Config) string {
	switch {
	case strings.HasPrefix(strings.ToUpper(waybill), "SF"):
		return "sf"
	case cfg.Enabled():
		return cfg.Carrier
	}
	return "manual"
}

// parcelMoved records a parcel move in the chain. At the destination it is how the
// hall learns the courier's progress (and the waybill); at the origin a move made by
// hand rather than from a courier event is recorded as reported by staff.
func (p *Parcels) parcelMoved(ctx context.Context, tx pgx.Tx, t Transition) error {
	if t.Step == nil || (t.Local && strings.HasPrefix(t.Actor, "courier:")) {
		return nil // the courier's own events are already in the chain
	}
	parcel, err := courier.LatestParcel(ctx, tx, t.CaseID)
	if errors.Is(err, courier.ErrNoParcel) {
		return nil
	}
	if err != nil {
		return err
	}
	kind := "reported:" + t.Step.Status
	hall := p.n.opt.Code
	if !t.Local {
		kind = courier.CourierLink(courier.Status(t.Step.Status))
		hall = p.partnerOf(ctx, tx, t)
		if t.Step.Waybill != "" && parcel.Waybill == "" {
			if err := courier.SetWaybill(ctx, tx, parcel.ID, t.Step.Waybill, t.At); err != nil {
				return err
			}
		}
		if courier.Advances(parcel.Status, courier.Status(t.Step.Status)) {
			if _, err := tx.Exec(ctx, `UPDATE parcels SET status = $2, progress_at = $3, updated_at = $3 WHERE id = $1`,
				parcel.ID, t.Step.Status, t.At); err != nil {
				return err
			}
		}
	}
	return courier.AppendCustody(ctx, tx, parcel.ID, courier.Link{At: t.At, Kind: kind, Hall: hall, Actor: t.Actor,
		Detail: map[string]any{"waybill": t.Step.Waybill}})
}

// partnerOf is the other hall of the case.
func (p *Parcels) partnerOf(ctx context.Context, tx pgx.Tx, t Transition) string {
	f, err := readCaseFacts(ctx, tx, t)
	if err != nil {
		return ""
	}
	if f.Origin == p.n.opt.Code {
		return f.Destination
	}
	return f.Origin
}

// signedFor is the destination staff's sign-for with what the manifest check found.
func (p *Parcels) signedFor(ctx context.Context, tx pgx.Tx, t Transition) error {
	parcel, err := courier.LatestParcel(ctx, tx, t.CaseID)
	if errors.Is(err, courier.ErrNoParcel) {
		return nil
	}
	if err != nil {
		return err
	}
	hall := p.n.opt.Code
	if !t.Local {
		hall = p.partnerOf(ctx, tx, t)
	}
	detail := map[string]any{"waybill": parcel.Waybill, "mismatches": []Mismatch{}}
	if t.Step != nil && len(t.Step.Mismatches) > 0 {
		detail["mismatches"] = t.Step.Mismatches
	}
	return courier.AppendCustody(ctx, tx, parcel.ID, courier.Link{At: t.At, Kind: courier.LinkSignedFor, Hall: hall,
		Actor: t.Actor, Detail: detail})
}
