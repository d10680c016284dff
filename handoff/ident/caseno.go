package ident

import (
	"fmt"
	"strconv"
	"time"
)

// CaseNoLen is the length of a Tongban case number.
const CaseNoLen = 20

// MaxSerial is the highest daily serial a case number can carry.
const MaxSerial = 99999

// CaseNo is a parsed case number (办件编号): the division code of the
// origin window, the intake day and the origin's serial for that day.
type CaseNo struct {
	Origin string    // GB/T 2260 division code of the origin hall, 6 digits
	Day    time.Time // intake day, 00:00 Asia/Shanghai
	Serial int       // daily serial, 1–99999
}

// String formats c as its 20-character case number.
func (c CaseNo) String() string { return NewCaseNo(c.Origin, c.Day, c.Serial) }

// NewCaseNo builds a case number: the origin division code (6 digits), the
// day as yyyymmdd in Asia/Shanghai, the serial zero-padded to 5 digits and
// an ISO 7064 MOD 11-2 check character ('0'–'9' or 'X') over those 19
// digits. The check character lets the partner hall reject a number that
// was mistyped or misread before anything is looked up.
//
// A bad origin or a serial outside 1–99999 is a programming error and
// panics: the number would not parse back.
func NewCaseNo(origin string, day time.Time, serial int) string {
	if len(origin) != 6 || !allDigits(origin) {
		panic(fmt.Sprintf("ident: NewCaseNo: origin %q is not a 6-digit division code", origin))
	}
	if serial < 1 || serial > MaxSerial {
		panic(fmt.Sprintf("ident: NewCaseNo: serial %d outside 1..%d", serial, MaxSerial))
	}
	body := fmt.Sprintf("%s%s%05d", origin, day.In(shanghai).Format("20060102"), serial)
	return body + string(mod112(body))
}

// ParseCaseNo checks and splits a case number made by [NewCaseNo]. It
// accepts a lowercase x as check character. The error is a [*CaseNoError].
func ParseCaseNo(s string) (CaseNo, error) {
	fail := func(reason string) (CaseNo, error) { return CaseNo{}, &CaseNoError{Reason: reason} }
	if len(s) != CaseNoLen {
		return fail(ReasonLength)
	}
	body, check := s[:19], s[19]
	if check == 'x' {
		check = 'X'
	}
	if !allDigits(body) || !(check >= '0' && check <= '9' || check == 'X') {
		return fail(ReasonChars)
	}
	// The check comes before the field checks: a mistyped number is the
	// common case, and "mistyped" is the message that helps the clerk.
	if mod112(body) != check {
		return fail(ReasonCheckChar)
	}
	if !validProvince(body[:2]) {
		return fail(ReasonRegion)
	}
	day, ok := parseDate(body[6:14])
	if !ok {
		return fail(ReasonDate)
	}
	serial, _ := strconv.Atoi(body[14:19])
	if serial < 1 {
		return fail(ReasonSerial)
	}
	return CaseNo{Origin: body[:6], Day: day, Serial: serial}, nil
}
