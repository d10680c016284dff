package pg

import "github.com/jackc/pgx/v5/pgtype"

// IsUUIDScan reports whether plan is uuidCodec's own scan of a uuid.UUID.
func IsUUIDScan(plan pgtype.ScanPlan) bool {
	_, ok := plan.(scanUUID)
	return ok
}

// IsArrayEncode reports whether plan is one of arrayCodec's own encodings.
func IsArrayEncode(plan pgtype.EncodePlan) bool {
	switch plan.(type) {
	case encodeTextArray, encodeByteaArray, encodeUUIDArray, encodeTimestamptzArray:
		return true
	}
	return false
}
