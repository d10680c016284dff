package kuaidi100

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/tongban/tongban/courier"
)

// Result is a parcel's tracking as kuaidi100 reports it: the answer of a query, and
// the lastResult of a push. Data is newest first.
type Result struct {
	Message   string  `json:"message"`
	Nu        string  `json:"nu"`
	IsCheck   Str     `json:"ischeck"` // "1" once signed
	Com       string  `json:"com"`
	Status    Str     `json:"status"` // "200" when the query found the parcel
	Condition string  `json:"condition"`
	State     Str     `json:"state"`
	Data      []Trace `json:"data"`
}

// Trace is one scan. Status is the state name (resultv2=1) and StatusCode the
// advanced state code (resultv2=4).
type Trace struct {
	Time       string `json:"time"`
	Ftime      string `json:"ftime"`
	Context    string `json:"context"`
	Location   string `json:"location"`
	AreaCode   string `json:"areaCode"`
	AreaName   string `json:"areaName"`
	Status     string `json:"status"`
	StatusCode Str    `json:"statusCode"`
}

// Str reads a JSON string or number as a string: kuaidi100 sends some codes either way.
type Str string

// UnmarshalJSON implements json.Unmarshaler.
func (s *Str) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = Str(v)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("kuaidi100: want string or number, got %.20s", b)
	}
	*s = Str(n.String())
	return nil
}

// Events maps the traces of one parcel. Each trace's own code is used when it has one
// (statusCode, else its state name); the newest trace falls back to the overall state.
func (r Result) Events(company, number string) ([]courier.Event, error) {
	carrier := CarrierName(company)
	evs := make([]courier.Event, 0, len(r.Data))
	for i, t := range r.Data {
		code := string(t.StatusCode)
		if code == "" {
			code = stateNames[strings.TrimSpace(t.Status)]
		}
		if code == "" && i == 0 {
			code = string(r.State)
		}
		ts := t.Time
		if ts == "" {
			ts = t.Ftime
		}
		at, err := courier.ParseLocalTime(ts)
		if err != nil {
			return nil, fmt.Errorf("trace of %s: bad time %q", number, ts)
		}
		loc := t.AreaName
		if loc == "" {
			loc = t.Location
		}
		evs = append(evs, courier.Event{Carrier: carrier, Waybill: number, Status: StatusOf(code, t.Context),
			RawCode: code, RawText: t.Context, At: at, Location: loc})
	}
	courier.SortEvents(evs)
	return evs, nil
}
