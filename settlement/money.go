package settlement

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Rounding says which way a division that does not come out even goes. Contracts
// differ (insurance is usually rounded up, discounts half up), so a tariff names it.
type Rounding string

const (
	RoundUp     Rounding = "up"      // towards +infinity for positive amounts
	RoundDown   Rounding = "down"    // truncate
	RoundHalfUp Rounding = "half_up" // .5 goes up
)

func (r Rounding) valid() bool { return r == RoundUp || r == RoundDown || r == RoundHalfUp }

// divRound divides a non-negative a by a positive b with the given rounding.
func divRound(a, b int64, r Rounding) int64 {
	if a <= 0 {
		return 0
	}
	q, rem := a/b, a%b
	switch r {
	case RoundUp:
		if rem > 0 {
			q++
		}
	case RoundHalfUp:
		if 2*rem >= b {
			q++
		}
	}
	return q
}

// applyBP returns amount × bp / 10000 rounded as r: a rate in basis points (1 bp =
// 0.01 %) applied to a fen amount without any floating point.
func applyBP(amount, bp int64, r Rounding) int64 { return divRound(amount*bp, 10000, r) }

var errDecimal = errors.New("not a decimal number")

// parseDecimal reads a plain decimal ("12", "-3.5", "0.05") with at most maxDec
// digits after the point and returns it scaled by 10^maxDec. Exponents, thousands
// separators, signs in odd places and extra decimals are refused: a bill that says
// "12.345" yuan is wrong, not something to round.
func parseDecimal(s string, maxDec int) (int64, error) {
	if v, ok := plainDecimal(s, maxDec); ok {
		return v, nil
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errDecimal
	}
	neg := false
	switch s[0] {
	case '-':
		neg, s = true, s[1:]
	case '+':
		s = s[1:]
	}
	whole, frac, hasPoint := strings.Cut(s, ".")
	if whole == "" || !allDigits(whole) || (hasPoint && (frac == "" || !allDigits(frac))) {
		return 0, errDecimal
	}
	if len(frac) > maxDec {
		return 0, fmt.Errorf("%d decimal places where at most %d are allowed", len(frac), maxDec)
	}
	if len(whole) > 15 {
		return 0, errors.New("number too large")
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, errDecimal
	}
	f := int64(0)
	if frac != "" {
		f, _ = strconv.ParseInt(frac, 10, 64)
	}
	for i := len(frac); i < maxDec; i++ {
		f *= 10
	}
	scale := int64(1)
	for range maxDec {
		scale *= 10
	}
	v := w*scale + f
	if neg {
		v = -v
	}
	return v, nil
}

// plainDecimal is parseDecimal's quick way for the usual form: an optional minus,
// one to fifteen digits, and a point with one to maxDec digits; ok is false for
// anything else, which parseDecimal then reads (or refuses) the careful way.
func plainDecimal(s string, maxDec int) (v int64, ok bool) {
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	i := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		v = v*10 + int64(s[i]-'0')
	}
	if i == 0 || i > 15 {
		return 0, false
	}
	dec := 0
	if i < len(s) {
		if s[i] != '.' {
			return 0, false
		}
		for i++; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			v = v*10 + int64(s[i]-'0')
			dec++
		}
		if dec == 0 || dec > maxDec || i < len(s) {
			return 0, false
		}
	}
	for ; dec < maxDec; dec++ {
		v *= 10
	}
	if neg {
		v = -v
	}
	return v, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// Yuan formats fen as yuan with two decimals, "12.30", "-0.05".
func Yuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return fmt.Sprintf("%s%d.%02d", sign, fen/100, fen%100)
}
