package ident

import (
	"strings"
	"time"
	_ "time/tzdata" // Shanghai time must work on hosts without zoneinfo.
)

// shanghai is the zone of every civil date in this package: birth dates
// and case-number dates are Chinese calendar days, whatever the server's
// zone is.
var shanghai = mustZone("Asia/Shanghai")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic("ident: load " + name + ": " + err.Error())
	}
	return loc
}

// NormalizeResidentID trims surrounding white space and upper-cases a
// trailing x, the form in which a resident ID number is stored and
// compared.
func NormalizeResidentID(s string) string {
	return strings.ToUpper(strings.TrimSpace(s))
}

// ResidentIDCheckChar returns the GB 11643 check character ('0'–'9' or
// 'X') for the first 17 digits of a resident ID number.
func ResidentIDCheckChar(first17 string) (byte, error) {
	if len(first17) != 17 {
		return 0, &IDError{Type: TypeResidentID, Reason: ReasonLength}
	}
	if !allDigits(first17) {
		return 0, &IDError{Type: TypeResidentID, Reason: ReasonChars}
	}
	return mod112(first17), nil
}

// ValidResidentID reports whether s is a well-formed mainland resident ID
// number: 18 characters, 17 digits and a check character, a known
// province, a real birth date between 1900-01-01 and today (Shanghai time),
// and a matching check character. A lowercase x is accepted; store the
// [NormalizeResidentID] form. The error is an [*IDError].
func ValidResidentID(s string) error {
	return validResidentID(s, time.Now())
}

func validResidentID(s string, now time.Time) error {
	s = NormalizeResidentID(s)
	fail := func(reason string) error { return &IDError{Type: TypeResidentID, Reason: reason} }
	if len(s) != 18 {
		return fail(ReasonLength)
	}
	last := s[17]
	if !allDigits(s[:17]) || !(last >= '0' && last <= '9' || last == 'X') {
		return fail(ReasonChars)
	}
	if !validProvince(s[:2]) {
		return fail(ReasonRegion)
	}
	if !validBirthDate(s[6:14], now) {
		return fail(ReasonBirthDate)
	}
	if mod112(s[:17]) != last {
		return fail(ReasonCheckChar)
	}
	return nil
}

// validProvince reports whether the two digits are a GB/T 2260 province
// level code, including Taiwan (71), Hong Kong (81), Macao (82), the 83
// series issued to Taiwan residents and 91 for overseas Chinese.
func validProvince(p string) bool {
	n := int(p[0]-'0')*10 + int(p[1]-'0')
	switch {
	case n >= 11 && n <= 15, n >= 21 && n <= 23, n >= 31 && n <= 37,
		n >= 41 && n <= 46, n >= 50 && n <= 54, n >= 61 && n <= 65:
		return true
	}
	switch n {
	case 71, 81, 82, 83, 91:
		return true
	}
	return false
}

func validBirthDate(yyyymmdd string, now time.Time) bool {
	d, ok := parseDate(yyyymmdd)
	if !ok || d.Year() < 1900 {
		return false
	}
	y, m, dd := now.In(shanghai).Date()
	return !d.After(time.Date(y, m, dd, 0, 0, 0, 0, shanghai))
}

// parseDate parses 8 digits as a Shanghai civil date, rejecting dates that
// time.Date would normalise (such as 20230230).
func parseDate(yyyymmdd string) (time.Time, bool) {
	d, err := time.ParseInLocation("20060102", yyyymmdd, shanghai)
	if err != nil {
		return time.Time{}, false
	}
	return d, true
}
