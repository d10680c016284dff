package web

import (
	"net/http"
	"time"
)

// SecurityHeaders go on every answer of every node, API and pages alike: no framing,
// no sniffing, no referrer leaks, a content policy that allows only the node's own
// scripts and styles, no caching of answers that may hold personal data, and HSTS on TLS.
func SecurityHeaders(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'")
	h.Set("Cache-Control", "no-store")
	if r.TLS != nil {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
}

// LongUpload gives one request that carries a large file time beyond the server's
// read and write timeouts, which are right for everything else: a bill of a million
// lines can take minutes to upload over an office line and to import after that.
func LongUpload(w http.ResponseWriter, d time.Duration) {
	rc := http.NewResponseController(w)
	deadline := time.Now().Add(d)
	_ = rc.SetReadDeadline(deadline)
	_ = rc.SetWriteDeadline(deadline)
}
