package handoff

// State is where a case stands. Both halls keep a copy; the copies converge through
// the messages, and every move is a compare-and-set on the current state.
type State string

const (
	Accepted            State = "accepted"
	Dispatched          State = "dispatched"
	InTransit           State = "in_transit"
	Delivered           State = "delivered"
	Received            State = "received"
	UnderReview         State = "under_review"
	CorrectionRequested State = "correction_requested"
	Rejected            State = "rejected"
	Paused              State = "paused"
	Concluded           State = "concluded"
	ResultDispatched    State = "result_dispatched"
	ResultDelivered     State = "result_delivered"
	Closed              State = "closed"
	Withdrawn           State = "withdrawn"
)

// rank orders states along the life of a case, so a late message that would move a
// case backwards is recognised as stale. The received ⇄ correction_requested loop and
// paused ⇄ under_review share ranks for that reason.
var rank = map[State]int{
	Accepted: 0, Dispatched: 1, InTransit: 2, Delivered: 3,
	Received: 4, CorrectionRequested: 4, UnderReview: 5, Paused: 5,
	Rejected: 6, Concluded: 6, ResultDispatched: 7, ResultDelivered: 8,
	Closed: 9, Withdrawn: 9,
}

// Open reports whether the case can still move.
func (s State) Open() bool { return s != Closed && s != Withdrawn }

// openOnly is the condition that lets a list of cases in the given states walk only
// the index of open cases (cases_newest_open), or "" when some state asked for is not
// open or none is asked for. The planner uses a partial index only for a condition
// written in the statement, not for one that depends on a parameter.
func openOnly(states []State) string {
	for _, s := range states {
		if !s.Known() || !s.Open() {
			return ""
		}
	}
	if len(states) == 0 {
		return ""
	}
	return " AND open"
}

// Known reports whether s is a state of the machine.
func (s State) Known() bool { _, ok := rank[s]; return ok }

// Side is which hall of a case may make a move.
type Side int

const (
	OriginSide Side = 1 << iota
	DestinationSide
	EitherSide = OriginSide | DestinationSide
)

// Move is one kind of transition, named by the message that carries it to the partner.
type Move struct {
	Type string  // message type
	From []State // states the case may be in
	To   State
	By   Side // who may make it
}

var openStates = []State{Accepted, Dispatched, InTransit, Delivered, Received, UnderReview,
	CorrectionRequested, Paused, Concluded, ResultDispatched, ResultDelivered, Rejected}

// Moves is the whole state machine. Ownership follows DESIGN.md: the origin hall
// until delivered, the destination from received until result_dispatched; a supplement
// may be taken at either window, and either side may record the result's delivery.
var Moves = map[string]Move{
	TypeDispatched:          {TypeDispatched, []State{Accepted}, Dispatched, OriginSide},
	TypeInTransit:           {TypeInTransit, []State{Dispatched}, InTransit, OriginSide},
	TypeDelivered:           {TypeDelivered, []State{Dispatched, InTransit}, Delivered, OriginSide},
	TypeReceived:            {TypeReceived, []State{Dispatched, InTransit, Delivered}, Received, DestinationSide},
	TypeAccepted:            {TypeAccepted, []State{Received}, UnderReview, DestinationSide},
	TypeCorrectionRequested: {TypeCorrectionRequested, []State{Received}, CorrectionRequested, DestinationSide},
	TypeSupplementSent:      {TypeSupplementSent, []State{CorrectionRequested}, Received, EitherSide},
	TypeRejected:            {TypeRejected, []State{Received, CorrectionRequested}, Rejected, DestinationSide},
	TypePaused:              {TypePaused, []State{UnderReview}, Paused, DestinationSide},
	TypeResumed:             {TypeResumed, []State{Paused}, UnderReview, DestinationSide},
	TypeConcluded:           {TypeConcluded, []State{UnderReview}, Concluded, DestinationSide},
	TypeResultDispatched:    {TypeResultDispatched, []State{Concluded}, ResultDispatched, DestinationSide},
	TypeResultDelivered:     {TypeResultDelivered, []State{ResultDispatched}, ResultDelivered, EitherSide},
	TypeClosed:              {TypeClosed, []State{ResultDelivered, Rejected}, Closed, EitherSide},
	TypeWithdrawn:           {TypeWithdrawn, openStates, Withdrawn, EitherSide},
}

// owner is the side that may withdraw a case in state s: the hall that holds it.
func owner(s State) Side {
	if rank[s] <= rank[Delivered] {
		return OriginSide
	}
	return DestinationSide
}

func (m Move) allows(s State) bool {
	for _, f := range m.From {
		if f == s {
			return true
		}
	}
	return false
}
