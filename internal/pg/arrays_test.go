package pg_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/tongban/tongban/internal/pg"
	"github.com/tongban/tongban/internal/pg/pgtest"
)

// TestTextArraysRoundTrip: a []string parameter reaches the server as the same
// text[], however long or empty, and nil is NULL, through the encoder Open registers.
func TestTextArraysRoundTrip(t *testing.T) {
	pool := pgtest.New(t)
	ctx := context.Background()
	for _, in := range [][]string{{"SF1400000000001", "快件在【广州市】完成分拣,准备发出", "", "a\tb\"c"}, {}, {""}, nil} {
		var isNull bool
		var n int
		var joined string
		var back []string
		if err := pool.QueryRow(ctx, `SELECT $1::text[] IS NULL, coalesce(cardinality($1::text[]), -1),
			coalesce(array_to_string($1::text[], '|'), ''), $1::text[]`, in).Scan(&isNull, &n, &joined, &back); err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		wantN := len(in)
		if in == nil {
			wantN = -1
		}
		if isNull != (in == nil) || n != wantN || joined != strings.Join(in, "|") || !slices.Equal(back, in) {
			t.Fatalf("sent %q: server saw null %v, %d elements, %q; read back %q", in, isNull, n, joined, back)
		}
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if plan := conn.Conn().TypeMap().PlanEncode(pgtype.TextArrayOID, pgtype.BinaryFormatCode, []string{"x"}); !pg.IsArrayEncode(plan) {
		t.Fatalf("a []string is written by %T, not by the registered codec", plan)
	}
	for oid, v := range map[uint32]any{pgtype.ByteaArrayOID: [][]byte{{1}}, pgtype.UUIDArrayOID: pg.UUIDs(nil),
		pgtype.TimestamptzArrayOID: []time.Time{}} {
		if plan := conn.Conn().TypeMap().PlanEncode(oid, pgtype.BinaryFormatCode, v); !pg.IsArrayEncode(plan) {
			t.Fatalf("a %T is written by %T, not by the registered codec", v, plan)
		}
	}
}

// TestTimeAndUUIDArraysRoundTrip: each element of a []time.Time or UUIDs parameter
// is the value pgx's own codec writes for it alone, to the microsecond, before 1970
// and after 2000 alike.
func TestTimeAndUUIDArraysRoundTrip(t *testing.T) {
	pool := pgtest.New(t)
	ctx := context.Background()
	cst := time.FixedZone("CST", 8*3600)
	times := []time.Time{time.Date(2025, 3, 3, 9, 0, 0, 123456789, cst), time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1, 1, 1, 0, 0, 0, 1000, time.UTC), time.Unix(0, -1500)}
	for i, at := range times {
		var same bool
		var n int
		if err := pool.QueryRow(ctx, `SELECT ($1::timestamptz[])[$2] = $3::timestamptz, cardinality($1::timestamptz[])`,
			times, i+1, at).Scan(&same, &n); err != nil {
			t.Fatal(err)
		}
		if !same || n != len(times) {
			t.Fatalf("element %d (%s) differs from the same time sent alone (%d elements)", i, at, n)
		}
	}
	ids := []uuid.UUID{uuid.MustParse("0195a3c0-0000-7000-8000-000000000001"), uuid.Nil, uuid.MustParse("ffffffff-ffff-4fff-bfff-ffffffffffff")}
	var texts []string
	var empty int
	if err := pool.QueryRow(ctx, `SELECT $1::uuid[]::text[], cardinality($2::uuid[])`, pg.UUIDs(ids), pg.UUIDs(nil)).Scan(&texts, &empty); err != nil {
		t.Fatal(err)
	}
	if len(texts) != 3 || texts[0] != ids[0].String() || texts[1] != ids[1].String() || texts[2] != ids[2].String() || empty != 0 {
		t.Fatalf("sent %v, server has %v (no ids: %d elements)", ids, texts, empty)
	}
}

// TestByteaArraysRoundTrip: a [][]byte parameter reaches the server as the same
// bytea[], with a nil element as NULL and a nil slice as NULL.
func TestByteaArraysRoundTrip(t *testing.T) {
	pool := pgtest.New(t)
	ctx := context.Background()
	big := []byte(strings.Repeat("推送", 3000))
	for _, in := range [][][]byte{{[]byte("a"), {}, {0, 0xff, '\\'}, big}, {[]byte("x"), nil}, {}, nil} {
		var isNull bool
		var n, nulls int
		var back [][]byte
		if err := pool.QueryRow(ctx, `SELECT $1::bytea[] IS NULL, coalesce(cardinality($1::bytea[]), -1),
			(SELECT count(*) FROM unnest($1::bytea[]) AS u(b) WHERE b IS NULL), $1::bytea[]`, in).Scan(&isNull, &n, &nulls, &back); err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		wantN, wantNulls := len(in), 0
		for _, b := range in {
			if b == nil {
				wantNulls++
			}
		}
		if in == nil {
			wantN = -1
		}
		same := len(back) == len(in)
		for i := 0; same && i < len(in); i++ {
			same = string(back[i]) == string(in[i]) && (back[i] == nil) == (in[i] == nil)
		}
		if isNull != (in == nil) || n != wantN || nulls != wantNulls || !same {
			t.Fatalf("sent %d elements (%d nil): server saw null %v, %d elements, %d NULL; read back %d", len(in), wantNulls, isNull, n, nulls, len(back))
		}
	}
}
