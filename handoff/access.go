package handoff

import (
	"net/http"

	"github.com/tongban/tongban/internal/auth"
)

// Who may use which route of a hall. Finance staff belong to the centre and have no
// route here: they never see applicants' data.
var (
	public    []auth.Role // with publicRoute: no login needed
	readers   = []auth.Role{auth.WindowClerk, auth.HallStaff, auth.Supervisor, auth.Admin}
	operators = []auth.Role{auth.WindowClerk, auth.HallStaff}
	clerks    = []auth.Role{auth.WindowClerk}
	staff     = []auth.Role{auth.HallStaff}
	admins    = []auth.Role{auth.Admin}
	auditors  = []auth.Role{auth.Supervisor, auth.Admin}
)

// stepAccess names who makes each move over the API: the window for the origin's
// moves, the deciding hall's staff for theirs, and either for what either window does.
var stepAccess = map[string][]auth.Role{
	TypeAccepted:            staff,
	TypeCorrectionRequested: staff,
	TypeRejected:            staff,
	TypePaused:              staff,
	TypeResumed:             staff,
	TypeConcluded:           staff,
	TypeResultDispatched:    staff,
	TypeSupplementSent:      operators,
	TypeResultDelivered:     operators,
	TypeClosed:              operators,
	TypeWithdrawn:           operators,
}

// securityHeaders go on every answer: no framing, no sniffing, no referrer leaks, a
// strict content policy (pages use only their own scripts and styles), HSTS on TLS.
func securityHeaders(w http.ResponseWriter, r *http.Request) {
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
