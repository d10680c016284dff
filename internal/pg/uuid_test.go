package pg_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/tongban/tongban/internal/pg"
	"github.com/tongban/tongban/internal/pg/pgtest"
)

// TestUUIDsRoundTrip: a pool from Open reads and writes uuid.UUID values as the
// server has them, alone, in arrays, through pointers, and NULL, with the codec it
// registers on each connection.
func TestUUIDsRoundTrip(t *testing.T) {
	pool := pgtest.New(t)
	ctx := context.Background()
	a, b := uuid.MustParse("0195a3c0-0000-7000-8000-000000000001"), uuid.MustParse("ffffffff-1234-4abc-9def-00000000000a")

	var text string
	var back uuid.UUID
	if err := pool.QueryRow(ctx, `SELECT $1::uuid::text, $1::uuid`, a).Scan(&text, &back); err != nil {
		t.Fatal(err)
	}
	if text != a.String() || back != a {
		t.Fatalf("wrote %s, server has %s, read back %s", a, text, back)
	}

	var list []uuid.UUID
	var some, none *uuid.UUID
	nullInto := b
	if err := pool.QueryRow(ctx, `SELECT ARRAY[$1::uuid, $2::uuid], $2::uuid, NULL::uuid, NULL::uuid`, a, pg.UUIDs([]uuid.UUID{b})[0]).
		Scan(&list, &some, &none, &nullInto); err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0] != a || list[1] != b || some == nil || *some != b || none != nil {
		t.Fatalf("read %v, %v, %v", list, some, none)
	}
	// As uuid.UUID's own Scan does, NULL leaves the value alone.
	if nullInto != b {
		t.Fatalf("NULL scanned into a uuid.UUID gave %s", nullInto)
	}

	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, ok := conn.Conn().TypeMap().TypeForOID(2950); !ok {
		t.Fatal("no uuid type on the connection")
	}
	if plan := conn.Conn().TypeMap().PlanScan(2950, 1, &back); !pg.IsUUIDScan(plan) {
		t.Fatalf("a uuid.UUID is read by %T, not by the registered codec", plan)
	}
}
