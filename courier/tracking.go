package courier

// Case stages a parcel's status owes the case it carries. The case follows the parcel
// only as far as the courier can vouch: any scan after pickup puts the case in
// transit, and only a signature by the addressee delivers it. A proxy or locker
// delivery leaves the case in transit: the destination hall's staff must sign.
const (
	StageInTransit = "in_transit"
	StageDelivered = "delivered"
)

// CaseStage is the case stage status owes, or "" when it owes none (created,
// cancelled).
func CaseStage(s Status) string {
	switch {
	case s == StatusDelivered:
		return StageDelivered
	case s == StatusCancelled || s.Rank() < StatusPickedUp.Rank():
		return ""
	}
	return StageInTransit
}

// stageRank orders stages so a pending move is only ever raised.
func stageRank(stage string) int {
	switch stage {
	case StageInTransit:
		return 1
	case StageDelivered:
		return 2
	}
	return 0
}

// IncidentOf is the incident a status opens for staff, or "" for none: a proxy or
// locker delivery is not a receipt, and a returned parcel never arrived.
func IncidentOf(s Status) string {
	switch s {
	case StatusDeliveredProxy:
		return IncidentProxy
	case StatusDeliveredLocker:
		return IncidentLocker
	case StatusReturned:
		return IncidentReturned
	}
	return ""
}
