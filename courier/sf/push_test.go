package sf

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/courier"
)

func testAdapter(t testing.TB, token courier.Secret) *Adapter {
	t.Helper()
	a, err := New(Config{PartnerID: "TB_TEST", CheckWord: "check-word", MonthlyCard: "7551234567",
		PushToken: token, Client: courier.ClientConfig{BaseURL: "http://127.0.0.1:1"}})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

const pushJSON = `{"Body":{"WaybillRoute":[
 {"id":"1","mailno":"SF1234567890123","orderid":"TBX","acceptTime":"2025-03-02 09:10:00","acceptAddress":"北京市","remark":"已签收,签收人:门卫","opCode":"80"},
 {"id":"2","mailno":"SF1234567890123","orderid":"TBX","acceptTime":"2025-03-02 07:00:00","acceptAddress":"北京市","remark":"派送中","opCode":"44"}]}}`

func TestParsePushSignedForm(t *testing.T) {
	t.Parallel()
	a := testAdapter(t, "")
	form := SignedForm("TB_TEST", "check-word", ServiceRoutePush, pushJSON, time.Now())
	req := httptest.NewRequest(http.MethodPost, "/cb/sf", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
	evs, ok, err := a.ParseCallback(req)
	if err != nil || !ok || len(evs) != 2 {
		t.Fatalf("evs=%v ok=%v err=%v", evs, ok, err)
	}
	if evs[0].Status != courier.StatusOutForDelivery || evs[1].Status != courier.StatusDeliveredProxy {
		t.Errorf("statuses %s, %s: want sorted out_for_delivery then delivered_proxy", evs[0].Status, evs[1].Status)
	}
	if evs[1].RawCode != "80" || evs[1].Location != "北京市" || evs[1].At.Hour() != 9 {
		t.Errorf("event fields lost: %+v", evs[1])
	}

	form.Set("msgDigest", MsgDigest(pushJSON, form.Get("timestamp"), "someone-else"))
	req = httptest.NewRequest(http.MethodPost, "/cb/sf", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if evs, ok, err := a.ParseCallback(req); !errors.Is(err, courier.ErrBadSignature) || ok || evs != nil {
		t.Fatalf("bad digest: evs=%v ok=%v err=%v", evs, ok, err)
	}
}

func TestParsePushJSONToken(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, token string
		cfg         courier.Secret
		verified    bool
		bad         bool
	}{
		{"right token", "s3cret", "s3cret", true, false},
		{"wrong token", "guess", "s3cret", false, true},
		{"no token configured", "", "", false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := testAdapter(t, tt.cfg)
			req := httptest.NewRequest(http.MethodPost, "/cb/sf?token="+url.QueryEscape(tt.token), strings.NewReader(pushJSON))
			req.Header.Set("Content-Type", "application/json")
			evs, ok, err := a.ParseCallback(req)
			if tt.bad != errors.Is(err, courier.ErrBadSignature) || ok != tt.verified {
				t.Fatalf("ok=%v err=%v", ok, err)
			}
			if !tt.bad && len(evs) != 2 {
				t.Fatalf("events = %d", len(evs))
			}
		})
	}
}

func TestAck(t *testing.T) {
	t.Parallel()
	a := testAdapter(t, "")
	for _, tt := range []struct {
		err  error
		want string
	}{
		{nil, `{"return_code":"0000","return_msg":"成功"}`},
		{courier.ErrBadSignature, `{"return_code":"1000","return_msg":"签名验证失败"}`},
		{errors.New("db down"), `{"return_code":"1000","return_msg":"处理失败"}`},
	} {
		rec := httptest.NewRecorder()
		a.Ack(rec, tt.err)
		if rec.Code != 200 || rec.Body.String() != tt.want {
			t.Errorf("Ack(%v) = %d %s", tt.err, rec.Code, rec.Body.String())
		}
	}
}

func FuzzParseCallback(f *testing.F) {
	a := testAdapter(f, "tok")
	f.Add("application/json", "tok", []byte(pushJSON))
	f.Add("application/x-www-form-urlencoded", "", []byte(SignedForm("TB_TEST", "check-word", ServiceRoutePush, pushJSON, time.Unix(0, 0)).Encode()))
	f.Add("application/json", "tok", []byte(`{"Body":{"WaybillRoute":[{"mailno":"x","acceptTime":"bad"}]}}`))
	f.Fuzz(func(t *testing.T, ct, token string, body []byte) {
		evs, ok, err := a.parsePush(ct, url.Values{"token": {token}}, body)
		if err != nil && (ok || evs != nil) {
			t.Fatalf("error with results: %v %v %v", evs, ok, err)
		}
		for _, e := range evs {
			if e.Waybill == "" || !e.Status.Valid() || e.At.IsZero() {
				t.Fatalf("bad event %+v", e)
			}
		}
	})
}
