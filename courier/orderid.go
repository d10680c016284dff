package courier

import (
	"crypto/sha256"
	"encoding/base32"
)

// OrderID derives our order number at a carrier from the case and the parcel within
// it. It is deterministic so that a create retried after a crash or a timeout carries
// the same number and the carrier can refuse the duplicate.
//
// The form is "TB" followed by 22 base32 characters (A–Z, 2–7) of SHA-256 over the
// case id and parcel number: 24 characters, inside every carrier's limit (SF 64, EMS
// 50, MaxOrderIDLen 32), with 110 bits against collisions. It carries no case data a
// courier could read.
func OrderID(caseID, parcelNo string) string {
	h := sha256.New()
	h.Write([]byte(caseID))
	h.Write([]byte{0}) // so ("ab","c") and ("a","bc") differ
	h.Write([]byte(parcelNo))
	enc := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(h.Sum(nil))
	return "TB" + enc[:22]
}
