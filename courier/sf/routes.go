package sf

import (
	"context"
	"fmt"

	"github.com/tongban/tongban/courier"
)

// MaxRouteNumbers is how many numbers EXP_RECE_SEARCH_ROUTES takes in one call.
const MaxRouteNumbers = 10

type routeRequest struct {
	Language       string   `json:"language"`
	TrackingType   int      `json:"trackingType"` // 1: waybill numbers
	TrackingNumber []string `json:"trackingNumber"`
	MethodType     int      `json:"methodType"` // 1: standard routes
}

// Route is one scan as SF reports it, in a query answer or a push.
type Route struct {
	AcceptTime    string `json:"acceptTime"`
	AcceptAddress string `json:"acceptAddress"`
	Remark        string `json:"remark"`
	OpCode        string `json:"opCode"`
}

type routeAnswer struct {
	RouteResps []struct {
		MailNo string  `json:"mailNo"`
		Routes []Route `json:"routes"`
	} `json:"routeResps"`
}

// Track implements courier.Tracker, in batches of MaxRouteNumbers.
func (a *Adapter) Track(ctx context.Context, waybills []string) ([]courier.Event, error) {
	var evs []courier.Event
	for start := 0; start < len(waybills); start += MaxRouteNumbers {
		batch := waybills[start:min(start+MaxRouteNumbers, len(waybills))]
		var ans routeAnswer
		req := routeRequest{Language: "zh-CN", TrackingType: 1, TrackingNumber: batch, MethodType: 1}
		if err := a.call(ctx, "track", ServiceSearchRoute, req, true, &ans); err != nil {
			return nil, err
		}
		for _, rr := range ans.RouteResps {
			for _, r := range rr.Routes {
				ev, err := r.event(rr.MailNo)
				if err != nil {
					return nil, fmt.Errorf("sf: track: %w", err)
				}
				evs = append(evs, ev)
			}
		}
	}
	courier.SortEvents(evs)
	return evs, nil
}

func (r Route) event(waybill string) (courier.Event, error) {
	at, err := courier.ParseLocalTime(r.AcceptTime)
	if err != nil {
		return courier.Event{}, fmt.Errorf("route of %s: bad acceptTime %q", waybill, r.AcceptTime)
	}
	return courier.Event{
		Carrier: "sf", Waybill: waybill, Status: StatusOf(r.OpCode, r.Remark),
		RawCode: r.OpCode, RawText: r.Remark, At: at, Location: r.AcceptAddress,
	}, nil
}
