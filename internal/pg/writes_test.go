package pg_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tongban/tongban/internal/pg"
	"github.com/tongban/tongban/internal/pg/pgtest"
)

// TestWritesSendInOrderAndNameTheFailure queues writes that depend on each other's
// order, then one that fails: Send runs them in order, names the failing one, and
// leaves w empty for reuse.
func TestWritesSendInOrderAndNameTheFailure(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t, widgets(v1))
	ids := []uuid.UUID{uuid.New(), uuid.Nil, uuid.New()}
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var w pg.Writes
		if err := w.Send(ctx, tx); err != nil {
			return err
		}
		w.Add("first widget", `INSERT INTO widget (id, name) VALUES (1, 'a')`)
		w.Add("same widget", `INSERT INTO widget (id, name) VALUES (1, 'b')`)
		w.Add("next widget", `INSERT INTO widget (id, name) VALUES (2, 'c')`)
		if err := w.Send(ctx, tx); err == nil || !strings.HasPrefix(err.Error(), "same widget: ") {
			t.Errorf("Send = %v, want the error of the second insert", err)
		}
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "rollback") {
		t.Fatalf("the failed batch's transaction committed: %v", err)
	}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var w pg.Writes
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE ids (n int, id uuid)`); err != nil {
			return err
		}
		w.Add("fill", `INSERT INTO ids (n, id) SELECT n, id FROM unnest($1::uuid[]) WITH ORDINALITY AS u(id, n)`, pg.NullUUIDs(ids))
		w.Add("fill plain", `INSERT INTO ids (n, id) SELECT n + 10, id FROM unnest($1::uuid[]) WITH ORDINALITY AS u(id, n)`, pg.UUIDs(ids))
		if err := w.Send(ctx, tx); err != nil {
			return err
		}
		if err := w.Send(ctx, tx); err != nil { // emptied by the first Send
			return err
		}
		rows, err := tx.Query(ctx, `SELECT n, id FROM ids ORDER BY n`)
		if err != nil {
			return err
		}
		got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
			var n int
			var id *uuid.UUID
			if err := r.Scan(&n, &id); err != nil {
				return "", err
			}
			if id == nil {
				return "null", nil
			}
			return id.String(), nil
		})
		if err != nil {
			return err
		}
		want := []string{ids[0].String(), "null", ids[2].String(), ids[0].String(), uuid.Nil.String(), ids[2].String()}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("rows %v, want %v", got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
