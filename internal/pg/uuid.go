package pg

import (
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
)

// UUIDs gives ids as pgx encodes them straight to binary, for a uuid[] parameter.
// A uuid.UUID is a driver.Valuer: pgx encodes its string, which fails in binary
// format, formats that error, then parses the string back, for every element of an
// array. Statements that pass hundreds of ids at once should pass these instead.
// The result is a pgtype.FlatArray, which pgx walks without reflection.
func UUIDs(ids []uuid.UUID) pgtype.FlatArray[[16]byte] {
	out := make(pgtype.FlatArray[[16]byte], len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// NullUUIDs is UUIDs for a nullable column: uuid.Nil becomes NULL.
func NullUUIDs(ids []uuid.UUID) pgtype.FlatArray[*[16]byte] {
	out := make(pgtype.FlatArray[*[16]byte], len(ids))
	vals := make([][16]byte, len(ids))
	for i, id := range ids {
		if id != uuid.Nil {
			vals[i] = id
			out[i] = &vals[i]
		}
	}
	return out
}
