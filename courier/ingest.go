package courier

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tongban/tongban/internal/pg"
)

// Callback is one push from a carrier, or one poll's answer, to be stored. A push
// keeps its raw body; a poll has none and is not recorded as a callback.
type Callback struct {
	Carrier     string // the handler that read it: "sf", "kuaidi100"
	ContentType string
	Body        []byte
	// Verified is whether the signature held. Unverified callbacks are recorded with
	// their error and never applied.
	Verified bool
	Error    string
	Source   string // "push" (default) or "poll"
	Events   []Event
	Notice   *Notice
}

// Notice is tracking-service news about one number (kuaidi100): tracking given up
// and to be subscribed again, finished, or the carrier code corrected.
type Notice struct {
	Waybill      string
	Subscription string // "aborted", "finished" or "" for no change
	Company      string // corrected kuaidi100 company, "" for none
}

// Advance is a parcel whose status moved in a batch.
type Advance struct {
	Parcel Parcel // after the move
	From   Status
	Events []Event // the new events that moved it, oldest first
	// Stage is the case stage now owed (pending_move), "" when unchanged.
	Stage string
}

// IngestResult says what became of one callback.
type IngestResult struct {
	CallbackID uuid.UUID
	Events     int // events it carried
	New        int // of which not seen before
	Unknown    int // for waybills this hall does not know
}

// IngestOptions tune an Ingester.
type IngestOptions struct {
	// Hall is the division code written into custody links.
	Hall string
	// Now is the hall's clock. Default time.Now.
	Now func() time.Time
	// MaxBatch bounds the callbacks one transaction takes. Default 256.
	MaxBatch int
	// Workers is how many batches may commit at once. Default 3.
	Workers int
	// Linger is how long a batch waits for more callbacks while another batch is
	// committing. Default 3ms; negative for none.
	Linger time.Duration
	// OnAdvance runs inside the batch's transaction with every parcel whose status
	// moved, so what it writes (incidents, case timeline) commits with the events.
	OnAdvance func(ctx context.Context, tx pgx.Tx, adv []Advance) error
	// Settle runs inside the batch's transaction, before the parcels are written,
	// with the parcels that owe their case a move (pending_move), so the moves can
	// commit with the events that caused them. It returns the parcels whose notes are
	// settled, which the batch clears, and a func (or nil) to run once the batch has
	// committed. What it does not settle stays owed.
	Settle func(ctx context.Context, tx pgx.Tx, owed []Parcel) (settled []uuid.UUID, committed func(), err error)
	// Committed runs after a batch committed with the parcels whose status moved;
	// those whose Parcel.PendingMove is set still owe their case a move, so the
	// caller can make it without waiting for a sweep.
	Committed func(adv []Advance)
}

// Ingester stores callbacks in batches. Carriers push one request at a time and
// expect an answer only after the push is stored, so each request waits on its
// batch; while one batch commits, the next gathers every request that arrived
// meanwhile (group commit). Under load one transaction carries many pushes, which is
// what lets ingestion outrun the database's commit rate.
type Ingester struct {
	db   *pgxpool.Pool
	opt  IngestOptions
	reqs chan *ingestReq
	busy atomic.Int32 // batches committing now
}

type ingestReq struct {
	cb   Callback
	res  IngestResult
	err  error
	done chan struct{}
}

// NewIngester builds an ingester; Run must be running for Ingest to return.
func NewIngester(db *pgxpool.Pool, opt IngestOptions) *Ingester {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.MaxBatch <= 0 {
		opt.MaxBatch = 256
	}
	if opt.Workers <= 0 {
		opt.Workers = 3
	}
	if opt.Linger == 0 {
		opt.Linger = 3 * time.Millisecond
	}
	return &Ingester{db: db, opt: opt, reqs: make(chan *ingestReq, opt.MaxBatch*opt.Workers)}
}

// ErrStopped is returned by Ingest when the ingester is not running.
var ErrStopped = errors.New("courier: ingester stopped")

