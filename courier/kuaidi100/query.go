package kuaidi100

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/tongban/tongban/courier"
)

// Adapter is one kuaidi100 account. It implements courier.Tracker and
// courier.CallbackHandler.
type Adapter struct {
	cfg    Config
	client *courier.Client
}

var (
	_ courier.Tracker         = (*Adapter)(nil)
	_ courier.CallbackHandler = (*Adapter)(nil)
)

// New checks cfg and builds the adapter.
func New(cfg Config) (*Adapter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	c, err := courier.NewClient("kuaidi100", cfg.Client)
	if err != nil {
		return nil, fmt.Errorf("kuaidi100: new: %w", err)
	}
	return &Adapter{cfg: cfg, client: c}, nil
}

// Name implements courier.Tracker.
func (a *Adapter) Name() string { return "kuaidi100" }

// Answer codes of query and subscribe (returnCode).
const (
	CodeOK            = "200"
	CodeBadRequest    = "400"
	CodeNoResult      = "500" // query: nothing found yet
	CodeDuplicate     = "501" // subscribe: already subscribed; query: server error
	CodeBusy          = "502"
	CodeBadSignature  = "503"
	CodeKeyExpired    = "601"
	CodeNotSubscriber = "600"
	CodeBadData       = "700"
	CodeRefusedCom    = "701"
	CodeUnknownCom    = "702"
)

// Parcel names one number at one company.
type Parcel struct {
	Company string // kuaidi100 company code, e.g. "shunfeng", "ems"
	Number  string
	Phone   string // sender's or recipient's phone, or its last four digits
}

// Company guesses the company of a number: "SF…" is shunfeng, anything else the
// configured default.
func (a *Adapter) Company(waybill string) string {
	if strings.HasPrefix(strings.ToUpper(waybill), "SF") {
		return "shunfeng"
	}
	return a.cfg.DefaultCompany
}

// Track implements courier.Tracker: one query per number, companies guessed by
// Company and phones from Config.PhoneFor.
func (a *Adapter) Track(ctx context.Context, waybills []string) ([]courier.Event, error) {
	var evs []courier.Event
	for _, w := range waybills {
		p := Parcel{Company: a.Company(w), Number: w}
		if a.cfg.PhoneFor != nil {
			p.Phone = a.cfg.PhoneFor(w)
		}
		got, err := a.Query(ctx, p)
		if err != nil {
			return nil, err
		}
		evs = append(evs, got...)
	}
	courier.SortEvents(evs)
	return evs, nil
}

type queryParam struct {
	Com      string `json:"com"`
	Num      string `json:"num"`
	Phone    string `json:"phone,omitempty"`
	ResultV2 string `json:"resultv2,omitempty"`
	Show     string `json:"show"`  // "0": JSON
	Order    string `json:"order"` // "desc": newest first
}

// failure is the answer shape of a refused call.
type failure struct {
	Result     *bool  `json:"result"`
	ReturnCode Str    `json:"returnCode"`
	Message    string `json:"message"`
}

// Query asks for one parcel's tracking now. A number kuaidi100 has nothing on yet
// yields no events.
func (a *Adapter) Query(ctx context.Context, p Parcel) ([]courier.Event, error) {
	param, err := json.Marshal(queryParam{Com: p.Company, Num: p.Number, Phone: p.Phone,
		ResultV2: a.cfg.ResultV2, Show: "0", Order: "desc"})
	if err != nil {
		return nil, fmt.Errorf("kuaidi100: query: %w", err)
	}
	var res Result
	notFound := false
	err = a.client.Do(ctx, courier.Call{
		Op: "query", Path: "/poll/query.do", Read: true,
		Form: func() (url.Values, error) {
			return url.Values{"customer": {a.cfg.Customer}, "param": {string(param)},
				"sign": {QuerySign(string(param), a.cfg.Key.Reveal(), a.cfg.Customer)}}, nil
		},
		Decode: func(body []byte) error {
			var f failure
			if err := json.Unmarshal(body, &f); err != nil {
				return fmt.Errorf("%w: unreadable answer: %v", courier.ErrTemporary, err)
			}
			if f.Result != nil && !*f.Result {
				err := queryError(f)
				notFound = errors.Is(err, courier.ErrNotFound)
				return err
			}
			return json.Unmarshal(body, &res)
		},
	})
	if notFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	evs, err := res.Events(p.Company, p.Number)
	if err != nil {
		return nil, fmt.Errorf("kuaidi100: query: %w", err)
	}
	return evs, nil
}

func queryError(f failure) error {
	e := &courier.APIError{Carrier: "kuaidi100", Code: string(f.ReturnCode), Message: f.Message}
	switch e.Code {
	case CodeNoResult:
		e.Kind = courier.ErrNotFound
	case CodeDuplicate, CodeBusy:
		e.Kind = courier.ErrTemporary
	case CodeBadSignature:
		e.Kind = courier.ErrBadSignature
	}
	return e
}
