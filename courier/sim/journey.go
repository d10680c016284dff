package sim

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// step is one kind of scan in a journey. How each carrier says it is in the tables
// below; the simulator keeps its own tables so the adapters' mappings are tested
// against something written separately.
type step int

const (
	stepPickup step = iota
	stepSorted
	stepDeparted
	stepArrived
	stepOut
	stepSigned
	stepSignedProxy
	stepLocker
)

func (k step) terminal() bool { return k >= stepSigned }

// scan is one scheduled scan of a parcel.
type scan struct {
	At       time.Time
	Step     step
	Location string
}

// schedule is a journey's shape: each step's offset from creation.
var schedule = []struct {
	Step  step
	After time.Duration
}{
	{stepPickup, 2 * time.Hour},
	{stepSorted, 4 * time.Hour},
	{stepDeparted, 5 * time.Hour},
	{stepArrived, 20 * time.Hour},
	{stepOut, 26 * time.Hour},
	{stepSigned, 29 * time.Hour},
}

// ending is how a journey ends, drawn at creation.
type ending int

const (
	endSigned ending = iota
	endProxy
	endLocker
	endLost
)

func drawEnding(rng *rand.Rand, f Faults) ending {
	if f.LostRate > 0 && rng.Float64() < f.LostRate {
		return endLost
	}
	x := rng.Float64()
	switch {
	case x < f.ProxySignRate:
		return endProxy
	case x < f.ProxySignRate+f.LockerRate:
		return endLocker
	}
	return endSigned
}

// plan schedules a journey, each offset jittered by up to ±15% so parcels do not move
// in lockstep. A lost parcel's scans stop after it leaves the origin.
func plan(rng *rand.Rand, created time.Time, from, to place, end ending) []scan {
	var scans []scan
	for _, s := range schedule {
		jitter := 0.85 + 0.3*rng.Float64()
		at := created.Add(time.Duration(float64(s.After) * jitter)).Truncate(time.Second)
		if len(scans) > 0 && !at.After(scans[len(scans)-1].At) {
			at = scans[len(scans)-1].At.Add(time.Minute)
		}
		loc := from.Name
		if s.Step >= stepArrived {
			loc = to.Name
		}
		k := s.Step
		if k == stepSigned {
			switch end {
			case endProxy:
				k = stepSignedProxy
			case endLocker:
				k = stepLocker
			}
		}
		scans = append(scans, scan{At: at, Step: k, Location: loc})
		if end == endLost && k == stepDeparted {
			break
		}
	}
	return scans
}

// How each carrier reports a step: SF opCode and remark, EMS opCode and opDesc,
// kuaidi100 advanced code (resultv2=4), basic state and state name.
type wording struct {
	SF, SFText       string
	EMS, EMSText     string
	K100, K100Basic  string
	K100Name, K100Tx string
}

var wordings = map[step]wording{
	stepPickup:      {"50", "顺丰速运 已收取快件", "203", "已收寄", "103", "1", "揽收", "快件已揽收"},
	stepSorted:      {"30", "快件在【%s】完成分拣,准备发出", "307", "【%s】已封发", "0", "0", "在途", "快件在【%s】完成分拣"},
	stepDeparted:    {"36", "快件已从【%s】发出", "305", "离开【%s】处理中心", "0", "0", "在途", "快件已从【%s】发出"},
	stepArrived:     {"31", "快件到达【%s】", "389", "到达【%s】投递局", "1001", "0", "在途", "快件到达【%s】"},
	stepOut:         {"44", "快件交给收派员,正在派送途中", "702", "【%s】安排投递", "5", "5", "派件", "【%s】派件员正在为您派件"},
	stepSigned:      {"80", "已签收,感谢使用顺丰 签收人:本人", "704", "已妥投,本人签收", "301", "3", "签收", "已签收,签收人:本人"},
	stepSignedProxy: {"80", "已签收,签收人:门卫代签", "704", "已妥投,他人代收:门卫", "303", "3", "签收", "已签收,门卫代签"},
	stepLocker:      {"125", "快件已投递至丰巢智能柜", "706", "已投递至智能包裹柜", "501", "3", "签收", "快件已投递至丰巢智能柜"},
}

func fill(text, loc string) string {
	if loc == "" {
		loc = "未知"
	}
	if containsVerb(text) {
		return fmt.Sprintf(text, loc)
	}
	return text
}

func containsVerb(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '%' && s[i+1] == 's' {
			return true
		}
	}
	return false
}
