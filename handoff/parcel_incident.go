package handoff

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tongban/tongban/courier"
)

// raiseIncident opens an incident and writes it on the case timeline and the
// parcel's chain, once per parcel and kind.
func (p *Parcels) raiseIncident(ctx context.Context, tx pgx.Tx, parcel courier.Parcel, kind string, detail map[string]any, now time.Time) error {
	id, opened, err := courier.OpenIncident(ctx, tx, parcel, kind, detail, now)
	if err != nil || !opened {
		return err
	}
	if err := courier.AppendCustody(ctx, tx, parcel.ID, courier.Link{At: now, Kind: courier.LinkIncident, Hall: p.n.opt.Code,
		Actor: "tongban", Detail: map[string]any{"incident": id.String(), "kind": kind}}); err != nil {
		return err
	}
	d := map[string]any{"incident": id, "kind": kind, "waybill": parcel.Waybill, "next_actions": courier.NextActions(kind)}
	return p.n.recordEvent(ctx, tx, parcel.CaseID, p.n.opt.Code, "tongban", "parcel.exception", "", "", uuid.Nil, d)
}

// ResolveRequest is staff's choice for an incident.
type ResolveRequest struct {
	Resolution string `json:"resolution"` // resend, notify_applicant or close
	Note       string `json:"note,omitempty"`
	// Waybill is the new parcel's number for a resend by hand (no carrier configured).
	Waybill string `json:"waybill,omitempty"`
}

// ResolveIncident applies staff's choice: resend makes a new parcel of the case (an
// order with the carrier, or the typed waybill), notify_applicant puts the duty to
// tell the applicant on the case timeline, close just closes.
func (p *Parcels) ResolveIncident(ctx context.Context, id uuid.UUID, who string, req ResolveRequest) (courier.Incident, error) {
	switch req.Resolution {
	case courier.ResolveResend, courier.ResolveNotify, courier.ResolveClose:
	default:
		return courier.Incident{}, fieldErr("resolution", "处理方式须为 resend、notify_applicant 或 close", "resolution must be resend, notify_applicant or close")
	}
	req.Waybill = strings.ToUpper(strings.TrimSpace(req.Waybill))
	now := p.n.now()
	err := pgx.BeginFunc(ctx, p.n.opt.DB, func(tx pgx.Tx) error {
		inc, err := courier.LockIncident(ctx, tx, id)
		if errors.Is(err, courier.ErrNoIncident) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if inc.State != "open" {
			return &StateError{Move: "resolve incident", Current: State("resolved")}
		}
		allowed := false
		for _, a := range courier.NextActions(inc.Kind) {
			allowed = allowed || a == req.Resolution
		}
		if !allowed {
			return fieldErr("resolution", "该异常不能这样处理", fmt.Sprintf("%s is not offered for a %s incident", req.Resolution, inc.Kind))
		}
		if req.Resolution == courier.ResolveResend {
			if err := p.resend(ctx, tx, inc, who, req.Waybill, now); err != nil {
				return err
			}
		}
		if err := courier.ResolveIncident(ctx, tx, id, req.Resolution, who, req.Note, now); err != nil {
			return err
		}
		return p.n.recordEvent(ctx, tx, inc.CaseID, p.n.opt.Code, who, "parcel.incident_"+req.Resolution, "", "", uuid.Nil,
			map[string]any{"incident": id, "kind": inc.Kind, "note": req.Note})
	})
	if err != nil {
		return courier.Incident{}, err
	}
	return courier.GetIncident(ctx, p.n.opt.DB, id)
}

// resend makes the case's next parcel. Only the origin ships.
func (p *Parcels) resend(ctx context.Context, tx pgx.Tx, inc courier.Incident, who, waybill string, now time.Time) error {
	last, err := courier.LatestParcel(ctx, tx, inc.CaseID)
	if err != nil {
		return err
	}
	if last.Role != courier.RoleOrigin {
		return ErrNotYours
	}
	s := p.current()
	np := courier.NewParcel{CaseID: inc.CaseID, CaseNo: inc.CaseNo, ParcelNo: last.ParcelNo + 1, Role: courier.RoleOrigin,
		Carrier: guessCarrier(waybill, s.Config), Waybill: waybill, OrderState: courier.OrderManual, At: now}
	switch {
	case waybill == "" && s.Carrier == nil:
		return fieldErr("waybill", "未配置快递公司，请填写新运单号", "no carrier is configured: give the new waybill")
	case waybill == "":
		np.OrderState = courier.OrderPending
	}
	parcel, err := courier.CreateParcel(ctx, tx, np)
	if err != nil {
		return err
	}
	f, err := readCaseFacts(ctx, tx, Transition{CaseID: inc.CaseID})
	if err != nil {
		return err
	}
	if waybill != "" {
		if _, err := tx.Exec(ctx, `UPDATE cases SET waybill = $2 WHERE id = $1`, inc.CaseID, waybill); err != nil {
			return err
		}
	}
	wake(p.wakeOrders)
	return courier.AppendCustody(ctx, tx, parcel.ID,
		courier.Link{At: now, Kind: courier.LinkPackaged, Hall: p.n.opt.Code, Actor: who,
			Detail: map[string]any{"seal_no": f.SealNo, "manifest": f.Manifest, "resend_of": last.ID.String()}},
		courier.Link{At: now, Kind: courier.LinkHandedToCourier, Hall: p.n.opt.Code, Actor: who,
			Detail: map[string]any{"carrier": np.Carrier, "waybill": waybill, "order_id": parcel.OrderID}})
}

func (p *Parcels) postResolve(w http.ResponseWriter, r *http.Request) error {
	if err := p.ready(); err != nil {
		return err
	}
	id, err := uuid.Parse(r.PathValue("iid"))
	if err != nil {
		return ErrNotFound
	}
	var req ResolveRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	inc, err := p.ResolveIncident(r.Context(), id, actor(r), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, inc)
}

func (p *Parcels) listIncidents(w http.ResponseWriter, r *http.Request) error {
	if err := p.ready(); err != nil {
		return err
	}
	f := courier.IncidentFilter{State: r.URL.Query().Get("state")}
	if f.State != "" && f.State != "open" && f.State != "resolved" {
		return fieldErr("state", "状态须为 open 或 resolved", "state must be open or resolved")
	}
	if ref := r.URL.Query().Get("case"); ref != "" {
		c, err := p.n.loadCase(r.Context(), ref)
		if err != nil {
			return err
		}
		f.CaseID = c.ID
	}
	incs, err := courier.ListIncidents(r.Context(), p.n.opt.DB, f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"incidents": incs})
}
