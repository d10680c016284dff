package sim_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"time"

	"github.com/tongban/tongban/courier"
	"github.com/tongban/tongban/courier/sf"
	"github.com/tongban/tongban/courier/sim"
)

// An SF order through the simulator: create, let two virtual days pass, track, bill.
func Example() {
	s, _ := sim.New(sim.Config{SF: []sim.SFAccount{{PartnerID: "TB", CheckWord: "cw", MonthlyCard: "7551234567"}}, Seed: 1})
	srv := httptest.NewServer(s)
	defer srv.Close()
	a, _ := sf.New(sf.Config{PartnerID: "TB", CheckWord: "cw", MonthlyCard: "7551234567",
		Client: courier.ClientConfig{BaseURL: srv.URL + "/sf", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}})

	ctx := context.Background()
	o, err := a.Create(ctx, courier.Shipment{
		OrderID:     courier.OrderID("440106-2025-000123", "1"),
		Sender:      courier.Party{Name: "天河区政务服务中心", Phone: "02087654321", Address: "广东省广州市天河区天府路1号", DivisionCode: "440106"},
		Recipient:   courier.Party{Name: "朝阳区政务服务中心", Phone: "13912345678", Address: "北京市朝阳区工体东路1号", DivisionCode: "110105"},
		WeightGrams: 600,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	s.Advance(ctx, 48*time.Hour)
	evs, _ := a.Track(ctx, []string{o.Waybill})
	fmt.Println(len(evs), evs[len(evs)-1].Status)

	b, _ := s.Bill("sf", "TB", "2025-03", 0)
	fmt.Println(len(b.Lines), b.Key.BilledTotalFen)
	// Output:
	// 6 delivered
	// 1 2300
}
