package pg

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// CommitRate measures how many single-row update transactions per second the server
// behind dsn commits with the given number of clients, like `pgbench -N`. Benchmarks
// report their throughput against it, so a figure means the same on a faster machine.
// It creates and drops its own table in that database.
func CommitRate(ctx context.Context, dsn string, clients int, d time.Duration) (float64, error) {
	pool, err := Open(ctx, dsn, int32(clients+1))
	if err != nil {
		return 0, err
	}
	defer pool.Close()
	const rows = 100_000
	table := fmt.Sprintf("commit_rate_%d", time.Now().UnixNano())
	if _, err := pool.Exec(ctx, `CREATE UNLOGGED TABLE IF NOT EXISTS `+table+` (id int PRIMARY KEY, balance bigint NOT NULL)`); err != nil {
		return 0, fmt.Errorf("pg: commit rate: %w", err)
	}
	// The table is unlogged only to fill it fast; it is switched to logged so the
	// updates pay the same WAL flush as real transactions.
	defer pool.Exec(context.WithoutCancel(ctx), `DROP TABLE IF EXISTS `+table) //nolint:errcheck
	if _, err := pool.Exec(ctx, `INSERT INTO `+table+` SELECT g, 0 FROM generate_series(1, $1) g`, rows); err != nil {
		return 0, fmt.Errorf("pg: commit rate: %w", err)
	}
	if _, err := pool.Exec(ctx, `ALTER TABLE `+table+` SET LOGGED`); err != nil {
		return 0, fmt.Errorf("pg: commit rate: %w", err)
	}
	var commits atomic.Int64
	var firstErr atomic.Value
	dctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for dctx.Err() == nil {
				_, err := pool.Exec(dctx, `UPDATE `+table+` SET balance = balance + $2 WHERE id = $1`, 1+rand.IntN(rows), rand.IntN(1000)-500)
				if err != nil {
					if dctx.Err() == nil {
						firstErr.CompareAndSwap(nil, err)
					}
					return
				}
				commits.Add(1)
			}
		}()
	}
	wg.Wait()
	if err, ok := firstErr.Load().(error); ok {
		return 0, fmt.Errorf("pg: commit rate: %w", err)
	}
	return float64(commits.Load()) / time.Since(start).Seconds(), nil
}
