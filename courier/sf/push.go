package sf

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"

	"github.com/tongban/tongban/courier"
)

// Route push (RoutePushService). SF pushes each new scan of orders placed through the
// open platform to the URL configured for the account. The account chooses the form
// (verify per account); this adapter reads two:
//
//  1. Signed form (what the simulator sends by default): Content-Type
//     application/x-www-form-urlencoded with partnerID, requestID, serviceCode
//     (RoutePushService), timestamp, msgData and msgDigest, exactly like our own calls
//     to SF. msgData is the JSON push body below; the push is verified when partnerID
//     is ours and msgDigest = MsgDigest(msgData, timestamp, checkWord).
//  2. Plain JSON: Content-Type application/json with the push body itself. SF does not
//     sign it, so the account's push URL carries a secret "token" query parameter
//     (Config.PushToken). Without a configured token the push is returned unverified.
//
// The push body is {"Body":{"WaybillRoute":[{"id","mailno","orderid","acceptTime",
// "acceptAddress","remark","opCode","reasonCode","reasonName"}, ...]}}, at most 10
// routes. The answer SF expects is JSON, HTTP 200: {"return_code":"0000",
// "return_msg":"成功"} when taken, {"return_code":"1000","return_msg":"…"} when not, in
// which case SF pushes again.

// PushBody is the payload of a route push.
type PushBody struct {
	Body struct {
		WaybillRoute []PushRoute `json:"WaybillRoute"`
	} `json:"Body"`
}

// PushRoute is one pushed scan.
type PushRoute struct {
	MailNo        string `json:"mailno"`
	OrderID       string `json:"orderid"`
	AcceptTime    string `json:"acceptTime"`
	AcceptAddress string `json:"acceptAddress"`
	Remark        string `json:"remark"`
	OpCode        string `json:"opCode"`
	ReasonCode    string `json:"reasonCode"`
	ReasonName    string `json:"reasonName"`
}

// Push answers.
const (
	PushOK           = `{"return_code":"0000","return_msg":"成功"}`
	PushBadSignature = `{"return_code":"1000","return_msg":"签名验证失败"}`
	PushFailed       = `{"return_code":"1000","return_msg":"处理失败"}`
)

// ParseCallback implements courier.CallbackHandler.
func (a *Adapter) ParseCallback(r *http.Request) ([]courier.Event, bool, error) {
	body, err := courier.ReadBody(r)
	if err != nil {
		return nil, false, fmt.Errorf("sf: parse push: %w", err)
	}
	return a.parsePush(r.Header.Get("Content-Type"), r.URL.Query(), body)
}

func (a *Adapter) parsePush(contentType string, query url.Values, body []byte) ([]courier.Event, bool, error) {
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt == "application/x-www-form-urlencoded" {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, false, fmt.Errorf("sf: parse push: %w", err)
		}
		if form.Get("partnerID") != a.cfg.PartnerID ||
			!VerifyDigest(form.Get("msgData"), form.Get("timestamp"), a.cfg.CheckWord.Reveal(), form.Get("msgDigest")) {
			return nil, false, fmt.Errorf("sf: parse push: %w", courier.ErrBadSignature)
		}
		evs, err := parsePushBody([]byte(form.Get("msgData")))
		return evs, err == nil, err
	}
	verified := false
	if a.cfg.PushToken != "" {
		if subtle.ConstantTimeCompare([]byte(query.Get("token")), []byte(a.cfg.PushToken.Reveal())) != 1 {
			return nil, false, fmt.Errorf("sf: parse push: %w", courier.ErrBadSignature)
		}
		verified = true
	}
	evs, err := parsePushBody(body)
	if err != nil {
		return nil, false, err
	}
	return evs, verified, nil
}

func parsePushBody(b []byte) ([]courier.Event, error) {
	p, ok := scanPushBody(b)
	if !ok {
		p = PushBody{}
		if err := json.Unmarshal(b, &p); err != nil {
			return nil, fmt.Errorf("sf: parse push: %w", err)
		}
	}
	if len(p.Body.WaybillRoute) == 0 {
		return nil, errors.New("sf: parse push: no WaybillRoute")
	}
	evs := make([]courier.Event, 0, len(p.Body.WaybillRoute))
	for _, w := range p.Body.WaybillRoute {
		if w.MailNo == "" {
			return nil, errors.New("sf: parse push: route without mailno")
		}
		ev, err := Route{AcceptTime: w.AcceptTime, AcceptAddress: w.AcceptAddress, Remark: w.Remark, OpCode: w.OpCode}.event(w.MailNo)
		if err != nil {
			return nil, fmt.Errorf("sf: parse push: %w", err)
		}
		evs = append(evs, ev)
	}
	courier.SortEvents(evs)
	return evs, nil
}

// Ack implements courier.CallbackHandler with the JSON answer SF expects.
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
