package pg_test

import (
	"context"
	"slices"
	"strings"
	"testing"

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
	if plan := conn.Conn().TypeMap().PlanEncode(pgtype.ByteaArrayOID, pgtype.BinaryFormatCode, [][]byte{{1}}); !pg.IsArrayEncode(plan) {
		t.Fatalf("a [][]byte is written by %T, not by the registered codec", plan)
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
