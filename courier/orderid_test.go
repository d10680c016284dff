package courier

import (
	"regexp"
	"testing"
)

func TestOrderID(t *testing.T) {
	t.Parallel()
	a := OrderID("440106-2025-000123", "1")
	if a != OrderID("440106-2025-000123", "1") {
		t.Fatal("OrderID is not deterministic")
	}
	if !regexp.MustCompile(`^TB[A-Z2-7]{22}$`).MatchString(a) || len(a) > MaxOrderIDLen {
		t.Fatalf("OrderID %q has the wrong form", a)
	}
	seen := map[string]bool{a: true}
	for _, p := range [][2]string{{"440106-2025-000123", "2"}, {"440106-2025-00012", "31"}, {"", ""}, {"a", "bc"}, {"ab", "c"}} {
		id := OrderID(p[0], p[1])
		if seen[id] {
			t.Errorf("OrderID(%q, %q) collides", p[0], p[1])
		}
		seen[id] = true
	}
}

func FuzzOrderID(f *testing.F) {
	f.Add("case", "1")
	f.Fuzz(func(t *testing.T, c, p string) {
		id := OrderID(c, p)
		if len(id) != 24 || id != OrderID(c, p) {
			t.Fatalf("OrderID(%q,%q) = %q", c, p, id)
		}
	})
}
