package ems

import (
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/tongban/tongban/courier"
)

func TestSignCanonicalString(t *testing.T) {
	t.Parallel()
	form := url.Values{
		"method": {MethodTrace}, "app_key": {"K1"}, "timestamp": {"2025-03-01 08:00:00"},
		"format": {"json"}, "v": {"1.0"}, "sign_method": {"sha256"},
		"biz_content": {`{"mailNo":"1100000000001"}`}, "empty": {""}, "sign": {"ignored"},
	}
	// Computed independently (Python hashlib) over the documented canonical string.
	const want = "MdD9BqZWMiSG/5gkl66oYczj6aAVthGKrj96CJC+GY0="
	if got := Sign(form, "秘密"); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
	form.Set("sign", want)
	if !Verify(form, "秘密") || Verify(form, "other") {
		t.Fatal("Verify disagrees with Sign")
	}
	signed := SignedForm("K1", "秘密", MethodTrace, `{"mailNo":"1"}`, time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC))
	if signed.Get("timestamp") != "2025-03-01 08:00:00" || !Verify(signed, "秘密") {
		t.Fatalf("SignedForm: %v", signed)
	}
}

func TestStatusOf(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		code, desc string
		want       courier.Status
	}{
		{"203", "已收寄", courier.StatusPickedUp},
		{"389", "到达北京市投递局", courier.StatusArrivedCity},
		{"704", "已妥投,本人签收", courier.StatusDelivered},
		{"704", "已妥投,他人代收:门卫", courier.StatusDeliveredProxy},
		{"706", "", courier.StatusDeliveredLocker},
		{"12345", "新环节", courier.StatusInTransit},
	} {
		if got := StatusOf(tt.code, tt.desc); got != tt.want {
			t.Errorf("StatusOf(%s, %q) = %s, want %s", tt.code, tt.desc, got, tt.want)
		}
	}
	for code, s := range opCodes {
		if !s.Valid() {
			t.Errorf("opCode %s maps to invalid %q", code, s)
		}
	}
}

func TestAnswerError(t *testing.T) {
	t.Parallel()
	if answerError(Answer{Success: "T"}) != nil {
		t.Fatal("T is an error")
	}
	if err := answerError(Answer{Success: ""}); !courier.Retryable(err) {
		t.Fatalf("missing success flag should be temporary, got %v", err)
	}
}

func FuzzTraceAnswer(f *testing.F) {
	f.Add([]byte(`{"success":"T","traces":[{"mailNo":"1100000000001","opTime":"2025-03-01 08:00:00","opCode":"203","opDesc":"已收寄"}]}`))
	f.Add([]byte(`{"success":"F","errorCode":"isv.mail-not-found"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var ans TraceAnswer
		if json.Unmarshal(body, &ans) != nil {
			return
		}
		_ = answerError(ans.Answer)
		evs, err := TraceEvents("1100000000001", ans.Traces)
		if err != nil && evs != nil {
			t.Fatal("events with an error")
		}
		for _, e := range evs {
			if !e.Status.Valid() || e.At.IsZero() {
				t.Fatalf("bad event %+v", e)
			}
		}
	})
}
