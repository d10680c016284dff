package pg

import (
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
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

// uuidCodec is pgx's uuid codec, taught to read and write a uuid.UUID itself. Left
// to pgx, a uuid.UUID is a sql.Scanner and a driver.Valuer: every value read is
// formatted as text and parsed back, and every value written is encoded as text
// first. Open registers it on every connection.
type uuidCodec struct{ pgtype.UUIDCodec }

func (c uuidCodec) PlanScan(m *pgtype.Map, oid uint32, format int16, target any) pgtype.ScanPlan {
	if _, ok := target.(*uuid.UUID); ok && format == pgtype.BinaryFormatCode {
		return scanUUID{}
	}
	return c.UUIDCodec.PlanScan(m, oid, format, target)
}

func (c uuidCodec) PlanEncode(m *pgtype.Map, oid uint32, format int16, value any) pgtype.EncodePlan {
	if _, ok := value.(uuid.UUID); ok && format == pgtype.BinaryFormatCode {
		return encodeUUID{}
	}
	return c.UUIDCodec.PlanEncode(m, oid, format, value)
}

type scanUUID struct{}

// Scan copies the 16 bytes; NULL leaves the target as it is, as uuid.UUID's own
// Scan does.
func (scanUUID) Scan(src []byte, dst any) error {
	if src == nil {
		return nil
	}
	if len(src) != 16 {
		return fmt.Errorf("pg: uuid of %d bytes", len(src))
	}
	copy(dst.(*uuid.UUID)[:], src)
	return nil
}

type encodeUUID struct{}

func (encodeUUID) Encode(value any, buf []byte) ([]byte, error) {
	id := value.(uuid.UUID)
	return append(buf, id[:]...), nil
}

// registerUUID gives conn's type map the uuid codec above.
func registerUUID(conn *pgx.Conn) {
	conn.TypeMap().RegisterType(&pgtype.Type{Name: "uuid", OID: pgtype.UUIDOID, Codec: uuidCodec{}})
}
