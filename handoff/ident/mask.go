package ident

import (
	"strings"
	"unicode/utf8"
)

// The masks below keep just enough for a clerk to tell two records apart
// on a screen, label or log line. They work on runes, so Chinese text is
// never cut in the middle of a character. Surrounding white space is
// dropped and an empty input gives an empty result.

// MaskID keeps the first 6 and last 4 characters of an ID number:
// 440106********1234. Numbers shorter than 12 characters keep a quarter at
// each end, so at least half is always hidden.
func MaskID(s string) string { return keepEnds(s, 6, 4, 12) }

// MaskPhone keeps the first 3 and last 4 digits: 138****5678. Numbers
// shorter than 8 characters keep a quarter at each end.
func MaskPhone(s string) string { return keepEnds(s, 3, 4, 8) }

// MaskName keeps the surname and hides the given name rune for rune: 张*,
// 欧阳**. The surname is the first rune, or the first two for the common
// compound surnames, so that 欧阳娜娜 does not show as the misleading 欧***.
// A one-rune name is hidden completely.
func MaskName(s string) string {
	r := []rune(strings.TrimSpace(s))
	switch len(r) {
	case 0:
		return ""
	case 1:
		return "*"
	}
	keep := 1
	if len(r) > 2 && compoundSurnames[string(r[:2])] {
		keep = 2
	}
	return string(r[:keep]) + strings.Repeat("*", len(r)-keep)
}

var compoundSurnames = map[string]bool{
	"欧阳": true, "司马": true, "上官": true, "诸葛": true, "东方": true, "皇甫": true,
	"尉迟": true, "公孙": true, "慕容": true, "长孙": true, "宇文": true, "司徒": true,
	"夏侯": true, "令狐": true, "端木": true, "西门": true, "南宫": true, "独孤": true,
	"轩辕": true, "澹台": true, "公冶": true, "申屠": true, "太史": true, "钟离": true,
}

// MaskAddress keeps the first 6 runes, usually province, city and district,
// and replaces the rest with ****. Shorter addresses keep half.
func MaskAddress(s string) string {
	r := []rune(strings.TrimSpace(s))
	if len(r) == 0 {
		return ""
	}
	keep := 6
	if len(r) <= keep {
		keep = len(r) / 2
	}
	return string(r[:keep]) + "****"
}

// keepEnds keeps head and tail runes and stars the middle, rune for rune.
// Below minLen runes it keeps a quarter of the length at each end instead.
func keepEnds(s string, head, tail, minLen int) string {
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	if n < minLen {
		head, tail = n/4, n/4
	}
	r := []rune(s)
	return string(r[:head]) + strings.Repeat("*", n-head-tail) + string(r[n-tail:])
}
