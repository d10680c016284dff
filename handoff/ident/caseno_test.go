package ident

import (
	"errors"
	"testing"
	"time"
)

func TestNewCaseNo(t *testing.T) {
	t.Parallel()
	// 23:30 UTC on 16 March is already 17 March in Shanghai.
	day := time.Date(2025, 3, 16, 23, 30, 0, 0, time.UTC)
	got := NewCaseNo("440100", day, 42)
	if want := "44010020250317000428"; got != want { // check computed independently
		t.Fatalf("NewCaseNo = %q, want %q", got, want)
	}
	c, err := ParseCaseNo(got)
	if err != nil {
		t.Fatal(err)
	}
	wantDay := time.Date(2025, 3, 17, 0, 0, 0, 0, shanghai)
	if c.Origin != "440100" || !c.Day.Equal(wantDay) || c.Serial != 42 {
		t.Errorf("ParseCaseNo = %+v", c)
	}
	if c.String() != got {
		t.Errorf("String() = %q", c.String())
	}
}

func TestNewCaseNoPanics(t *testing.T) {
	t.Parallel()
	day := time.Date(2025, 3, 17, 0, 0, 0, 0, shanghai)
	for _, tt := range []struct {
		origin string
		serial int
	}{{"44010", 1}, {"44010A", 1}, {"440100", 0}, {"440100", 100000}, {"440100", -1}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewCaseNo(%q, %d) did not panic", tt.origin, tt.serial)
				}
			}()
			NewCaseNo(tt.origin, day, tt.serial)
		}()
	}
}

func TestParseCaseNoErrors(t *testing.T) {
	t.Parallel()
	// withCheck appends the right check character so that the field checks
	// after it are reached.
	withCheck := func(body string) string { return body + string(mod112(body)) }
	tests := []struct {
		s, reason string
	}{
		{"", ReasonLength},
		{"4401002025031700042", ReasonLength},
		{"440100202503170004281", ReasonLength},
		{"44010020250317000A28", ReasonChars},
		{"4401002025031700042Y", ReasonChars},
		{"44010020250317000429", ReasonCheckChar},
		{withCheck("9901002025031700042"), ReasonRegion},
		{withCheck("4401002025023000042"), ReasonDate},
		{withCheck("4401002025131700042"), ReasonDate},
		{withCheck("4401002025031700000"), ReasonSerial},
	}
	for _, tt := range tests {
		_, err := ParseCaseNo(tt.s)
		var ce *CaseNoError
		if !errors.As(err, &ce) || ce.Reason != tt.reason {
			t.Errorf("ParseCaseNo(%q) = %v, want reason %q", tt.s, err, tt.reason)
			continue
		}
		if ce.MessageZH() == "" || ce.MessageEN() == "" {
			t.Errorf("ParseCaseNo(%q): empty message", tt.s)
		}
	}
}

func TestParseCaseNoLowercaseX(t *testing.T) {
	t.Parallel()
	// Find a serial whose check character is X.
	day := time.Date(2026, 1, 4, 0, 0, 0, 0, shanghai)
	for serial := 1; serial <= 100; serial++ {
		s := NewCaseNo("440600", day, serial)
		if s[19] != 'X' {
			continue
		}
		c, err := ParseCaseNo(s[:19] + "x")
		if err != nil || c.Serial != serial {
			t.Fatalf("ParseCaseNo(lowercase x) = %+v, %v", c, err)
		}
		return
	}
	t.Fatal("no serial in 1..100 has check character X")
}

// TestCaseNoCatchesTypos tries every single-character substitution and
// every swap of two neighbouring characters on sample numbers, including
// one ending in X, and requires ParseCaseNo to reject each of them.
func TestCaseNoCatchesTypos(t *testing.T) {
	t.Parallel()
	samples := []string{
		NewCaseNo("440100", time.Date(2025, 3, 17, 0, 0, 0, 0, shanghai), 42),
		NewCaseNo("440600", time.Date(2026, 12, 31, 0, 0, 0, 0, shanghai), 99999),
	}
	day := time.Date(2026, 1, 4, 0, 0, 0, 0, shanghai)
	for serial := 1; ; serial++ {
		if s := NewCaseNo("440600", day, serial); s[19] == 'X' {
			samples = append(samples, s)
			break
		}
	}
	const alphabet = "0123456789X"
	for _, good := range samples {
		if _, err := ParseCaseNo(good); err != nil {
			t.Fatalf("sample %s: %v", good, err)
		}
		for i := 0; i < len(good); i++ {
			for j := 0; j < len(alphabet); j++ {
				if alphabet[j] == good[i] {
					continue
				}
				bad := good[:i] + alphabet[j:j+1] + good[i+1:]
				if _, err := ParseCaseNo(bad); err == nil {
					t.Errorf("%s: substitution at %d accepted: %s", good, i, bad)
				}
			}
			if i+1 < len(good) && good[i] != good[i+1] {
				b := []byte(good)
				b[i], b[i+1] = b[i+1], b[i]
				if _, err := ParseCaseNo(string(b)); err == nil {
					t.Errorf("%s: swap at %d accepted: %s", good, i, b)
				}
			}
		}
	}
}

func FuzzParseCaseNo(f *testing.F) {
	f.Add("44010020250317000428", "440600", int64(1742169600), 7)
	f.Add("4401002025031700042x", "440100", int64(0), 99999)
	f.Add("", "110000", int64(-2208988800), 1)
	f.Fuzz(func(t *testing.T, s, origin string, unix int64, serial int) {
		// Whatever the input, no panic, and only well-formed numbers pass.
		if c, err := ParseCaseNo(s); err == nil {
			if len(c.Origin) != 6 || c.Serial < 1 || c.Serial > MaxSerial {
				t.Fatalf("ParseCaseNo(%q) = %+v", s, c)
			}
		} else {
			var ce *CaseNoError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is not a *CaseNoError", err)
			}
		}
		// Round trip for any input NewCaseNo accepts.
		if len(origin) != 6 || !allDigits(origin) || !validProvince(origin[:2]) || serial < 1 || serial > MaxSerial {
			return
		}
		day := time.Unix(unix%(400*366*86400), 0) // years 1570–2370: four-digit years only
		no := NewCaseNo(origin, day, serial)
		c, err := ParseCaseNo(no)
		if err != nil {
			t.Fatalf("ParseCaseNo(NewCaseNo(%q, %v, %d) = %q): %v", origin, day, serial, no, err)
		}
		y, m, d := day.In(shanghai).Date()
		if c.Origin != origin || c.Serial != serial || !c.Day.Equal(time.Date(y, m, d, 0, 0, 0, 0, shanghai)) {
			t.Fatalf("round trip %q gave %+v", no, c)
		}
	})
}
