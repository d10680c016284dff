package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"time"
)

// genesisHash is the prev_hash of the first row ever chained (the genesis anchor).
const genesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// row is an audit_log row as hashed. detail is jsonb's text output, which is canonical
// (keys sorted, fixed spacing) whatever JSON was inserted.
type row struct {
	seq      int64
	chainPos int64
	at       time.Time
	actor    string
	role     string
	action   string
	target   string
	outcome  string
	detail   string
}

// rowColumns selects the hashed columns in row's order.
const rowColumns = `seq, at, actor, role, action, target, outcome, detail::text`

// chainHash is hex SHA-256(prev || encoding(r)). The encoding is a version tag and each
// field length-prefixed, so no two different rows encode alike (no "ab"+"c" = "a"+"bc").
// The time is in UTC at microseconds, PostgreSQL's precision, so the value read back
// hashes like the value that was chained.
func chainHash(prev string, r row) string {
	h := sha256.New()
	h.Write([]byte(prev))
	field(h, "tongban audit v1")
	var n [8]byte
	for _, v := range []int64{r.seq, r.chainPos} {
		binary.BigEndian.PutUint64(n[:], uint64(v))
		h.Write(n[:])
	}
	field(h, r.at.UTC().Format("2006-01-02T15:04:05.000000Z"))
	for _, s := range []string{r.actor, r.role, r.action, r.target, r.outcome, r.detail} {
		field(h, s)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func field(h hash.Hash, s string) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(s)))
	h.Write(n[:])
	h.Write([]byte(s))
}
