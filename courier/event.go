package courier

import (
	"fmt"
	"sort"
	"time"
)

// Event is one thing a carrier said about a parcel, normalised. RawCode and RawText
// keep what the carrier actually said, so a wrong mapping can be found and fixed later.
type Event struct {
	Carrier  string    // "sf", "ems", or a kuaidi100 company code for other couriers
	Waybill  string    // the carrier's waybill (tracking) number
	Status   Status    // normalised status
	RawCode  string    // the carrier's own code (SF opCode, EMS opCode, kuaidi100 state)
	RawText  string    // the carrier's description, as sent
	At       time.Time // when the carrier says it happened
	Location string    // where, as the carrier names it; may be empty
}

// Shanghai is China Standard Time. Chinese carriers send local times without a zone;
// China has no daylight saving, so a fixed zone avoids depending on tzdata.
var Shanghai = time.FixedZone("CST", 8*3600)

// LocalTimeLayout is the "2006-01-02 15:04:05" layout every carrier here uses.
const LocalTimeLayout = time.DateTime

// ParseLocalTime reads a carrier's zone-less local time as China Standard Time. Years
// outside 2000–2099 are refused: no parcel of ours moved then, and such a time is a
// carrier's placeholder or garbage.
func ParseLocalTime(s string) (time.Time, error) {
	t, err := time.ParseInLocation(LocalTimeLayout, s, Shanghai)
	if err != nil {
		return time.Time{}, err
	}
	if y := t.Year(); y < 2000 || y > 2099 {
		return time.Time{}, fmt.Errorf("courier: time %q out of range", s)
	}
	return t, nil
}

// FormatLocalTime writes t the way carriers expect it.
func FormatLocalTime(t time.Time) string { return t.In(Shanghai).Format(LocalTimeLayout) }

// SortEvents orders events by waybill, then time, then rank, so that a parcel's
// history reads in order even when the carrier sent it shuffled.
func SortEvents(evs []Event) {
	sort.SliceStable(evs, func(i, j int) bool { return eventBefore(evs[i], evs[j]) })
}

// eventBefore is SortEvents' order: by waybill, then carrier time, then status rank.
func eventBefore(a, b Event) bool {
	if a.Waybill != b.Waybill {
		return a.Waybill < b.Waybill
	}
	if !a.At.Equal(b.At) {
		return a.At.Before(b.At)
	}
	return a.Status.Rank() < b.Status.Rank()
}
