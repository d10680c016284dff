package authkit

import (
	"strings"
	"testing"
)

func TestNewToken(t *testing.T) {
	t.Parallel()
	tok, id, hash := NewToken("tbk")
	if !strings.HasPrefix(tok, "tbk_"+id+"_") {
		t.Fatalf("token %q does not start with tbk_<id>_", tok)
	}
	if got, ok := TokenID(tok); !ok || got != id {
		t.Errorf("TokenID = %q, %v; want %q", got, ok, id)
	}
	if hash != HashToken(tok) || len(hash) != 64 || strings.Contains(hash, id) {
		t.Errorf("hash %q", hash)
	}
	if tok2, id2, _ := NewToken("tbk"); tok2 == tok || id2 == id {
		t.Error("two tokens collide")
	}
	under, uid, _ := NewToken("tb_api")
	if got, ok := TokenID(under); !ok || got != uid {
		t.Errorf("prefix with '_': TokenID = %q, %v", got, ok)
	}
}

func TestTokenIDRejects(t *testing.T) {
	t.Parallel()
	tok, _, _ := NewToken("tbk")
	i := strings.LastIndexByte(tok, '_')
	for _, bad := range []string{
		"", "tbk", "tbk__", "tbk_0123456789abcdef", tok[:len(tok)-1], tok + "a",
		strings.ToUpper(tok), tok[:i] + "_" + strings.Repeat("1", 52), // '1' is not base32
		"tbk_0123456789abcdeg" + tok[i:], // not hex
		tok[4:],                          // no prefix separator
	} {
		if id, ok := TokenID(bad); ok {
			t.Errorf("TokenID(%q) = %q, true", bad, id)
		}
	}
}

func TestSessionAndCSRF(t *testing.T) {
	t.Parallel()
	id, hash := NewSessionID()
	if len(id) != 43 || hash != HashToken(id) {
		t.Errorf("session id %q hash %q", id, hash)
	}
	if id2, _ := NewSessionID(); id2 == id {
		t.Error("session ids collide")
	}
	a := NewCSRFToken()
	if len(a) != 43 || a == NewCSRFToken() {
		t.Errorf("CSRF token %q", a)
	}
	cases := []struct {
		a, b string
		want bool
	}{
		{a, a, true}, {a, a + "x", false}, {a, a[:42], false}, {"", "", false}, {a, "", false}, {"", a, false},
	}
	for _, c := range cases {
		if got := EqualTokens(c.a, c.b); got != c.want {
			t.Errorf("EqualTokens(%q, %q) = %v", c.a, c.b, got)
		}
	}
}