// Ingest stores one callback and returns once it is committed.
func (in *Ingester) Ingest(ctx context.Context, cb Callback) (IngestResult, error) {
	r := &ingestReq{cb: cb, done: make(chan struct{})}
	select {
	case in.reqs <- r:
	case <-ctx.Done():
		return IngestResult{}, ctx.Err()
	}
	select {
	case <-r.done:
		return r.res, r.err
	case <-ctx.Done():
		// The batch may still commit; the carrier will push again and dedupe holds.
		return IngestResult{}, ctx.Err()
	}
}

// Run takes batches until ctx ends, then fails what is still queued.
func (in *Ingester) Run(ctx context.Context) error {
	done := make(chan struct{})
	for range in.opt.Workers {
		go func() {
			defer func() { done <- struct{}{} }()
			in.loop(ctx)
		}()
	}
	for range in.opt.Workers {
		<-done
	}
	for {
		select {
		case r := <-in.reqs:
			r.err = ErrStopped
			close(r.done)
		default:
			return nil
		}
	}
}

func (in *Ingester) loop(ctx context.Context) {
	for {
		var first *ingestReq
		select {
		case <-ctx.Done():
			return
		case first = <-in.reqs:
		}
		batch := in.gather(first)
		in.busy.Add(1)
		cbs := make([]Callback, len(batch))
		for i, r := range batch {
			cbs[i] = r.cb
		}
		res, err := in.IngestBatch(context.WithoutCancel(ctx), cbs)
		for i, r := range batch {
			if err == nil {
				r.res = res[i]
			}
			r.err = err
			close(r.done)
		}
		in.busy.Add(-1)
	}
}

// gather takes the callbacks queued behind first, up to MaxBatch. While another
// batch is committing, it lingers for more: a worker that took only the few pushes
// queued at that instant would pay a transaction's fixed cost for each of them.
// With every other worker idle it goes at once, so a quiet hall answers without
// delay.
func (in *Ingester) gather(first *ingestReq) []*ingestReq {
	batch := []*ingestReq{first}
	var linger <-chan time.Time
	if in.opt.Linger > 0 && in.busy.Load() > 0 {
		t := time.NewTimer(in.opt.Linger)
		defer t.Stop()
		linger = t.C
	}
	for len(batch) < in.opt.MaxBatch {
		if linger == nil {
			select {
			case r := <-in.reqs:
				batch = append(batch, r)
			default:
				return batch
			}
			continue
		}
		select {
		case r := <-in.reqs:
			batch = append(batch, r)
		case <-linger:
			return batch
		}
	}
	return batch
}

