package sf

import (
	"net/url"
	"testing"
)

func TestMsgDigestPublishedExample(t *testing.T) {
	t.Parallel()
	got := MsgDigest(`{"language":"zh-CN","orderId":"QIAO-20200618-004"}`, "12312334453453", "fjcg5PGKaNpPSHFAZ4QsCOkV71R3zVci")
	if got != "IIKJtuLVzoFTu4kHI8M8vA==" {
		t.Fatalf("MsgDigest = %s, want SF's published IIKJtuLVzoFTu4kHI8M8vA==", got)
	}
}

func TestJavaURLEncode(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"a b":        "a+b",
		"*-._~":      "*-._%7E",
		`{"a":"+"}`:  "%7B%22a%22%3A%22%2B%22%7D",
		"广州":         "%E5%B9%BF%E5%B7%9E",
		"AZaz09":     "AZaz09",
		"100%/&=?#!": "100%25%2F%26%3D%3F%23%21",
	}
	for in, want := range tests {
		if got := JavaURLEncode(in); got != want {
			t.Errorf("JavaURLEncode(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzMsgDigest(f *testing.F) {
	f.Add(`{"language":"zh-CN","orderId":"QIAO-20200618-004"}`, "12312334453453", "fjcg5PGKaNpPSHFAZ4QsCOkV71R3zVci")
	f.Add("a b*~+", "0", "广州")
	f.Fuzz(func(t *testing.T, msg, ts, key string) {
		enc := JavaURLEncode(msg + ts + key)
		dec, err := url.QueryUnescape(enc)
		if err != nil || dec != msg+ts+key {
			t.Fatalf("JavaURLEncode does not round-trip: %q -> %q -> %q (%v)", msg+ts+key, enc, dec, err)
		}
		d := MsgDigest(msg, ts, key)
		if len(d) != 24 || !VerifyDigest(msg, ts, key, d) {
			t.Fatalf("digest %q does not verify", d)
		}
		if VerifyDigest(msg, ts, key+"x", d) {
			t.Fatal("digest verifies under another key")
		}
	})
}
