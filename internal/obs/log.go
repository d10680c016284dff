// Package obs is how a node is observed: JSON logs, health and readiness, metrics.
package obs

import (
	"io"
	"log/slog"
	"regexp"
)

// NewLogger returns a JSON logger at level that masks anything shaped like a resident
// ID number or a mainland mobile number before it is written: code must not log
// personal data, and this is the net under that rule.
func NewLogger(w io.Writer, level slog.Level, node string) *slog.Logger {
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: maskAttr})
	return slog.New(h).With(slog.String("node", node))
}

var (
	idNumber = regexp.MustCompile(`\b(\d{6})\d{8}(\d{3}[\dXx])\b`)
	mobile   = regexp.MustCompile(`\b(1[3-9]\d)\d{4}(\d{4})\b`)
)

// Mask hides the middle of ID numbers and mobile numbers in s, keeping enough to
// recognise a record (440106********1234, 138****5678).
func Mask(s string) string {
	s = idNumber.ReplaceAllString(s, "$1********$2")
	return mobile.ReplaceAllString(s, "$1****$2")
}

func maskAttr(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindString {
		if v := a.Value.String(); idNumber.MatchString(v) || mobile.MatchString(v) {
			return slog.String(a.Key, Mask(v))
		}
	}
	return a
}
