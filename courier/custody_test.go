package courier

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestLinkBodyIsWhatJSONWrites: a link's body is hashed, so the encoder that writes
// courier events without reflection must give exactly encoding/json's bytes, or old
// chains would stop verifying. Links it does not take (escapes, other detail types)
// go to encoding/json.
func TestLinkBodyIsWhatJSONWrites(t *testing.T) {
	id := uuid.MustParse("0195a3c0-0000-7000-8000-000000000001")
	at := time.Date(2025, 3, 3, 9, 0, 0, 123456789, time.FixedZone("CST", 8*3600))
	links := []Link{
		{Seq: 3, At: at, Kind: CourierLink(StatusInTransit), Hall: "440100", Actor: "courier:sf",
			Detail: map[string]any{"waybill": "SF1400000000001", "raw_code": "30", "raw_text": "快件在【广州市】完成分拣,准备发出", "location": "广州市"}},
		{Seq: 1, At: at.Truncate(time.Second), Kind: LinkPackaged, Hall: "440100", Actor: "张三", Detail: map[string]any{}},
		{Seq: 12, Kind: LinkSignedFor},
		{Seq: 2, At: at, Kind: "k", Detail: map[string]any{"a": "<b>&c", "q": `"x"`, "nl": "a\nb", "bs": `a\b`}},
		{Seq: 2, At: at, Kind: "k", Detail: map[string]any{"bad": "\xff\xfe", "ls": "a\u2028b", "ps": "\u2029", "del": "\x7f"}},
		{Seq: 2, At: at, Kind: "a<b", Hall: "h&", Actor: "\t"},
		{Seq: 2, At: at, Kind: "k", Detail: map[string]any{"n": 1, "s": "x"}},
		{Seq: 2, At: at, Kind: "k", Detail: map[string]any{"nested": map[string]any{"x": "y"}}},
		{Seq: -1, At: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), Kind: "k"},
	}
	fast := 0
	for _, l := range links {
		got, gerr := linkBody(id, l)
		l.At = l.At.UTC().Truncate(time.Microsecond)
		want, werr := marshalLinkBody(id, l)
		if !bytes.Equal(got, want) || (gerr == nil) != (werr == nil) {
			t.Errorf("link %+v:\n got %s %v\nwant %s %v", l, got, gerr, want, werr)
		}
		if _, ok := appendLinkBody(nil, id, l); ok {
			fast++
		}
	}
	if fast != 3 {
		t.Errorf("%d links took the encoder without reflection, want the first three", fast)
	}
}

// FuzzLinkBody holds the reflection-free encoder to encoding/json's bytes for any
// strings a carrier or a clerk may put in a link.
func FuzzLinkBody(f *testing.F) {
	f.Add("courier:in_transit", "440100", "courier:sf", "raw_text", "快件到达【佛山市】", int64(1741000000123456))
	f.Add("k", "<", "&", "\u2028", "\xff", int64(-62135596800000000))
	f.Fuzz(func(t *testing.T, kind, hall, actor, key, val string, micros int64) {
		id := uuid.MustParse("0195a3c0-0000-7000-8000-000000000001")
		l := Link{Seq: 7, At: time.UnixMicro(micros).UTC(), Kind: kind, Hall: hall, Actor: actor, Detail: map[string]any{key: val, "waybill": val}}
		got, gerr := linkBody(id, l)
		want, werr := marshalLinkBody(id, l)
		if !bytes.Equal(got, want) || (gerr == nil) != (werr == nil) {
			t.Fatalf("link %+v:\n got %s %v\nwant %s %v", l, got, gerr, want, werr)
		}
	})
}

// FuzzVerifyChain feeds the verifier link bodies as they might come back from a
// tampered table: it must never panic, and must pass a chain only when every body
// is exactly what was hashed.
func FuzzVerifyChain(f *testing.F) {
	id := uuid.MustParse("0195a3c0-0000-7000-8000-000000000001")
	good, head, _ := chainLinks(id, chainHead{}, []Link{{Kind: LinkPackaged, Detail: map[string]any{"seal_no": "FZ1"}}, {Kind: LinkSignedFor}})
	f.Add(good[0].Body, good[1].Body, good[1].PrevHash)
	f.Add([]byte(`{}`), []byte(`null`), "")
	f.Fuzz(func(t *testing.T, b1, b2 []byte, prev2 string) {
		links := []StoredLink{
			{Link: Link{Seq: 1, Kind: LinkPackaged}, Body: b1, PrevHash: "", Hash: LinkHash("", b1)},
			{Link: Link{Seq: 2, Kind: LinkSignedFor}, Body: b2, PrevHash: prev2, Hash: LinkHash(prev2, b2)},
		}
		v := VerifyChain(id, links, head.Hash)
		if v.OK && (string(b1) != string(good[0].Body) || string(b2) != string(good[1].Body)) {
			t.Fatalf("a chain with other bodies verified: %q %q", b1, b2)
		}
	})
}

// FuzzConfigHalls reads TONGBAN_COURIER_HALLS entries and dimensions, outside input
// from the environment.
func FuzzConfigHalls(f *testing.F) {
	f.Add("440600=佛山市政务服务中心|0757-12345|佛山市禅城区", "320x230x20")
	f.Add("=||", "x")
	f.Fuzz(func(t *testing.T, hall, dims string) {
		c := DefaultConfig()
		c.Halls, c.Dimensions = []string{hall}, dims
		if err := c.Validate(); err != nil {
			return
		}
		code, p, err := parseHall(hall)
		if err != nil || !isDivisionCode(code) || p.DivisionCode != code {
			t.Fatalf("valid config with hall %q: %v %+v", hall, err, p)
		}
		if l, w, h, err := c.Dims(); err != nil || (dims != "" && (l <= 0 || w <= 0 || h <= 0)) {
			t.Fatalf("valid config with dimensions %q: %d %d %d %v", dims, l, w, h, err)
		}
	})
}
