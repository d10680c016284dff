package audit

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// tamper runs sql with the append-only trigger disabled, as an attacker with the
// table owner's rights could.
func tamper(t *testing.T, pool *pgxpool.Pool, sql string) {
	t.Helper()
	ctx := context.Background()
	for _, s := range []string{`ALTER TABLE audit_log DISABLE TRIGGER audit_log_guard`, sql, `ALTER TABLE audit_log ENABLE TRIGGER audit_log_guard`} {
		if _, err := pool.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func TestTamperingDetected(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		sql    string
		broken int64
		reason string
	}{
		{"detail changed", `UPDATE audit_log SET detail = '{"from": "rejected"}' WHERE seq = 6`, 6, "contents"},
		{"actor changed", `UPDATE audit_log SET actor = 'someone' WHERE seq = 2`, 2, "contents"},
		{"time changed", `UPDATE audit_log SET at = at - interval '1 day' WHERE seq = 9`, 9, "contents"},
		{"first row changed", `UPDATE audit_log SET outcome = 'denied' WHERE seq = 1`, 1, "contents"},
		{"last row changed", `UPDATE audit_log SET target = 'x' WHERE seq = 10`, 10, "contents"},
		{"row deleted", `DELETE FROM audit_log WHERE seq = 4`, 5, "missing"},
		{"rows reordered", `UPDATE audit_log SET chain_pos = CASE seq WHEN 3 THEN -3 ELSE chain_pos END;
			UPDATE audit_log SET chain_pos = 3 WHERE seq = 4; UPDATE audit_log SET chain_pos = 4 WHERE seq = 3`, 4, "prev_hash"},
		{"hash rewritten", `UPDATE audit_log SET hash = repeat('a', 64) WHERE seq = 7`, 7, "contents"},
		{"row rewritten with a recomputed hash", "", 8, "prev_hash"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pool, c, _ := setup(t)
			appendN(t, pool, 10, time.Time{})
			chainAll(t, c)
			verifyOK(t, pool, 10)
			if tc.sql == "" {
				// A careful attacker recomputes the changed row's hash; the next link breaks.
				r := readRow(t, pool, 7)
				r.actor = "someone"
				var prev string
				pool.QueryRow(context.Background(), `SELECT prev_hash FROM audit_log WHERE seq = 7`).Scan(&prev)
				tc.sql = `UPDATE audit_log SET actor = 'someone', hash = '` + chainHash(prev, r) + `' WHERE seq = 7`
			}
			tamper(t, pool, tc.sql)
			rep, err := Verify(context.Background(), pool)
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK || rep.FirstBroken != tc.broken || !strings.Contains(rep.Reason, tc.reason) {
				t.Errorf("Verify = %+v; want broken at seq %d (%s)", rep, tc.broken, tc.reason)
			}
		})
	}
}

func readRow(t *testing.T, pool *pgxpool.Pool, seq int64) row {
	t.Helper()
	var r row
	err := pool.QueryRow(context.Background(), `SELECT `+rowColumns+`, chain_pos FROM audit_log WHERE seq = $1`, seq).
		Scan(&r.seq, &r.at, &r.actor, &r.role, &r.action, &r.target, &r.outcome, &r.detail, &r.chainPos)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Ordinary SQL cannot change or remove audit rows, chained or not, nor forge anchors.
func TestAppendOnlyInDatabase(t *testing.T) {
	t.Parallel()
	pool, c, clk := setup(t)
	ctx := context.Background()
	appendN(t, pool, 3, time.Time{})
	chainAll(t, c)
	appendN(t, pool, 1, time.Time{}) // seq 4 stays unchained
	var hash1 string
	pool.QueryRow(ctx, `SELECT hash FROM audit_log WHERE seq = 1`).Scan(&hash1)

	refused := []string{
		`UPDATE audit_log SET detail = '{"x": 1}' WHERE seq = 2`,
		`UPDATE audit_log SET hash = NULL, prev_hash = NULL, chain_pos = NULL WHERE seq = 2`,
		`UPDATE audit_log SET hash = repeat('a', 64) WHERE seq = 2`,
		`UPDATE audit_log SET actor = 'other' WHERE seq = 4`,
		`UPDATE audit_log SET actor = 'other', hash = 'h', prev_hash = 'p', chain_pos = 99 WHERE seq = 4`,
		`DELETE FROM audit_log WHERE seq = 1`,
		`DELETE FROM audit_log WHERE seq = 4`,
		`DELETE FROM audit_log`,
		`TRUNCATE audit_log`,
		`INSERT INTO audit_log (at, actor, action, outcome, chain_pos, prev_hash, hash) VALUES (now(), 'x', 'y', 'ok', 50, 'p', 'h')`,
		`BEGIN; SET LOCAL tongban.audit_prune = 'on'; DELETE FROM audit_log WHERE seq = 1; COMMIT`,
		`UPDATE audit_anchor SET hash = 'x'`,
		`DELETE FROM audit_anchor`,
		`TRUNCATE audit_anchor`,
		`INSERT INTO audit_anchor (chain_pos, seq, hash, max_seq) VALUES (1, 1, '` + hash1 + `', 1)`,
		`BEGIN; SET LOCAL tongban.audit_prune = 'on'; INSERT INTO audit_anchor (chain_pos, seq, hash, max_seq) VALUES (2, 2, 'forged', 2); COMMIT`,
	}
	for _, sql := range refused {
		_, err := pool.Exec(ctx, sql)
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want refused as append-only", sql, err)
		}
		pool.Exec(ctx, `ROLLBACK`) // a multi-statement string that failed leaves no transaction, but be sure
	}
	if err := Append(ctx, pool, Entry{Actor: "x", Action: "still", Outcome: "ok"}); err != nil {
		t.Errorf("insert after refusals: %v", err)
	}
	// The refused INSERT used up seq 5: a gap the chainer waits Grace for, from when
	// it first sees it.
	chainAll(t, c)
	clk.add(c.Grace)
	chainAll(t, c)
	verifyOK(t, pool, 5)
}
