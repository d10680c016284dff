package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// chainLock is the advisory lock key held (per transaction) by whoever extends or prunes
// the chain, so replicas sharing a database take turns.
const chainLock = 0x7467_6175 // "tgau"

// Chainer links committed audit rows into the hash chain. One runs per node process;
// replicas sharing a database take turns under an advisory lock.
//
// Order. Appends take seq from a sequence but commit in any order: seq 41 may become
// visible after seq 42, or never (its transaction rolled back, so sequences have gaps).
// Chaining 42 first and 41 later is allowed but makes the chain order differ from seq
// order, so the Chainer chains only a contiguous run: a row is chained once every lower
// seq has been chained or given up on. A missing seq is given up on (taken as rolled
// back) once the gap has been seen for Grace. Should the missing row commit after all,
// its transaction having lasted longer than Grace, it is chained at the tail with the
// next batch: nothing is lost, it is only out of seq order. Each row's chain_pos records
// its place, and Verify walks chain_pos, not seq.
//
// The gap timer lives in memory, so a restart only delays chaining by up to Grace.
// Everything else is read from the database on each pass, so replicas can alternate.
//
// Wake-up is a short poll of a small partial index rather than LISTEN/NOTIFY: a NOTIFY
// in every audited transaction would take PostgreSQL's global notify-queue lock at each
// commit, the very serialisation the split design avoids.
type Chainer struct {
	pool *pgxpool.Pool
	log  *slog.Logger

	// Grace is how long a gap in seq is waited for before it is taken as a rollback.
	// It should exceed the longest business transaction that audits; default 5 s.
	Grace time.Duration
	// Poll is the pause between passes when there is nothing to chain; default 500 ms.
	Poll time.Duration
	// Batch is the most rows chained per transaction; default 500.
	Batch int
	// Now is the clock for gap timing; default time.Now.
	Now func() time.Time

	mu       sync.Mutex
	gapStart int64     // the first missing seq of the gap being timed, 0 if none
	gapSeen  time.Time // when that gap was first seen
}

// NewChainer returns a Chainer with the default Grace, Poll and Batch.
func NewChainer(pool *pgxpool.Pool, log *slog.Logger) *Chainer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Chainer{pool: pool, log: log, Grace: 5 * time.Second, Poll: 500 * time.Millisecond, Batch: 500, Now: time.Now}
}

// Run chains rows until ctx ends, then returns nil. Errors (a database restart, say)
// are logged and retried after a pause: a stopped chainer would leave the log growing
// unchained, which Verify reports as Unchained.
func (c *Chainer) Run(ctx context.Context) error {
	backoff := c.Poll
	for {
		n, err := c.ChainOnce(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			c.log.Warn("audit: chain", slog.Any("err", err))
			backoff = min(2*backoff+c.Poll, 30*time.Second)
		case n > 0:
			backoff = c.Poll
			if n >= c.Batch {
				continue // more is waiting
			}
		default:
			backoff = c.Poll
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
	}
}

// ChainOnce chains one batch, if the lock is free, and returns how many rows it chained.
func (c *Chainer) ChainOnce(ctx context.Context) (int, error) {
	c.mu.Lock() // one pass at a time in this process; the advisory lock covers others
	defer c.mu.Unlock()
	tx, err := c.pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("audit: chain: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // after Commit a no-op
	var locked bool
	if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock($1)`, chainLock).Scan(&locked); err != nil {
		return 0, fmt.Errorf("audit: chain: lock: %w", err)
	}
	if !locked {
		return 0, nil // another replica is chaining or pruning
	}
	head, err := chainHead(ctx, tx)
	if err != nil {
		return 0, err
	}
	pending, err := unchained(ctx, tx, c.batch())
	if err != nil {
		return 0, err
	}
	var seqs, poss []int64
	var prevs, hashes []string
	frontier, pos, prev := head.maxSeq, head.pos, head.hash
	for _, r := range pending {
		if r.seq > frontier+1 && !c.gapExpired(frontier+1) {
			break // a lower seq may still commit
		}
		pos++
		r.chainPos = pos
		h := chainHash(prev, r)
		seqs, poss, prevs, hashes = append(seqs, r.seq), append(poss, pos), append(prevs, prev), append(hashes, h)
		prev, frontier = h, max(frontier, r.seq)
	}
	if len(seqs) == 0 {
		return 0, nil
	}
	tag, err := tx.Exec(ctx, `UPDATE audit_log l SET chain_pos = u.pos, prev_hash = u.prev, hash = u.hash
		FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[]) AS u(seq, pos, prev, hash)
		WHERE l.seq = u.seq AND l.hash IS NULL`, seqs, poss, prevs, hashes)
	if err != nil {
		return 0, fmt.Errorf("audit: chain: update: %w", err)
	}
	if tag.RowsAffected() != int64(len(seqs)) {
		return 0, fmt.Errorf("audit: chain: chained %d of %d rows; another writer?", tag.RowsAffected(), len(seqs))
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("audit: chain: commit: %w", err)
	}
	return len(seqs), nil
}

func (c *Chainer) batch() int {
	if c.Batch <= 0 {
		return 500
	}
	return c.Batch
}

// gapExpired reports whether the gap starting at seq has been seen for Grace, starting
// its timer on first sight. Only the lowest gap is ever timed: rows above it wait anyway.
func (c *Chainer) gapExpired(seq int64) bool {
	now := c.now()
	if c.gapStart != seq {
		c.gapStart, c.gapSeen = seq, now
	}
	if now.Sub(c.gapSeen) < c.Grace {
		return false
	}
	c.gapStart = 0
	return true
}

func (c *Chainer) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}

// head is where the chain ends: its last position and hash, and the highest seq chained
// so far (rows at or below it that are still unchained are late and go to the tail).
type head struct {
	pos    int64
	hash   string
	maxSeq int64
}

func chainHead(ctx context.Context, q pgx.Tx) (head, error) {
	var h head
	err := q.QueryRow(ctx, `SELECT chain_pos, hash FROM audit_log WHERE hash IS NOT NULL
		ORDER BY chain_pos DESC LIMIT 1`).Scan(&h.pos, &h.hash)
	if errors.Is(err, pgx.ErrNoRows) {
		err = q.QueryRow(ctx, `SELECT chain_pos, hash FROM audit_anchor ORDER BY chain_pos DESC LIMIT 1`).Scan(&h.pos, &h.hash)
	}
	if err != nil {
		return h, fmt.Errorf("audit: chain: head: %w", err)
	}
	err = q.QueryRow(ctx, `SELECT greatest(
		(SELECT max(seq) FROM audit_log WHERE hash IS NOT NULL),
		(SELECT max(max_seq) FROM audit_anchor))`).Scan(&h.maxSeq)
	if err != nil {
		return h, fmt.Errorf("audit: chain: head seq: %w", err)
	}
	return h, nil
}

func unchained(ctx context.Context, q pgx.Tx, limit int) ([]row, error) {
	rows, err := q.Query(ctx, `SELECT `+rowColumns+` FROM audit_log WHERE hash IS NULL ORDER BY seq LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("audit: chain: read: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		err := r.Scan(&x.seq, &x.at, &x.actor, &x.role, &x.action, &x.target, &x.outcome, &x.detail)
		return x, err
	})
	if err != nil {
		return nil, fmt.Errorf("audit: chain: read: %w", err)
	}
	return out, nil
}
