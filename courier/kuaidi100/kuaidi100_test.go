package kuaidi100

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/tongban/tongban/courier"
)

func TestSigns(t *testing.T) {
	t.Parallel()
	p := `{"com":"ems","num":"1100000000001"}`
	// Computed independently with Python's hashlib.
	if got := QuerySign(p, "KEY", "CUST"); got != "23847ED7D1496B0A883C1A176EA85966" {
		t.Errorf("QuerySign = %s", got)
	}
	if got := CallbackSign(p, "盐"); got != "AE7801256690B1FA8C5332C95766AEB3" {
		t.Errorf("CallbackSign = %s", got)
	}
	if !VerifyCallback(p, "盐", "AE7801256690B1FA8C5332C95766AEB3") || VerifyCallback(p, "盐", "ae7801256690b1fa8c5332c95766aeb3") {
		t.Error("VerifyCallback must take exactly the upper-case sign")
	}
}

func TestStatusOf(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		code, text string
		want       courier.Status
	}{
		{"0", "", courier.StatusInTransit},
		{"1", "", courier.StatusPickedUp},
		{"3", "已签收,签收人:本人", courier.StatusDelivered},
		{"3", "已签收,门卫代收", courier.StatusDeliveredProxy},
		{"4", "", courier.StatusReturned},
		{"5", "", courier.StatusOutForDelivery},
		{"6", "", courier.StatusReturning},
		{"14", "", courier.StatusException},
		{"101", "", courier.StatusCreated},
		{"103", "", courier.StatusPickedUp},
		{"1001", "", courier.StatusArrivedCity},
		{"501", "", courier.StatusDeliveredLocker},
		{"301", "门卫", courier.StatusDelivered}, // the advanced code already says who
		{"303", "", courier.StatusDeliveredProxy},
		{"304", "", courier.StatusDeliveredLocker},
		{"401", "", courier.StatusCancelled},
		{"205", "", courier.StatusException},
		{"9999", "", courier.StatusInTransit},
	} {
		if got := StatusOf(tt.code, tt.text); got != tt.want {
			t.Errorf("StatusOf(%s, %q) = %s, want %s", tt.code, tt.text, got, tt.want)
		}
	}
	for c := 201; c <= 210; c++ {
		if s, ok := states[strconv.Itoa(c)]; !ok || s != courier.StatusException {
			t.Errorf("exception code %d: %q", c, s)
		}
	}
}

func testAdapter(t testing.TB) *Adapter {
	t.Helper()
	a, err := New(Config{Customer: "CUST", Key: "KEY", Salt: "salt-1", CallbackURL: "http://tongban.test/cb/kuaidi100",
		Client: courier.ClientConfig{BaseURL: "http://127.0.0.1:1"}})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func pushBody(param, salt string) string {
	return url.Values{"param": {param}, "sign": {CallbackSign(param, salt)}}.Encode()
}

const pollingParam = `{"status":"polling","billstatus":"check","message":"","autoCheck":"1","comOld":"yuantong","comNew":"ems",
 "lastResult":{"message":"ok","nu":"1100000000001","ischeck":"1","com":"yuantong","status":"200","condition":"F00","state":"301",
 "data":[{"time":"2025-03-02 10:00:00","context":"已签收,本人签收","areaName":"北京市","status":"签收","statusCode":"301"},
         {"time":"2025-03-02 08:00:00","context":"正在派件","areaName":"北京市","status":"派件","statusCode":"5"},
         {"time":"2025-03-01 08:00:00","context":"已揽收","location":"广州市","status":"揽收"}]}}`

func TestParseNotification(t *testing.T) {
	t.Parallel()
	a := testAdapter(t)
	n, err := a.ParseNotification([]byte(pushBody(pollingParam, "salt-1")))
	if err != nil {
		t.Fatal(err)
	}
	if !n.Corrected || n.ComOld != "yuantong" || n.ComNew != "ems" || n.Company != "ems" || !n.Signed || n.Resubscribe {
		t.Errorf("notification = %+v", n)
	}
	if len(n.Events) != 3 || n.Events[0].Status != courier.StatusPickedUp || n.Events[0].RawCode != "1" ||
		n.Events[2].Status != courier.StatusDelivered || n.Events[2].Carrier != "ems" || n.Events[0].Location != "广州市" {
		t.Errorf("events = %+v", n.Events)
	}

	abort := `{"status":"abort","message":"3天查询无记录","lastResult":{"nu":"SF0000000000000","com":"shunfeng","state":"0","data":[]}}`
	n, err = a.ParseNotification([]byte(pushBody(abort, "salt-1")))
	if err != nil || !n.Resubscribe || n.Finished || len(n.Events) != 0 {
		t.Errorf("abort: %+v %v", n, err)
	}

	if _, err := a.ParseNotification([]byte(pushBody(pollingParam, "other"))); !errors.Is(err, courier.ErrBadSignature) {
		t.Errorf("bad sign: %v", err)
	}
}

func TestCallbackHandler(t *testing.T) {
	t.Parallel()
	a := testAdapter(t)
	req := httptest.NewRequest(http.MethodPost, "/cb", strings.NewReader(pushBody(pollingParam, "salt-1")))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	evs, ok, err := a.ParseCallback(req)
	if err != nil || !ok || len(evs) != 3 {
		t.Fatalf("%v %v %v", evs, ok, err)
	}
	for _, tt := range []struct {
		err  error
		want string
	}{
		{nil, `{"result":true,"returnCode":"200","message":"成功"}`},
		{courier.ErrBadSignature, `{"result":false,"returnCode":"500","message":"签名验证失败"}`},
		{errors.New("x"), `{"result":false,"returnCode":"500","message":"处理失败"}`},
	} {
		rec := httptest.NewRecorder()
		a.Ack(rec, tt.err)
		if rec.Code != 200 || rec.Body.String() != tt.want {
			t.Errorf("Ack(%v) = %d %s", tt.err, rec.Code, rec.Body.String())
		}
	}
}

func TestStr(t *testing.T) {
	t.Parallel()
	var v struct{ A, B, C Str }
	if err := json.Unmarshal([]byte(`{"A":"3","B":301,"C":null}`), &v); err != nil || v.A != "3" || v.B != "301" || v.C != "" {
		t.Fatalf("%+v %v", v, err)
	}
}

func FuzzParseCallback(f *testing.F) {
	a := testAdapter(f)
	f.Add(pushBody(pollingParam, "salt-1"))
	f.Add(pushBody(`{"status":"abort","lastResult":{"nu":"1","data":[{"time":"x"}]}}`, "salt-1"))
	f.Add("param=%7B&sign=")
	f.Fuzz(func(t *testing.T, body string) {
		n, err := a.ParseNotification([]byte(body))
		if err != nil {
			return
		}
		if n.Number == "" {
			t.Fatal("verified push without a number")
		}
		for _, e := range n.Events {
			if !e.Status.Valid() || e.At.IsZero() || e.Waybill != n.Number {
				t.Fatalf("bad event %+v", e)
			}
		}
	})
}

func FuzzParseParam(f *testing.F) {
	f.Add(pollingParam)
	f.Fuzz(func(t *testing.T, param string) {
		n, err := parseParam(param)
		if err == nil && n.Resubscribe != (n.Status == StatusAbort) {
			t.Fatal("Resubscribe disagrees with status")
		}
	})
}
