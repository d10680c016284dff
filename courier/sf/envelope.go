package sf

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/tongban/tongban/courier"
)

// Service codes.
const (
	ServiceCreateOrder = "EXP_RECE_CREATE_ORDER"
	ServiceUpdateOrder = "EXP_RECE_UPDATE_ORDER"
	ServiceSearchOrder = "EXP_RECE_SEARCH_ORDER_RESP"
	ServiceSearchRoute = "EXP_RECE_SEARCH_ROUTES"
	ServiceRoutePush   = "RoutePushService"
)

// Gateway answers (apiResultCode).
const (
	CodeOK           = "A1000"
	CodeNoPermission = "A1004"
	CodeRateLimited  = "A1005"
	CodeBadSignature = "A1006"
	CodeDuplicateReq = "A1007"
	CodeTargetDown   = "A1009"
	CodeSystemError  = "A1099"
)

// Business error codes (apiResultData.errorCode) the adapter acts on. 8018 is the
// "no such order" answer of EXP_RECE_SEARCH_ORDER_RESP (verify per account).
const (
	ErrCodeTooManyNumbers   = "8003"
	ErrCodeDuplicateOrderID = "8016"
	ErrCodeOrderMismatch    = "8017"
	ErrCodeOrderNotFound    = "8018"
	ErrCodeAlreadyCancelled = "8037"
)

// Envelope is the gateway's answer.
type Envelope struct {
	APIErrorMsg   string `json:"apiErrorMsg"`
	APIResponseID string `json:"apiResponseID"`
	APIResultCode string `json:"apiResultCode"`
	APIResultData string `json:"apiResultData"` // a JSON string holding a Result
}

// Result is the business answer inside the envelope.
type Result struct {
	Success   bool            `json:"success"`
	ErrorCode string          `json:"errorCode"`
	ErrorMsg  string          `json:"errorMsg"`
	MsgData   json.RawMessage `json:"msgData"`
}

// Adapter talks to one SF account. It implements courier.Carrier and
// courier.CallbackHandler.
type Adapter struct {
	cfg    Config
	client *courier.Client
	now    func() time.Time
}

var (
	_ courier.Carrier         = (*Adapter)(nil)
	_ courier.CallbackHandler = (*Adapter)(nil)
)

// New checks cfg and builds the adapter.
func New(cfg Config) (*Adapter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	c, err := courier.NewClient("sf", cfg.Client)
	if err != nil {
		return nil, fmt.Errorf("sf: new: %w", err)
	}
	return &Adapter{cfg: cfg, client: c, now: time.Now}, nil
}

// Name implements courier.Tracker.
func (a *Adapter) Name() string { return "sf" }

// call sends one service request and decodes the business msgData into out.
func (a *Adapter) call(ctx context.Context, op, service string, msg any, read bool, out any) error {
	data, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("sf: %s: %w", op, err)
	}
	return a.client.Do(ctx, courier.Call{
		Op: op, Path: a.cfg.Path, Read: read,
		Form: func() (url.Values, error) {
			return SignedForm(a.cfg.PartnerID, a.cfg.CheckWord.Reveal(), service, string(data), a.now()), nil
		},
		Decode: func(body []byte) error { return decodeAnswer(body, out) },
	})
}

// SignedForm builds the form of one call, with a fresh request id.
func SignedForm(partnerID, checkWord, service, msgData string, now time.Time) url.Values {
	ts := strconv.FormatInt(now.UnixMilli(), 10)
	return url.Values{
		"partnerID":   {partnerID},
		"requestID":   {uuid.NewString()},
		"serviceCode": {service},
		"timestamp":   {ts},
		"msgData":     {msgData},
		"msgDigest":   {MsgDigest(msgData, ts, checkWord)},
	}
}

func decodeAnswer(body []byte, out any) error {
	var env Envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return fmt.Errorf("%w: unreadable answer: %v", courier.ErrTemporary, err)
	}
	if env.APIResultCode != CodeOK {
		return gatewayError(env)
	}
	var res Result
	if err := json.Unmarshal([]byte(env.APIResultData), &res); err != nil {
		return fmt.Errorf("%w: unreadable apiResultData: %v", courier.ErrTemporary, err)
	}
	if !res.Success {
		return businessError(res)
	}
	if out == nil || len(res.MsgData) == 0 || string(res.MsgData) == "null" {
		return nil
	}
	if err := json.Unmarshal(res.MsgData, out); err != nil {
		return fmt.Errorf("sf: unreadable msgData: %w", err)
	}
	return nil
}

func gatewayError(env Envelope) error {
	e := &courier.APIError{Carrier: "sf", Code: env.APIResultCode, Message: env.APIErrorMsg}
	switch env.APIResultCode {
	case CodeRateLimited:
		e.Kind = courier.ErrRateLimited
	case CodeBadSignature:
		e.Kind = courier.ErrBadSignature
	case CodeDuplicateReq:
		// Request ids are fresh per attempt, so this means SF already has the call:
		// a create must be looked up, not repeated.
		e.Kind = courier.ErrDuplicateOrder
	case CodeTargetDown, CodeSystemError:
		e.Kind = courier.ErrTemporary
	}
	return e
}

func businessError(res Result) error {
	e := &courier.APIError{Carrier: "sf", Code: res.ErrorCode, Message: res.ErrorMsg}
	switch res.ErrorCode {
	case ErrCodeDuplicateOrderID:
		e.Kind = courier.ErrDuplicateOrder
	case ErrCodeOrderNotFound:
		e.Kind = courier.ErrNotFound
	}
	return e
}