// IngestBatch stores callbacks in one transaction and returns a result per callback.
// The poller calls it directly with what it fetched.
func (in *Ingester) IngestBatch(ctx context.Context, cbs []Callback) ([]IngestResult, error) {
	var res []IngestResult
	var adv []Advance
	var settled func()
	err := pgx.BeginFunc(ctx, in.db, func(tx pgx.Tx) error {
		var err error
		res, adv, settled, err = in.ingestTx(ctx, tx, cbs)
		if err != nil {
			return err
		}
		if in.opt.OnAdvance != nil && len(adv) > 0 {
			return in.opt.OnAdvance(ctx, tx, adv)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("courier: ingest: %w", err)
	}
	if settled != nil {
		settled()
	}
	if in.opt.Committed != nil && len(adv) > 0 {
		in.opt.Committed(adv)
	}
	return res, nil
}

// eventKey is what makes an event the same event: carrier, waybill, code and time.
type eventKey struct {
	carrier, waybill, code string
	at                     int64 // microseconds, PostgreSQL's precision
}

func keyOf(e Event) eventKey {
	return eventKey{e.Carrier, e.Waybill, e.RawCode, e.At.UnixMicro()}
}

type pendingEvent struct {
	ev       Event
	cb       int       // index of its callback
	callback uuid.UUID // its id
	source   string
}

// ingestTx does the work of a batch: dedupe the events, fold them into their
// parcels' statuses (never backwards), chain them into custody and store them,
// record the callbacks, and let Settle make the case moves the parcels owe. Every
// table is written with one statement per batch.
func (in *Ingester) ingestTx(ctx context.Context, tx pgx.Tx, cbs []Callback) ([]IngestResult, []Advance, func(), error) {
	now := in.opt.Now().UTC()
	res := make([]IngestResult, len(cbs))
	seen := map[eventKey]bool{}
	var evs []pendingEvent
	waybills := map[string]bool{}
	for i, cb := range cbs {
		res[i].CallbackID, _ = uuid.NewV7()
		res[i].Events = len(cb.Events)
		if !cb.Verified {
			continue
		}
		src := cb.Source
		if src == "" {
			src = "push"
		}
		for _, e := range cb.Events {
			e.At = e.At.UTC().Truncate(time.Microsecond)
			k := keyOf(e)
			if seen[k] || !e.Status.Valid() || e.Waybill == "" {
				continue
			}
			seen[k] = true
			evs = append(evs, pendingEvent{ev: e, cb: i, callback: res[i].CallbackID, source: src})
			waybills[e.Waybill] = true
		}
	}
	// The parcels are locked, and the events already stored looked up, in one round
	// trip. The lookup runs after the locks are granted, so it sees what a batch that
	// held them committed.
	var b pgx.Batch
	var parcels map[string]Parcel
	var heads map[uuid.UUID]chainHead
	var stored map[eventKey]bool
	lockByWaybill(&b, waybills, func(p map[string]Parcel, h map[uuid.UUID]chainHead) { parcels, heads = p, h })
	storedEvents(&b, evs, func(k map[eventKey]bool) { stored = k })
	if err := tx.SendBatch(ctx, &b).Close(); err != nil {
		return nil, nil, nil, err
	}
	var fresh []pendingEvent
	for _, pe := range evs {
		if _, ok := parcels[pe.ev.Waybill]; !ok {
			res[pe.cb].Unknown++
		}
		if !stored[keyOf(pe.ev)] {
			res[pe.cb].New++
			fresh = append(fresh, pe)
		}
	}
	adv, rows, err := in.fold(fresh, parcels, heads, now)
	if err != nil {
		return nil, nil, nil, err
	}
	settled, err := in.settle(ctx, tx, adv)
	if err != nil {
		return nil, nil, nil, err
	}
	// What is left to write needs no answer: one round trip.
	var w pg.Writes
	updateParcels(&w, adv, heads, now)
	insertEvents(&w, rows, now)
	applyNotices(&w, cbs, now)
	insertCallbacks(&w, cbs, res, now)
	if err := w.Send(ctx, tx); err != nil {
		return nil, nil, nil, err
	}
	return res, adv, settled, nil
}

// settle hands the parcels that owe their case a move to Settle and clears the
// notes it settled, before the parcels are written.
func (in *Ingester) settle(ctx context.Context, tx pgx.Tx, adv []Advance) (func(), error) {
	if in.opt.Settle == nil {
		return nil, nil
	}
	var owed []Parcel
	for _, a := range adv {
		if a.Parcel.PendingMove != "" {
			owed = append(owed, a.Parcel)
		}
	}
	if len(owed) == 0 {
		return nil, nil
	}
	settled, committed, err := in.opt.Settle(ctx, tx, owed)
	if err != nil {
		return nil, err
	}
	done := make(map[uuid.UUID]bool, len(settled))
	for _, id := range settled {
		done[id] = true
	}
	for i := range adv {
		if done[adv[i].Parcel.ID] {
			adv[i].Parcel.PendingMove = ""
		}
	}
	return committed, nil
}

// lockByWaybill queues the query that locks the batch's parcels, and gives them,
// with their custody heads, to got.
func lockByWaybill(b *pgx.Batch, waybills map[string]bool, got func(map[string]Parcel, map[uuid.UUID]chainHead)) {
	parcels := map[string]Parcel{}
	heads := map[uuid.UUID]chainHead{}
	got(parcels, heads)
	if len(waybills) == 0 {
		return
	}
	list := make([]string, 0, len(waybills))
	for w := range waybills {
		list = append(list, w)
	}
	// Locks in waybill order, so concurrent batches wait for each other instead of
	// deadlocking. Each waybill is one probe of its unique index: as a join or an
	// = ANY, the planner read the whole table while it was small.
	sort.Strings(list)
	b.Queue(`SELECT p.* FROM unnest($1::text[]) AS w(waybill)
		CROSS JOIN LATERAL (SELECT `+parcelCols+`, custody_hash FROM parcels WHERE waybill = w.waybill FOR UPDATE) p`, list).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var p Parcel
			var st, hash string
			if err := rows.Scan(&p.ID, &p.CaseID, &p.CaseNo, &p.ParcelNo, &p.Role, &p.Carrier, &p.OrderID, &p.Waybill, &p.OrderState,
				&p.OrderAttempts, &p.OrderError, &p.QuotedFeeFen, &st, &p.RawCode, &p.LastEventAt, &p.ProgressAt, &p.PolledAt,
				&p.PendingMove, &p.Subscription, &p.TrackCompany, &p.CustodySeq, &p.CreatedAt, &hash); err != nil {
				return fmt.Errorf("courier: lock parcels: %w", err)
			}
			p.Status = Status(st)
			parcels[p.Waybill] = p
			heads[p.ID] = chainHead{Seq: p.CustodySeq, Hash: hash}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("courier: lock parcels: %w", err)
		}
		return nil
	})
}

