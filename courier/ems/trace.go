package ems

import (
	"context"
	"errors"
	"fmt"

	"github.com/tongban/tongban/courier"
)

// Trace is one scan as EMS reports it.
type Trace struct {
	MailNo    string `json:"mailNo"`
	OpTime    string `json:"opTime"`
	OpCode    string `json:"opCode"`
	OpDesc    string `json:"opDesc"`
	OpOrgCity string `json:"opOrgCity"`
	OpOrgName string `json:"opOrgName"`
}

// TraceAnswer is the answer of ems.inland.trace.query.
type TraceAnswer struct {
	Answer
	Traces []Trace `json:"traces"`
}

type traceBiz struct {
	MailNo string `json:"mailNo"`
}

// Track implements courier.Tracker. The gateway takes one mail number a call; a
// number EMS does not know yields no events.
func (a *Adapter) Track(ctx context.Context, waybills []string) ([]courier.Event, error) {
	var evs []courier.Event
	for _, w := range waybills {
		var ans TraceAnswer
		err := a.call(ctx, "track", MethodTrace, traceBiz{MailNo: w}, true, &ans)
		if errors.Is(err, courier.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		got, err := TraceEvents(w, ans.Traces)
		if err != nil {
			return nil, fmt.Errorf("ems: track: %w", err)
		}
		evs = append(evs, got...)
	}
	courier.SortEvents(evs)
	return evs, nil
}

// TraceEvents maps EMS traces to events; traces of other numbers are an error.
func TraceEvents(waybill string, traces []Trace) ([]courier.Event, error) {
	evs := make([]courier.Event, 0, len(traces))
	for _, t := range traces {
		if t.MailNo != "" && t.MailNo != waybill {
			return nil, fmt.Errorf("trace of %s in the answer for %s", t.MailNo, waybill)
		}
		at, err := courier.ParseLocalTime(t.OpTime)
		if err != nil {
			return nil, fmt.Errorf("trace of %s: bad opTime %q", waybill, t.OpTime)
		}
		loc := t.OpOrgCity
		if loc == "" {
			loc = t.OpOrgName
		}
		evs = append(evs, courier.Event{Carrier: "ems", Waybill: waybill, Status: StatusOf(t.OpCode, t.OpDesc),
			RawCode: t.OpCode, RawText: t.OpDesc, At: at, Location: loc})
	}
	return evs, nil
}
