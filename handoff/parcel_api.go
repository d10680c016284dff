package handoff

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tongban/tongban/courier"
	"github.com/tongban/tongban/internal/auth"
)

// routes serves the parcel API (documented in openapi_parcels.yaml).
func (p *Parcels) routes() {
	p.n.Route("GET /api/v1/cases/{id}/parcels", p.listParcels)
	p.n.Route("GET /api/v1/parcels/{pid}/custody", p.getCustody)
	p.n.Route("GET /api/v1/parcel-incidents", p.listIncidents)
	// The window ships, so the window voids a waybill; an incident is settled by
	// whoever works the parcel, at the window or the hall's desk.
	p.n.RouteFor("POST /api/v1/parcels/{pid}/cancel", []auth.Role{auth.WindowClerk, auth.Admin}, p.postCancel)
	p.n.RouteFor("POST /api/v1/parcel-incidents/{iid}/resolve", []auth.Role{auth.WindowClerk, auth.HallStaff, auth.Admin}, p.postResolve)
	// Carriers log in with nothing: each push proves itself by its signature.
	p.n.PublicRoute("POST /api/v1/courier/callbacks/{carrier}", p.callback)
}

var errParcelsOff = &FieldError{Field: "courier", ZH: "本大厅未启用快递跟踪", EN: "courier tracking is not set up at this hall"}

func (p *Parcels) ready() error {
	if !p.enabled {
		return errParcelsOff
	}
	return nil
}

// eventView is a courier event as the API shows it.
type eventView struct {
	Carrier    string    `json:"carrier"`
	Waybill    string    `json:"waybill"`
	Status     string    `json:"status"`
	RawCode    string    `json:"raw_code"`
	RawText    string    `json:"raw_text"`
	At         time.Time `json:"at"`
	Location   string    `json:"location,omitempty"`
	Source     string    `json:"source"`
	ReceivedAt time.Time `json:"received_at"`
}

type parcelView struct {
	courier.Parcel
	Events []eventView `json:"events"`
}

func (p *Parcels) listParcels(w http.ResponseWriter, r *http.Request) error {
	if err := p.ready(); err != nil {
		return err
	}
	c, err := p.n.loadCase(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	parcels, err := courier.ParcelsOfCase(r.Context(), p.n.opt.DB, c.ID)
	if err != nil {
		return err
	}
	ids := make([]uuid.UUID, len(parcels))
	views := make([]parcelView, len(parcels))
	at := map[uuid.UUID]int{}
	for i, pc := range parcels {
		ids[i], views[i], at[pc.ID] = pc.ID, parcelView{Parcel: pc, Events: []eventView{}}, i
	}
	evs, err := courier.EventsOf(r.Context(), p.n.opt.DB, ids)
	if err != nil {
		return err
	}
	for _, e := range evs {
		v := &views[at[e.ParcelID]]
		v.Events = append(v.Events, eventView{Carrier: e.Carrier, Waybill: e.Waybill, Status: string(e.Status), RawCode: e.RawCode,
			RawText: e.RawText, At: e.At, Location: e.Location, Source: e.Source, ReceivedAt: e.ReceivedAt})
	}
	return writeJSON(w, http.StatusOK, map[string]any{"case_id": c.ID, "case_no": c.CaseNo, "parcels": views})
}

func parcelID(r *http.Request) (uuid.UUID, error) {
	id, err := uuid.Parse(r.PathValue("pid"))
	if err != nil {
		return uuid.Nil, ErrNotFound
	}
	return id, nil
}

func (p *Parcels) getCustody(w http.ResponseWriter, r *http.Request) error {
	if err := p.ready(); err != nil {
		return err
	}
	id, err := parcelID(r)
	if err != nil {
		return err
	}
	links, v, err := courier.VerifyCustody(r.Context(), p.n.opt.DB, id)
	if errors.Is(err, courier.ErrNoParcel) {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"parcel_id": id, "links": links, "verification": v})
}

// CancelParcel voids a parcel's order before pickup: the carrier cancels first, then
// the parcel is voided and settlement told (waybill.voided) in one transaction. A
// carrier that refuses leaves everything as it was.
func (p *Parcels) CancelParcel(ctx context.Context, id uuid.UUID, who string) (courier.Parcel, error) {
	parcel, err := courier.GetParcel(ctx, p.n.opt.DB, id)
	if errors.Is(err, courier.ErrNoParcel) {
		return parcel, ErrNotFound
	}
	if err != nil {
		return parcel, err
	}
	if parcel.Role != courier.RoleOrigin {
		return parcel, ErrNotYours
	}
	if parcel.OrderState == courier.OrderVoided {
		return parcel, nil
	}
	if parcel.Status.Rank() >= courier.StatusPickedUp.Rank() {
		return parcel, &StateError{Move: "cancel waybill", Current: State("parcel_" + string(parcel.Status))}
	}
	s := p.current()
	if parcel.OrderState == courier.OrderPlaced {
		if s.Carrier == nil || s.Carrier.Name() != parcel.Carrier {
			return parcel, fieldErr("carrier", "该运单的快递公司未配置，无法撤单", fmt.Sprintf("carrier %s is not configured here", parcel.Carrier))
		}
		if err := s.Carrier.Cancel(ctx, parcel.OrderID, parcel.Waybill); err != nil {
			return parcel, fmt.Errorf("handoff: cancel waybill: %w", err)
		}
	}
	now := p.n.now()
	err = pgx.BeginFunc(ctx, p.n.opt.DB, func(tx pgx.Tx) error {
		cur, err := courier.LockParcel(ctx, tx, id)
		if err != nil {
			return err
		}
		if cur.OrderState == courier.OrderVoided {
			return nil
		}
		if err := courier.VoidParcel(ctx, tx, id, now); err != nil {
			return err
		}
		if err := courier.AppendCustody(ctx, tx, id, courier.Link{At: now, Kind: courier.LinkVoided, Hall: p.n.opt.Code, Actor: who,
			Detail: map[string]any{"waybill": cur.Waybill, "order_id": cur.OrderID}}); err != nil {
			return err
		}
		if err := p.n.recordEvent(ctx, tx, cur.CaseID, p.n.opt.Code, who, "parcel.voided", "", "", uuid.Nil,
			map[string]any{"waybill": cur.Waybill, "parcel_no": cur.ParcelNo}); err != nil {
			return err
		}
		if cur.OrderState != courier.OrderPlaced {
			return nil // settlement never heard of it
		}
		f, err := readCaseFacts(ctx, tx, Transition{CaseID: cur.CaseID})
		if err != nil {
			return err
		}
		ev := p.waybillEvent(cur, f, cur.CreatedAt)
		ev.VoidedAt = now.Truncate(time.Microsecond)
		return p.enqueueSettlement(ctx, tx, courier.TypeWaybillVoided, ev)
	})
	if err != nil {
		return parcel, err
	}
	return courier.GetParcel(ctx, p.n.opt.DB, id)
}

func (p *Parcels) postCancel(w http.ResponseWriter, r *http.Request) error {
	if err := p.ready(); err != nil {
		return err
	}
	id, err := parcelID(r)
	if err != nil {
		return err
	}
	parcel, err := p.CancelParcel(r.Context(), id, actor(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, parcel)
}
