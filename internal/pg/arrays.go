package pg

import (
	"encoding/binary"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// arrayCodec is pgx's codec for text[], bytea[], uuid[] or timestamptz[] with a
// direct path for a []string, [][]byte, UUIDs or []time.Time parameter. pgx writes a
// slice through its generic array walk, which boxes every element in an interface,
// looks up its type and grows the message as it goes; ingestion passes columns of
// hundreds of values, raw pushes among them, in every statement. Everything else
// goes to pgx's codec.
type arrayCodec struct{ pgtype.Codec }

func (c arrayCodec) PlanEncode(m *pgtype.Map, oid uint32, format int16, value any) pgtype.EncodePlan {
	if format == pgtype.BinaryFormatCode {
		switch value.(type) {
		case []string:
			if oid == pgtype.TextArrayOID {
				return encodeTextArray{}
			}
		case [][]byte:
			if oid == pgtype.ByteaArrayOID {
				return encodeByteaArray{}
			}
		case pgtype.FlatArray[[16]byte]:
			if oid == pgtype.UUIDArrayOID {
				return encodeUUIDArray{}
			}
		case []time.Time:
			if oid == pgtype.TimestamptzArrayOID {
				return encodeTimestamptzArray{}
			}
		}
	}
	return c.Codec.PlanEncode(m, oid, format, value)
}

type encodeTextArray struct{}

func (encodeTextArray) Encode(value any, buf []byte) ([]byte, error) {
	ss := value.([]string)
	if ss == nil {
		return nil, nil
	}
	size := 0
	for _, s := range ss {
		size += len(s)
	}
	buf = arrayHeader(buf, pgtype.TextOID, len(ss), size, false)
	for _, s := range ss {
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(s)))
		buf = append(buf, s...)
	}
	return buf, nil
}

type encodeByteaArray struct{}

// Encode writes a nil element as NULL, as pgx does.
func (encodeByteaArray) Encode(value any, buf []byte) ([]byte, error) {
	bs := value.([][]byte)
	if bs == nil {
		return nil, nil
	}
	size, nulls := 0, false
	for _, b := range bs {
		size += len(b)
		nulls = nulls || b == nil
	}
	buf = arrayHeader(buf, pgtype.ByteaOID, len(bs), size, nulls)
	for _, b := range bs {
		if b == nil {
			buf = binary.BigEndian.AppendUint32(buf, 0xFFFFFFFF) // -1: NULL
			continue
		}
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(b)))
		buf = append(buf, b...)
	}
	return buf, nil
}

type encodeUUIDArray struct{}

// Encode writes what UUIDs gives.
func (encodeUUIDArray) Encode(value any, buf []byte) ([]byte, error) {
	ids := value.(pgtype.FlatArray[[16]byte])
	if ids == nil {
		return nil, nil
	}
	buf = arrayHeader(buf, pgtype.UUIDOID, len(ids), 16*len(ids), false)
	for _, id := range ids {
		buf = binary.BigEndian.AppendUint32(buf, 16)
		buf = append(buf, id[:]...)
	}
	return buf, nil
}

type encodeTimestamptzArray struct{}

// y2k is PostgreSQL's epoch, in microseconds after Unix's.
const y2k = 946684800 * 1000000

// Encode writes each time as microseconds since 2000-01-01 UTC, as pgx does (any
// nanoseconds below a microsecond dropped).
func (encodeTimestamptzArray) Encode(value any, buf []byte) ([]byte, error) {
	ts := value.([]time.Time)
	if ts == nil {
		return nil, nil
	}
	buf = arrayHeader(buf, pgtype.TimestamptzOID, len(ts), 8*len(ts), false)
	for _, t := range ts {
		buf = binary.BigEndian.AppendUint32(buf, 8)
		buf = binary.BigEndian.AppendUint64(buf, uint64(t.Unix()*1000000+int64(t.Nanosecond())/1000-y2k))
	}
	return buf, nil
}

// arrayHeader makes room for an array of n elements of size bytes in all and
// writes its header as pgx does for a slice: one dimension with lower bound 1 (also
// when empty), and whether any element is NULL. A nil slice is NULL, not an array.
func arrayHeader(buf []byte, elem uint32, n, size int, nulls bool) []byte {
	buf = slices.Grow(buf, 20+4*n+size)
	buf = binary.BigEndian.AppendUint32(buf, 1)
	var hasNull uint32
	if nulls {
		hasNull = 1
	}
	buf = binary.BigEndian.AppendUint32(buf, hasNull)
	buf = binary.BigEndian.AppendUint32(buf, elem)
	buf = binary.BigEndian.AppendUint32(buf, uint32(n))
	return binary.BigEndian.AppendUint32(buf, 1)
}

// registerArrays gives conn's type map the array codec above for the arrays it writes.
func registerArrays(conn *pgx.Conn) {
	for _, oid := range []uint32{pgtype.TextArrayOID, pgtype.ByteaArrayOID, pgtype.UUIDArrayOID, pgtype.TimestamptzArrayOID} {
		if t, ok := conn.TypeMap().TypeForOID(oid); ok {
			conn.TypeMap().RegisterType(&pgtype.Type{Name: t.Name, OID: t.OID, Codec: arrayCodec{t.Codec}})
		}
	}
}
