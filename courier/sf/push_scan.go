package sf

import (
	"bytes"
	"unicode/utf8"
)

// scanPushBody reads a route push without reflection: a hall takes thousands of them
// an hour, and encoding/json spent about 60 µs on each ten-route push. It takes only
// pushes as SF writes them: the Body and WaybillRoute keys spelt exactly, each route's
// fields plain strings (no escape sequences), other members scalars, no key twice.
// Anything else, valid or not, it declines (ok false) and encoding/json reads it, so
// every push decodes as encoding/json decodes it; FuzzScanPushBody holds the two
// together.
func scanPushBody(b []byte) (p PushBody, ok bool) {
	s := pushScanner{b: b}
	ok = s.object(func(key []byte) bool {
		switch {
		case string(key) == "Body":
			return s.object(func(key []byte) bool {
				switch {
				case string(key) == "WaybillRoute":
					if p.Body.WaybillRoute != nil {
						return false
					}
					p.Body.WaybillRoute = []PushRoute{}
					return s.array(func() bool {
						var r PushRoute
						if !s.route(&r) {
							return false
						}
						p.Body.WaybillRoute = append(p.Body.WaybillRoute, r)
						return true
					})
				case bytes.EqualFold(key, []byte("WaybillRoute")):
					return false
				}
				return s.scalar()
			})
		case bytes.EqualFold(key, []byte("Body")):
			return false
		}
		return s.scalar()
	})
	s.space()
	return p, ok && s.i == len(s.b)
}

// route reads one route object into r.
func (s *pushScanner) route(r *PushRoute) bool {
	fields := [...]struct {
		name string
		to   *string
	}{{"mailno", &r.MailNo}, {"orderid", &r.OrderID}, {"acceptTime", &r.AcceptTime}, {"acceptAddress", &r.AcceptAddress},
		{"remark", &r.Remark}, {"opCode", &r.OpCode}, {"reasonCode", &r.ReasonCode}, {"reasonName", &r.ReasonName}}
	var seen uint8
	return s.object(func(key []byte) bool {
		for i, f := range fields {
			if string(key) == f.name {
				if seen&(1<<i) != 0 {
					return false
				}
				seen |= 1 << i
				v, ok := s.str()
				*f.to = v
				return ok
			}
		}
		// encoding/json also matches a key to a field by case folding.
		for _, f := range fields {
			if bytes.EqualFold(key, []byte(f.name)) {
				return false
			}
		}
		return s.scalar()
	})
}

type pushScanner struct {
	b []byte
	i int
}

func (s *pushScanner) space() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\n' || s.b[s.i] == '\r') {
		s.i++
	}
}

// next reports whether the next byte after white space is c, and takes it if so.
func (s *pushScanner) next(c byte) bool {
	s.space()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// object reads {"key": value, ...}, calling member with each key to read its value.
// Keys must be plain ASCII, since encoding/json folds the case of others too.
func (s *pushScanner) object(member func(key []byte) bool) bool {
	if !s.next('{') {
		return false
	}
	if s.next('}') {
		return true
	}
	for {
		key, ok := s.raw()
		if !ok || !isASCII(key) || !s.next(':') || !member(key) {
			return false
		}
		if s.next('}') {
			return true
		}
		if !s.next(',') {
			return false
		}
	}
}

// array reads [value, ...], calling elem to read each value.
func (s *pushScanner) array(elem func() bool) bool {
	if !s.next('[') {
		return false
	}
	if s.next(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if s.next(']') {
			return true
		}
		if !s.next(',') {
			return false
		}
	}
}

// str reads a string with no escape sequence, control character or invalid UTF-8
// (which encoding/json would replace).
func (s *pushScanner) str() (string, bool) {
	v, ok := s.raw()
	return string(v), ok
}

// raw is str without the copy.
func (s *pushScanner) raw() ([]byte, bool) {
	if !s.next('"') {
		return nil, false
	}
	start := s.i
	for s.i < len(s.b) {
		switch c := s.b[s.i]; {
		case c == '"':
			v := s.b[start:s.i]
			s.i++
			return v, utf8.Valid(v)
		case c == '\\' || c < 0x20:
			return nil, false
		}
		s.i++
	}
	return nil, false
}

// scalar skips a member the push does not use: a plain string, true, false, null or
// a number.
func (s *pushScanner) scalar() bool {
	s.space()
	if s.i >= len(s.b) {
		return false
	}
	switch s.b[s.i] {
	case '"':
		_, ok := s.raw()
		return ok
	case 't':
		return s.word("true")
	case 'f':
		return s.word("false")
	case 'n':
		return s.word("null")
	}
	return s.number()
}

func (s *pushScanner) word(w string) bool {
	if bytes.HasPrefix(s.b[s.i:], []byte(w)) {
		s.i += len(w)
		return true
	}
	return false
}

// number skips a JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *pushScanner) number() bool {
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i < len(s.b) && s.b[s.i] == '0':
		s.i++
	case s.digits() == 0:
		return false
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if s.digits() == 0 {
			return false
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if s.digits() == 0 {
			return false
		}
	}
	return true
}

func (s *pushScanner) digits() int {
	n := 0
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
		n++
	}
	return n
}

func isASCII(s []byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