// storedEvents queues the lookup of the batch's events that are stored already
// (their key is the table's primary key) and gives their keys to got. Each event
// probes the key once: a lateral subquery with a limit cannot be turned into a join,
// which the planner, thinking a growing table small, hashed against a scan of all of
// it. (An = ANY of the waybills beside a join, as the batch updates have, went into
// every probe, each then walking the whole list.)
func storedEvents(b *pgx.Batch, evs []pendingEvent, got func(map[eventKey]bool)) {
	stored := map[eventKey]bool{}
	got(stored)
	if len(evs) == 0 {
		return
	}
	n := len(evs)
	wbs, carriers, codes := make([]string, n), make([]string, n), make([]string, n)
	ats := make([]time.Time, n)
	for i, pe := range evs {
		wbs[i], carriers[i], codes[i], ats[i] = pe.ev.Waybill, pe.ev.Carrier, pe.ev.RawCode, pe.ev.At
	}
	b.Queue(`SELECT e.carrier, e.waybill, e.raw_code, e.at
		FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[]) AS u(waybill, carrier, raw_code, at)
		CROSS JOIN LATERAL (SELECT carrier, waybill, raw_code, at FROM parcel_events
			WHERE waybill = u.waybill AND carrier = u.carrier AND raw_code = u.raw_code AND at = u.at LIMIT 1) e`,
		wbs, carriers, codes, ats).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var e Event
			if err := rows.Scan(&e.Carrier, &e.Waybill, &e.RawCode, &e.At); err != nil {
				return err
			}
			stored[keyOf(e)] = true
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("courier: stored events: %w", err)
		}
		return nil
	})
}

// eventRow is a new event as stored: with its parcel and its link in the parcel's
// chain of custody, or neither for a waybill this hall does not know.
type eventRow struct {
	pendingEvent
	parcel uuid.UUID
	link   StoredLink
}

// insertEvents writes the new events. Those of known parcels are links of their
// chains, written in one statement that fails rather than skip one: the parcels are
// locked, so a clash would be a fault. Those of unknown waybills are written in
// another, where a concurrent batch may have stored the same event first.
func insertEvents(w *pg.Writes, rows []eventRow, now time.Time) {
	var chained, strays []eventRow
	for _, r := range rows {
		if r.parcel == uuid.Nil {
			strays = append(strays, r)
		} else {
			chained = append(chained, r)
		}
	}
	if len(chained) > 0 {
		n := len(chained)
		parcels := make([]uuid.UUID, n)
		seqs := make([]int32, n)
		bodies := make([][]byte, n)
		prevs, hashes := make([]string, n), make([]string, n)
		for i, r := range chained {
			parcels[i], seqs[i], bodies[i], prevs[i], hashes[i] = r.parcel, int32(r.link.Seq), r.link.Body, r.link.PrevHash, r.link.Hash
		}
		cols := eventColumns(chained)
		w.Add("courier: insert events", `INSERT INTO parcel_events (carrier, waybill, raw_code, at, status, raw_text, location, source,
			callback_id, parcel_id, seq, body, prev_hash, hash, received_at)
			SELECT u.*, $15::timestamptz FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[],
				$7::text[], $8::text[], $9::uuid[], $10::uuid[], $11::int[], $12::bytea[], $13::text[], $14::text[]) AS u`,
			append(cols, pg.UUIDs(parcels), seqs, bodies, prevs, hashes, now)...)
	}
	if len(strays) > 0 {
		w.Add("courier: insert events of unknown waybills", `INSERT INTO parcel_events (carrier, waybill, raw_code, at, status,
			raw_text, location, source, callback_id, received_at)
			SELECT u.*, $10::timestamptz FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[],
				$7::text[], $8::text[], $9::uuid[]) AS u
			ON CONFLICT DO NOTHING`, append(eventColumns(strays), now)...)
	}
}

