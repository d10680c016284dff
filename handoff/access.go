package handoff

import (
	"net/http"

	"github.com/tongban/tongban/internal/auth"
	"github.com/tongban/tongban/internal/web"
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

// securityHeaders are the headers every node sets (internal/web).
func securityHeaders(w http.ResponseWriter, r *http.Request) { web.SecurityHeaders(w, r) }
