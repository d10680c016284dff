package handoff

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/tongban/tongban/courier"
)

// Courier callbacks are public routes: a carrier proves a push by its signature, not
// by a login. Every push is recorded raw with whether it verified; only verified
// pushes are applied; every push gets exactly the answer its carrier expects, and
// success only after the push is stored, so a carrier keeps pushing what we lost.

// callback serves POST /api/v1/courier/callbacks/{carrier}.
func (p *Parcels) callback(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("carrier")
	s := p.current()
	h := s.Callbacks[name]
	if h == nil || !p.enabled {
		return ErrNotFound
	}
	body, err := courier.ReadBody(r)
	if err != nil {
		h.Ack(w, err)
		return nil
	}
	cb := courier.Callback{Carrier: name, ContentType: r.Header.Get("Content-Type"), Body: body}
	var perr error
	if name == "kuaidi100" && s.Kuaidi100 != nil {
		n, err := s.Kuaidi100.ParseNotification(body)
		perr = err
		if err == nil {
			cb.Events = n.Events
			cb.Notice = &courier.Notice{Waybill: n.Number, Company: n.ComNew}
			switch {
			case n.Resubscribe:
				cb.Notice.Subscription = "aborted"
			case n.Finished:
				cb.Notice.Subscription = "finished"
			}
		}
	} else {
		// A shallow copy: the parser reads the body again and parses the form into
		// its own request, and nothing else of it changes.
		r2 := r.WithContext(r.Context())
		r2.Body = io.NopCloser(bytes.NewReader(body))
		var verified bool
		cb.Events, verified, perr = h.ParseCallback(r2)
		if perr == nil && !verified {
			// An account with no way to verify its pushes gets none applied.
			perr = fmt.Errorf("handoff: %s push cannot be verified: %w", name, courier.ErrBadSignature)
		}
	}
	cb.Verified = perr == nil
	if perr != nil {
		cb.Error, cb.Events = perr.Error(), nil
	}
	res, err := p.ingest.Ingest(r.Context(), cb)
	if err != nil {
		p.log.Error("courier push not stored", slog.String("carrier", name), slog.String("err", err.Error()))
		h.Ack(w, err)
		return nil
	}
	if perr != nil {
		reason := "malformed"
		if errors.Is(perr, courier.ErrBadSignature) {
			reason = "bad_signature"
		}
		// The body is kept in courier_callbacks; the log names only the carrier and why.
		p.log.Warn("courier push refused", slog.String("carrier", name), slog.String("reason", reason),
			slog.String("callback", res.CallbackID.String()))
	}
	h.Ack(w, perr)
	return nil
}
