package web

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
)

// Msg is a message for the visitor in both languages, so it reads right whichever
// language the next page is shown in.
type Msg struct {
	Kind string `json:"k"` // ok, info, warn, error
	ZH   string `json:"z"`
	EN   string `json:"e"`
}

// Text is the message in lang.
func (m Msg) Text(lang Lang) string {
	if lang == EN && m.EN != "" {
		return m.EN
	}
	return m.ZH
}

// Msg builds a message from a dictionary key.
func (s *Site) Msg(kind, key string, args ...any) Msg {
	return Msg{Kind: kind, ZH: s.dict.Text(ZH, key, args...), EN: s.dict.Text(EN, key, args...)}
}

const flashCookie = "tongban_flash"

// Flash keeps m for the next page the visitor sees (redirect after POST). It never
// carries personal data: messages name case numbers and outcomes, not people.
func (s *Site) Flash(w http.ResponseWriter, r *http.Request, m Msg) {
	b, _ := json.Marshal(m)
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: base64.RawURLEncoding.EncodeToString(b), Path: s.opt.Prefix + "/",
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.secure(r), MaxAge: 60})
}

// takeFlash reads and clears the flash message.
func (s *Site) takeFlash(w http.ResponseWriter, r *http.Request) *Msg {
	c, err := r.Cookie(flashCookie)
	if err != nil || c.Value == "" {
		return nil
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: s.opt.Prefix + "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: s.secure(r)})
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return nil
	}
	var m Msg
	if json.Unmarshal(b, &m) != nil || m.ZH == "" {
		return nil
	}
	switch m.Kind {
	case "ok", "info", "warn", "error":
	default:
		m.Kind = "info"
	}
	return &m
}