// eventColumns are the arrays of what the carrier said, in the column order both
// inserts of insertEvents use: carrier, waybill, raw code, time, status, raw text,
// location, source and the push that carried it (NULL for a poll).
func eventColumns(rows []eventRow) []any {
	n := len(rows)
	carriers, wbs, codes, sts, texts, locs, srcs := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	ats := make([]time.Time, n)
	cbIDs := make([]uuid.UUID, n)
	for i, r := range rows {
		e := r.ev
		carriers[i], wbs[i], codes[i], sts[i], texts[i], locs[i], srcs[i] = e.Carrier, e.Waybill, e.RawCode, string(e.Status), e.RawText, e.Location, r.source
		ats[i] = e.At
		if r.source == "push" {
			cbIDs[i] = r.callback
		}
	}
	return []any{carriers, wbs, codes, ats, sts, texts, locs, srcs, pg.NullUUIDs(cbIDs)}
}

// fold applies new events to their parcels in carrier-time order. A status moves only
// forward (Advances); every new event still joins the chain of custody, since a late
// scan is evidence even when it changes nothing. It returns the parcels that moved or
// gained links, and every new event as it is to be stored.
func (in *Ingester) fold(fresh []pendingEvent, parcels map[string]Parcel, heads map[uuid.UUID]chainHead, now time.Time) ([]Advance, []eventRow, error) {
	sort.SliceStable(fresh, func(i, j int) bool { return eventBefore(fresh[i].ev, fresh[j].ev) })
	var adv []Advance
	rows := make([]eventRow, 0, len(fresh))
	for len(fresh) > 0 {
		n := 1
		for n < len(fresh) && fresh[n].ev.Waybill == fresh[0].ev.Waybill {
			n++
		}
		group := fresh[:n]
		fresh = fresh[n:]
		p, ok := parcels[group[0].ev.Waybill]
		if !ok {
			for _, pe := range group {
				rows = append(rows, eventRow{pendingEvent: pe})
			}
			continue
		}
		a := Advance{From: p.Status}
		ls := make([]Link, 0, n)
		for _, pe := range group {
			e := pe.ev
			a.Events = append(a.Events, e)
			if p.LastEventAt == nil || e.At.After(*p.LastEventAt) {
				at := e.At
				p.LastEventAt = &at
			}
			if e.Status != p.Status && Advances(p.Status, e.Status) {
				if p.Role == RoleOrigin && stageRank(CaseStage(e.Status)) > stageRank(CaseStage(p.Status)) &&
					stageRank(CaseStage(e.Status)) > stageRank(p.PendingMove) {
					p.PendingMove = CaseStage(e.Status)
					a.Stage = p.PendingMove
				}
				p.Status, p.RawCode, p.ProgressAt = e.Status, e.RawCode, now
			}
			ls = append(ls, Link{At: e.At, Kind: CourierLink(e.Status), Hall: in.opt.Hall, Actor: "courier:" + e.Carrier,
				Detail: map[string]any{"waybill": e.Waybill, "raw_code": e.RawCode, "raw_text": e.RawText, "location": e.Location}})
		}
		links, head, err := chainLinks(p.ID, heads[p.ID], ls)
		if err != nil {
			return nil, nil, err
		}
		for i, pe := range group {
			rows = append(rows, eventRow{pendingEvent: pe, parcel: p.ID, link: links[i]})
		}
		heads[p.ID] = head
		p.CustodySeq = head.Seq
		parcels[p.Waybill] = p
		a.Parcel = p
		adv = append(adv, a)
	}
	return adv, rows, nil
}

