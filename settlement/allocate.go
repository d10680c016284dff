package settlement

import (
	"math/bits"
	"sort"
)

// Share is one recipient of an allocation: a key (the case id) and its weight.
type Share struct {
	Key    string
	Weight int64 // non-negative
	Amount int64 // set by Allocate
}

// Allocate splits total fen over shares in proportion to their weights, in whole fen,
// so that the amounts add up to total exactly (largest remainder method). Each share
// first gets the floor of its exact part; the fen left over go one each to the
// largest remainders, ties broken by key, so the same input always gives the same
// split. A negative total is split as its absolute value and negated. With no weight
// at all, nothing can be apportioned and ok is false.
func Allocate(total int64, shares []Share) (ok bool) {
	var sum uint64
	for _, s := range shares {
		if s.Weight < 0 {
			return false
		}
		sum += uint64(s.Weight)
	}
	if sum == 0 {
		return total == 0
	}
	neg := total < 0
	abs := uint64(total)
	if neg {
		abs = uint64(-total)
	}
	type rest struct {
		i   int
		rem uint64
	}
	rests := make([]rest, len(shares))
	var given uint64
	for i := range shares {
		// abs × weight may exceed 64 bits; the quotient cannot exceed abs.
		hi, lo := bits.Mul64(abs, uint64(shares[i].Weight))
		q, r := bits.Div64(hi, lo, sum)
		shares[i].Amount = int64(q)
		given += q
		rests[i] = rest{i, r}
	}
	sort.Slice(rests, func(a, b int) bool {
		if rests[a].rem != rests[b].rem {
			return rests[a].rem > rests[b].rem
		}
		return shares[rests[a].i].Key < shares[rests[b].i].Key
	})
	for k := uint64(0); k < abs-given; k++ {
		shares[rests[k].i].Amount++
	}
	if neg {
		for i := range shares {
			shares[i].Amount = -shares[i].Amount
		}
	}
	return true
}
