package node

import (
	"os"
	"runtime/debug"
)

// NodeGCPercent is the garbage collector's target for node processes unless GOGC
// says otherwise. A hall keeps a small live heap (tens of MB) while a burst of
// courier pushes or hand-offs allocates a few hundred MB a second, mostly request
// bodies and query parameters that die within the request; at Go's default of 100 the
// collector then runs several times a second and took about a tenth of the process's
// CPU in the ingestion benchmark. At 400 the heap may grow to five times the live
// data before a cycle, which for a hall is still well under 1 GB. GOMEMLIMIT, when
// set, still caps it.
const NodeGCPercent = 400

// TuneGC applies NodeGCPercent unless the environment sets GOGC.
func TuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(NodeGCPercent)
	}
}