// updateParcels writes the folded parcels back in one statement. The join on unnest
// also names the ids with = ANY, which lets the planner fetch the rows through the
// primary key: it cannot see how many rows unnest gives and, on a table it thinks
// small, hashes a scan of all of it instead. The batch statements of the case moves
// and timers do the same.
func updateParcels(w *pg.Writes, adv []Advance, heads map[uuid.UUID]chainHead, now time.Time) {
	if len(adv) == 0 {
		return
	}
	n := len(adv)
	ids := make([]uuid.UUID, n)
	sts, codes, moves, hashes := make([]string, n), make([]string, n), make([]*string, n), make([]string, n)
	lasts, progress := make([]*time.Time, n), make([]time.Time, n)
	seqs := make([]int32, n)
	for i, a := range adv {
		p := a.Parcel
		ids[i], sts[i], codes[i], lasts[i], progress[i] = p.ID, string(p.Status), p.RawCode, p.LastEventAt, p.ProgressAt
		if p.PendingMove != "" {
			m := p.PendingMove
			moves[i] = &m
		}
		seqs[i], hashes[i] = int32(heads[p.ID].Seq), heads[p.ID].Hash
	}
	w.Add("courier: update parcels", `UPDATE parcels p SET status = u.status, raw_code = u.raw_code, last_event_at = u.last_event_at,
		progress_at = u.progress_at, pending_move = u.pending_move, custody_seq = u.seq, custody_hash = u.hash, updated_at = $9
		FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::text[], $7::int[], $8::text[])
			AS u(id, status, raw_code, last_event_at, progress_at, pending_move, seq, hash)
		WHERE p.id = u.id AND p.id = ANY($1)`,
		pg.UUIDs(ids), sts, codes, lasts, progress, moves, seqs, hashes, now)
}

// applyNotices records kuaidi100's subscription news: an abort is subscribed again by
// the poller; a corrected company is what later queries use.
func applyNotices(w *pg.Writes, cbs []Callback, now time.Time) {
	for _, cb := range cbs {
		n := cb.Notice
		if !cb.Verified || n == nil || n.Waybill == "" || (n.Subscription == "" && n.Company == "") {
			continue
		}
		w.Add("courier: subscription notice", `UPDATE parcels SET subscription = CASE WHEN $2 = '' THEN subscription ELSE $2 END,
			track_company = CASE WHEN $3 = '' THEN track_company ELSE $3 END, updated_at = $4 WHERE waybill = $1`,
			n.Waybill, n.Subscription, n.Company, now)
	}
}

// insertCallbacks keeps every push body, verified or not, in one statement.
func insertCallbacks(w *pg.Writes, cbs []Callback, res []IngestResult, now time.Time) {
	var ids []uuid.UUID
	var carriers, ctypes []string
	var errs []*string
	var bodies [][]byte
	var verified []bool
	var events, fresh []int32
	for i, cb := range cbs {
		if cb.Body == nil {
			continue
		}
		ids = append(ids, res[i].CallbackID)
		carriers = append(carriers, cb.Carrier)
		ctypes = append(ctypes, cb.ContentType)
		bodies = append(bodies, cb.Body)
		verified = append(verified, cb.Verified)
		var e *string
		if cb.Error != "" {
			s := cb.Error
			e = &s
		}
		errs = append(errs, e)
		events = append(events, int32(res[i].Events))
		fresh = append(fresh, int32(res[i].New))
	}
	if len(ids) == 0 {
		return
	}
	w.Add("courier: record callbacks", `INSERT INTO courier_callbacks (id, carrier, content_type, body, verified, error, events, new_events, received_at)
		SELECT u.*, $9::timestamptz FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bytea[], $5::bool[], $6::text[], $7::int[], $8::int[]) AS u`,
		pg.UUIDs(ids), carriers, ctypes, bodies, verified, errs, events, fresh, now)
}
