package ems

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	"github.com/tongban/tongban/courier"
)

// Methods.
const (
	MethodCreate = "ems.inland.order.create.normal"
	MethodTrace  = "ems.inland.trace.query"
	MethodCancel = "ems.inland.waybill.got.cancellation"
)

// Error codes the adapter acts on (verify against the contract).
const (
	CodeBadSignature     = "isv.invalid-signature"
	CodeDuplicateOrder   = "isv.order-duplicate"
	CodeOrderNotFound    = "isv.order-not-found"
	CodeAlreadyCancelled = "isv.order-cancelled"
	CodeMailNotFound     = "isv.mail-not-found"
	CodeRateLimited      = "isp.rate-limited"
	CodeUnavailable      = "isp.service-unavailable"
)

// Answer is the part every gateway answer shares.
type Answer struct {
	Success   string `json:"success"` // "T" or "F"
	ErrorCode string `json:"errorCode"`
	ErrorMsg  string `json:"errorMsg"`
}

// Adapter talks to one EMS account. It implements courier.Carrier.
type Adapter struct {
	cfg    Config
	client *courier.Client
	now    func() time.Time
}

var _ courier.Carrier = (*Adapter)(nil)

// New checks cfg and builds the adapter.
func New(cfg Config) (*Adapter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	c, err := courier.NewClient("ems", cfg.Client)
	if err != nil {
		return nil, fmt.Errorf("ems: new: %w", err)
	}
	return &Adapter{cfg: cfg, client: c, now: time.Now}, nil
}

// Name implements courier.Tracker.
func (a *Adapter) Name() string { return "ems" }

// SignedForm builds the form of one call.
func SignedForm(appKey, secret, method, biz string, now time.Time) url.Values {
	v := url.Values{
		"method":      {method},
		"app_key":     {appKey},
		"timestamp":   {courier.FormatLocalTime(now)},
		"format":      {"json"},
		"v":           {"1.0"},
		"sign_method": {"sha256"},
		"biz_content": {biz},
	}
	v.Set("sign", Sign(v, secret))
	return v
}

// call sends one method. out must embed Answer; it is filled even when the answer is
// "F", so a duplicate create can read the mailNo it carries.
func (a *Adapter) call(ctx context.Context, op, method string, biz any, read bool, out interface{ answer() Answer }) error {
	data, err := json.Marshal(biz)
	if err != nil {
		return fmt.Errorf("ems: %s: %w", op, err)
	}
	return a.client.Do(ctx, courier.Call{
		Op: op, Path: a.cfg.Path, Read: read,
		Form: func() (url.Values, error) {
			return SignedForm(a.cfg.AppKey, a.cfg.Secret.Reveal(), method, string(data), a.now()), nil
		},
		Decode: func(body []byte) error {
			if err := json.Unmarshal(body, out); err != nil {
				return fmt.Errorf("%w: unreadable answer: %v", courier.ErrTemporary, err)
			}
			return answerError(out.answer())
		},
	})
}

func (a Answer) answer() Answer { return a }

func answerError(a Answer) error {
	if a.Success == "T" {
		return nil
	}
	e := &courier.APIError{Carrier: "ems", Code: a.ErrorCode, Message: a.ErrorMsg}
	switch a.ErrorCode {
	case CodeBadSignature:
		e.Kind = courier.ErrBadSignature
	case CodeDuplicateOrder:
		e.Kind = courier.ErrDuplicateOrder
	case CodeOrderNotFound, CodeMailNotFound:
		e.Kind = courier.ErrNotFound
	case CodeRateLimited:
		e.Kind = courier.ErrRateLimited
	case CodeUnavailable:
		e.Kind = courier.ErrTemporary
	}
	if a.Success != "F" && e.Code == "" {
		e.Code, e.Kind = "success="+a.Success, courier.ErrTemporary
	}
	return e
}
