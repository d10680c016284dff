package ident

import (
	"errors"
	"testing"
)

func TestUSCCCheckChar(t *testing.T) {
	t.Parallel()
	// 91350100M000100Y43 is the GB 32100 textbook example; the others were
	// computed independently.
	for _, code := range []string{"91350100M000100Y43", "91440101MA5CXXXX08", "124406000075024555", "11440100006941234R"} {
		c, err := USCCCheckChar(code[:17])
		if err != nil || c != code[17] {
			t.Errorf("USCCCheckChar(%s) = %q, %v; want %q", code[:17], c, err, code[17])
		}
	}
}

func TestValidIDNumber(t *testing.T) {
	t.Parallel()
	tests := []struct {
		typ, number, reason string
	}{
		{TypeResidentID, "11010519491231002x", ""},
		{TypeResidentID, "110105194912310021", ReasonCheckChar},
		{TypeUSCC, "91350100M000100Y43", ""},
		{TypeUSCC, "91350100m000100y43", ""}, // lowercase is normalised
		{TypeUSCC, "91350100M000100Y44", ReasonCheckChar},
		{TypeUSCC, "91350100M000100Y34", ReasonCheckChar}, // swapped
		{TypeUSCC, "91350100M000100Y4", ReasonLength},
		{TypeUSCC, "91350100M00O100Y43", ReasonChars}, // letter O is not in the alphabet
		{TypeUSCC, "91350100M000100Y4I", ReasonChars},
		{TypePassport, "E12345678", ""},
		{TypePassport, "E1234", ""},
		{TypePassport, "E123", ReasonLength},
		{TypePassport, "E1234567890123456789X", ReasonLength},
		{TypePassport, "E1234-678", ReasonChars},
		{TypeHKMacaoPass, "H12345678", ""},
		{TypeTaiwanPass, "12345678", ""},
		{"999", "12345678", ReasonType},
		{"", "12345678", ReasonType},
	}
	for _, tt := range tests {
		err := ValidIDNumber(tt.typ, tt.number)
		if tt.reason == "" {
			if err != nil {
				t.Errorf("ValidIDNumber(%s, %q) = %v, want valid", tt.typ, tt.number, err)
			}
			continue
		}
		var ie *IDError
		if !errors.As(err, &ie) || ie.Reason != tt.reason {
			t.Errorf("ValidIDNumber(%s, %q) = %v, want reason %q", tt.typ, tt.number, err, tt.reason)
		}
	}
}

func TestIDTypesNamed(t *testing.T) {
	t.Parallel()
	for _, code := range []string{TypeResidentID, TypePassport, TypeHKMacaoPass, TypeTaiwanPass, TypeUSCC} {
		if IDTypes[code] == "" {
			t.Errorf("IDTypes[%s] has no name", code)
		}
		if typeLabelEN(code) == "ID" {
			t.Errorf("type %s has no English label", code)
		}
	}
}
