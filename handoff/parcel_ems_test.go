package handoff

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tongban/tongban/courier"
	"github.com/tongban/tongban/courier/ems"
	"github.com/tongban/tongban/courier/kuaidi100"
	"github.com/tongban/tongban/courier/sim"
)

const (
	simEMSKey, simEMSSecret, simEMSSender = "TB_EMS_440100", "ems-secret-440100", "1100000001"
	simK100Customer, simK100Key           = "TB_K100_440100", "k100-key-440100"
	simK100Salt                           = "k100-salt-440100"
)

// newEMSWorld is a parcel world whose origin hall ships with EMS and follows its
// parcels through kuaidi100 subscriptions, whose signed pushes come to the hall's
// kuaidi100 callback route: the carrier and tracking pair a hall without SF runs.
func newEMSWorld(t *testing.T) *parcelWorld {
	t.Helper()
	w, start := newParcelHalls(t)
	cfg, client := w.serveSim(t, sim.Config{EMS: []sim.EMSAccount{{AppKey: simEMSKey, Secret: simEMSSecret, SenderNo: simEMSSender}},
		Kuaidi100: []sim.Kuaidi100Account{{Customer: simK100Customer, Key: simK100Key}}, Seed: 11, PushTimeout: 5 * time.Second})
	cfg.Carrier, cfg.Tracking, cfg.CallbackBaseURL = "ems", "kuaidi100", w.a.base
	setup, err := NewCourierSetup(cfg, CourierAccounts{
		EMS:       &ems.Config{AppKey: simEMSKey, Secret: simEMSSecret, SenderNo: simEMSSender, Client: client("/ems")},
		Kuaidi100: &kuaidi100.Config{Customer: simK100Customer, Key: simK100Key, Salt: simK100Salt, Client: client("/kuaidi100")}})
	if err != nil {
		t.Fatal(err)
	}
	start(setup)
	return w
}

// TestParcelEMSTrackedByKuaidi100 takes a case from dispatch to delivery at both
// halls with an EMS order placed through the EMS gateway and every scan arriving as a
// kuaidi100 push to the hall; a push signed with another salt is refused with
// kuaidi100's answer, recorded, and changes nothing.
func TestParcelEMSTrackedByKuaidi100(t *testing.T) {
	t.Parallel()
	w := newEMSWorld(t)
	id, _, parcel := w.dispatchByCourier(t)
	if parcel.Carrier != "ems" || !regexp.MustCompile(`^1[0-9]{12}$`).MatchString(parcel.Waybill) || parcel.OrderID != courier.OrderID(id, "1") {
		t.Fatalf("parcel %+v", parcel)
	}
	checkWaybillCreated(t, w, id, parcel.Waybill, "ems", simEMSKey, "标准快递")
	eventually(t, "the kuaidi100 subscription", func() bool {
		state, company := k100Subscription(t, w.a, parcel.ID)
		return state == "subscribed" && company == "ems"
	})

	w.advance(6 * time.Hour)
	waitState(t, w.a, id, InTransit)
	waitState(t, w.b, id, InTransit)

	// kuaidi100 gives up on the number (abort): the hall records it and its poller
	// subscribes again, so the rest of the journey still arrives.
	abort := `{"status":"abort","billstatus":"","message":"3天查询无记录","autoCheck":"0","comOld":"","comNew":"",` +
		`"lastResult":{"message":"ok","state":"0","status":"200","ischeck":"0","com":"ems","nu":"` + parcel.Waybill + `","data":[]}}`
	if ans := postK100(t, w.a, abort, simK100Salt); ans != kuaidi100.PushOK {
		t.Fatalf("abort push answered %s", ans)
	}
	if state, _ := k100Subscription(t, w.a, parcel.ID); state != "aborted" {
		t.Fatalf("subscription %q after an abort, want aborted", state)
	}
	if err := w.a.Parcels().PollOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if state, _ := k100Subscription(t, w.a, parcel.ID); state != "subscribed" {
		t.Fatalf("subscription %q after the poller ran, want subscribed again", state)
	}
	w.advance(72 * time.Hour)
	waitState(t, w.a, id, Delivered)
	waitState(t, w.b, id, Delivered)

	pushes := w.sim.Pushes()
	if len(pushes) == 0 {
		t.Fatal("the simulator pushed nothing")
	}
	for _, p := range pushes {
		if p.Carrier != "kuaidi100" || !p.Accepted || p.Answer != kuaidi100.PushOK {
			t.Errorf("push %+v", p)
		}
	}
	if state, _ := k100Subscription(t, w.a, parcel.ID); state != "finished" {
		t.Errorf("subscription %q after the signed delivery, want finished", state)
	}
	got := w.parcel(t, w.a, id)
	if got.Status != courier.StatusDelivered {
		t.Fatalf("parcel %+v", got)
	}

	// A return scan signed with someone else's salt: refused, recorded, not applied.
	param := `{"status":"polling","billstatus":"check","message":"","lastResult":{"message":"ok","state":"6","status":"200",` +
		`"ischeck":"0","com":"ems","nu":"` + parcel.Waybill + `","data":[{"context":"退回","time":"2025-03-08 10:00:00",` +
		`"ftime":"2025-03-08 10:00:00","status":"退回","areaCode":"","areaName":""}]}}`
	if ans := postK100(t, w.a, param, "not-our-salt"); ans != kuaidi100.PushBadSignature {
		t.Fatalf("forged push answered %s", ans)
	}
	var verified bool
	var carrier string
	err := w.a.opt.DB.QueryRow(context.Background(), `SELECT verified, carrier FROM courier_callbacks ORDER BY received_at DESC, id DESC LIMIT 1`).Scan(&verified, &carrier)
	if err != nil || verified || carrier != "kuaidi100" {
		t.Fatalf("forged push recorded as verified=%v carrier=%q %v", verified, carrier, err)
	}
	if p := w.parcel(t, w.a, id); p.Status != courier.StatusDelivered {
		t.Fatalf("forged push applied: %s", p.Status)
	}
	if s := w.a.stateAt(t, id); s != Delivered {
		t.Fatalf("case went to %s after a forged push", s)
	}
}

// k100Subscription reads what the hall recorded of the parcel's kuaidi100 subscription.
func k100Subscription(t *testing.T, h *testHall, parcelID uuid.UUID) (state, company string) {
	t.Helper()
	err := h.opt.DB.QueryRow(context.Background(), `SELECT subscription, track_company FROM parcels WHERE id = $1`,
		parcelID).Scan(&state, &company)
	if err != nil {
		t.Fatal(err)
	}
	return state, company
}

// postK100 pushes param to the hall's kuaidi100 callback, signed with salt, and
// returns the answer.
func postK100(t *testing.T, h *testHall, param, salt string) string {
	t.Helper()
	form := url.Values{"param": {param}, "sign": {kuaidi100.CallbackSign(param, salt)}}
	resp, err := http.Post(h.base+"/api/v1/courier/callbacks/kuaidi100", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	ans, _ := io.ReadAll(resp.Body)
	return string(ans)
}
