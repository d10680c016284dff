package courier

import (
	"testing"

	"github.com/google/uuid"
)

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
