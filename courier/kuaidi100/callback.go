package kuaidi100

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/tongban/tongban/courier"
)

// Push answers. kuaidi100 takes a push only on exactly PushOK.
const (
	PushOK           = `{"result":true,"returnCode":"200","message":"成功"}`
	PushBadSignature = `{"result":false,"returnCode":"500","message":"签名验证失败"}`
	PushFailed       = `{"result":false,"returnCode":"500","message":"处理失败"}`
)

// Subscription states in a push.
const (
	StatusPolling   = "polling"   // being tracked
	StatusShutdown  = "shutdown"  // finished: signed, or tracking ended
	StatusAbort     = "abort"     // given up: no record for 3 days or no change for 60; subscribe again
	StatusUpdateAll = "updateall" // a full re-push of the history
)

// Notification is one push, read and verified.
type Notification struct {
	// Status is polling, shutdown, abort or updateall; Message explains an abort.
	Status, BillStatus, Message string
	// Resubscribe is set on abort: kuaidi100 stopped tracking the number and pushes
	// nothing more unless it is subscribed again.
	Resubscribe bool
	// Finished is set on shutdown: no more pushes will come.
	Finished bool
	// Corrected is set when kuaidi100 found the number belongs to another company
	// (autoCheck): ComOld was subscribed, ComNew is right, and the events carry ComNew.
	Corrected      bool
	ComOld, ComNew string
	// Company and Number identify the parcel.
	Company, Number string
	// Signed is lastResult.ischeck.
	Signed bool
	Events []courier.Event
}

type pushParam struct {
	Status     string `json:"status"`
	BillStatus string `json:"billstatus"`
	Message    string `json:"message"`
	AutoCheck  Str    `json:"autoCheck"`
	ComOld     string `json:"comOld"`
	ComNew     string `json:"comNew"`
	LastResult Result `json:"lastResult"`
}

// ParseNotification reads and verifies a push from its form body. A bad sign is an
// error wrapping courier.ErrBadSignature.
func (a *Adapter) ParseNotification(body []byte) (Notification, error) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return Notification{}, fmt.Errorf("kuaidi100: parse push: %w", err)
	}
	param := form.Get("param")
	if !VerifyCallback(param, a.cfg.Salt.Reveal(), form.Get("sign")) {
		return Notification{}, fmt.Errorf("kuaidi100: parse push: %w", courier.ErrBadSignature)
	}
	return parseParam(param)
}

func parseParam(param string) (Notification, error) {
	var p pushParam
	if err := json.Unmarshal([]byte(param), &p); err != nil {
		return Notification{}, fmt.Errorf("kuaidi100: parse push: %w", err)
	}
	switch p.Status {
	case StatusPolling, StatusShutdown, StatusAbort, StatusUpdateAll:
	default:
		return Notification{}, fmt.Errorf("kuaidi100: parse push: unknown status %q", p.Status)
	}
	n := Notification{
		Status: p.Status, BillStatus: p.BillStatus, Message: p.Message,
		Resubscribe: p.Status == StatusAbort, Finished: p.Status == StatusShutdown,
		Company: p.LastResult.Com, Number: p.LastResult.Nu, Signed: p.LastResult.IsCheck == "1",
	}
	if p.AutoCheck == "1" && p.ComNew != "" {
		n.Corrected, n.ComOld, n.ComNew, n.Company = true, p.ComOld, p.ComNew, p.ComNew
	}
	if n.Number == "" {
		return Notification{}, errors.New("kuaidi100: parse push: lastResult has no number")
	}
	evs, err := p.LastResult.Events(n.Company, n.Number)
	if err != nil {
		return Notification{}, fmt.Errorf("kuaidi100: parse push: %w", err)
	}
	n.Events = evs
	return n, nil
}

// ParseCallback implements courier.CallbackHandler. It returns only the events; use
// ParseNotification to see abort (subscribe again) and carrier corrections.
func (a *Adapter) ParseCallback(r *http.Request) ([]courier.Event, bool, error) {
	body, err := courier.ReadBody(r)
	if err != nil {
		return nil, false, fmt.Errorf("kuaidi100: parse push: %w", err)
	}
	n, err := a.ParseNotification(body)
	if err != nil {
		return nil, false, err
	}
	return n.Events, true, nil
}

// Ack implements courier.CallbackHandler with the exact answers kuaidi100 reads.
func (a *Adapter) Ack(w http.ResponseWriter, err error) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	switch {
	case err == nil:
		fmt.Fprint(w, PushOK)
	case errors.Is(err, courier.ErrBadSignature):
		fmt.Fprint(w, PushBadSignature)
	default:
		fmt.Fprint(w, PushFailed)
	}
}
