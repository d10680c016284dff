package ident

import (
	"errors"
	"testing"
	"time"
)

func TestResidentIDCheckChar(t *testing.T) {
	t.Parallel()
	// Check characters computed independently of this package.
	for _, id := range []string{
		"11010519491231002X", // the GB 11643 textbook example
		"440106199003071231",
		"440605198511200040",
		"440104200002295674",
		"810000197607010030",
		"440606201010103219",
	} {
		c, err := ResidentIDCheckChar(id[:17])
		if err != nil || c != id[17] {
			t.Errorf("ResidentIDCheckChar(%s) = %q, %v; want %q", id[:17], c, err, id[17])
		}
	}
	for _, bad := range []string{"", "1101051949123100", "110105194912310021", "11010519491231002A"} {
		if _, err := ResidentIDCheckChar(bad); err == nil {
			t.Errorf("ResidentIDCheckChar(%q) accepted", bad)
		}
	}
}

func TestValidResidentID(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 17, 9, 0, 0, 0, shanghai)
	tests := []struct {
		id     string
		reason string // "" means valid
	}{
		{"11010519491231002X", ""},
		{"11010519491231002x", ""}, // lowercase x is accepted
		{" 440106199003071231 ", ""},
		{"440104200002295674", ""}, // 29 Feb of a leap year
		{"810000197607010030", ""}, // Hong Kong resident
		{"", ReasonLength},
		{"11010519491231002", ReasonLength},
		{"11010519491231002X1", ReasonLength},
		{"1101051949123100-X", ReasonChars},
		{"11010519491231002Y", ReasonChars},
		{"X10105194912310021", ReasonChars},
		{"１１0105194912310021", ReasonLength}, // full-width digits are longer in bytes
		{"990105194912310021", ReasonRegion},
		{"100105194912310021", ReasonRegion},
		{"240105194912310021", ReasonRegion},
		{"440104190002295673", ReasonBirthDate}, // 1900 was not a leap year
		{"440104189912310000", ReasonBirthDate}, // before 1900
		{"440104202603180000", ReasonBirthDate}, // tomorrow
		{"440104199013010000", ReasonBirthDate}, // month 13
		{"440104199004310000", ReasonBirthDate}, // 31 April
		{"110105194912310021", ReasonCheckChar},
		{"440106199003071230", ReasonCheckChar},
	}
	for _, tt := range tests {
		err := validResidentID(tt.id, now)
		if tt.reason == "" {
			if err != nil {
				t.Errorf("validResidentID(%q) = %v, want valid", tt.id, err)
			}
			continue
		}
		var ie *IDError
		if !errors.As(err, &ie) || ie.Reason != tt.reason {
			t.Errorf("validResidentID(%q) = %v, want reason %q", tt.id, err, tt.reason)
			continue
		}
		if ie.MessageZH() == "" || ie.MessageEN() == "" || ie.Type != TypeResidentID {
			t.Errorf("validResidentID(%q): incomplete error %#v", tt.id, ie)
		}
	}
	// Born today is fine.
	if err := validResidentID("440104202603170000"[:17]+string(mod112("44010420260317000")), now); err != nil {
		t.Errorf("born today rejected: %v", err)
	}
}

func TestIDErrorMessages(t *testing.T) {
	t.Parallel()
	e := &IDError{Type: TypeResidentID, Reason: ReasonCheckChar}
	if e.MessageZH() != "校验位错误" || e.MessageEN() != "check character does not match" {
		t.Errorf("messages = %q / %q", e.MessageZH(), e.MessageEN())
	}
	if got, want := e.Error(), "ident: resident ID number invalid: check character does not match"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestNormalizeResidentID(t *testing.T) {
	t.Parallel()
	if got := NormalizeResidentID(" 11010519491231002x\t"); got != "11010519491231002X" {
		t.Errorf("NormalizeResidentID = %q", got)
	}
}

func FuzzValidResidentID(f *testing.F) {
	for _, s := range []string{"11010519491231002X", "440106199003071231", "", "x", "440104190002295673", "４４0106199003071231"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := ValidResidentID(s)
		if err == nil {
			n := NormalizeResidentID(s)
			if len(n) != 18 || mod112(n[:17]) != n[17] {
				t.Fatalf("accepted %q", s)
			}
			return
		}
		var ie *IDError
		if !errors.As(err, &ie) {
			t.Fatalf("error %v is not an *IDError", err)
		}
	})
}
