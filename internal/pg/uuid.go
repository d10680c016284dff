package pg

import "github.com/google/uuid"

// UUIDs gives ids as pgx encodes them straight to binary, for a uuid[] parameter.
// A uuid.UUID is a driver.Valuer: pgx encodes its string, which fails in binary
// format, formats that error, then parses the string back, for every element of an
// array. Statements that pass hundreds of ids at once should pass these instead.
func UUIDs(ids []uuid.UUID) [][16]byte {
	out := make([][16]byte, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// NullUUIDs is UUIDs for a nullable column: uuid.Nil becomes NULL.
func NullUUIDs(ids []uuid.UUID) []*[16]byte {
	out := make([]*[16]byte, len(ids))
	vals := make([][16]byte, len(ids))
	for i, id := range ids {
		if id != uuid.Nil {
			vals[i] = id
			out[i] = &vals[i]
		}
	}
	return out
}
