package settlement

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"hash/maphash"
	"math"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// An import classifies its lines as they stream in, the way Reconcile would if it ran
// right after, and writes each result beside its line in the same COPY. Reconcile then
// publishes those results without classifying again as long as nothing they depend on
// has moved: settlement_stamp (bumped by every change to the ledger, the tariffs, the
// closed periods and the published results) still reads what it read when the import
// loaded the account, the import is the only accepted one of its period and none of
// its lines was already known. Anything else and Reconcile classifies from scratch.

// preSummary is what a reconciliation of the import's period reports, computed
// ahead with a tolerance; stored as bill_import.pre_summary.
type preSummary struct {
	Tolerance Tolerance      `json:"tolerance"`
	Result    Reconciliation `json:"result"`
}

// preWaybill is a ledger entry as classification needs it. It holds no pointers
// (texts are indexes into preLoad.strs, the number a slice of preLoad.nos), so a
// million of them cost the garbage collector nothing to scan.
type preWaybill struct {
	id, created               int64 // created: Unix microseconds
	weight, l, w, h, declared int64
	noAt                      uint32
	noLen                     uint8
	insured, receipt, voided  bool
	product, account          uint16
	origin, dest              uint16
}

// Claims of a waybill by published lines of other periods or accounts: before the
// period (or in a closed one) makes a new line a duplicate; up to the period's end
// keeps the waybill off the not-billed list.
const (
	claimedBefore = 1 << iota
	claimedUpTo
)

// preLoad is what an import classifies against besides the waybills, read in the
// same snapshot as they are.
type preLoad struct {
	stamp   int64
	tariffs tariffSet
	claims  map[int64]uint8
}

// preBatch is a run of waybills as the loader read them: numbers in nos, texts in
// strs (the loader's table so far, which only ever grows).
type preBatch struct {
	wbs  []preWaybill
	nos  []byte
	strs []string
}

const preBatchSize = 8192

// preWaybills are the waybills the classifier has received, owned by the goroutine
// that classifies. A bill usually lists waybills in the order they were created,
// which is the order they come in: find tries the one after the last found, and only
// once a line is not there does it wait for the rest and build byNo, which finds a
// waybill by a hash of its number (a number whose hash another took first is in
// collided).
type preWaybills struct {
	wbs      []preWaybill
	nos      []byte
	strs     []string
	next     int32
	seed     maphash.Seed
	byNo     map[uint64]int32
	collided map[string]int32
}

// numbered reports whether waybill i's number is no.
func (ws *preWaybills) numbered(i int32, no string) bool {
	w := &ws.wbs[i]
	return string(ws.nos[w.noAt:int(w.noAt)+int(w.noLen)]) == no
}

// lookup finds a waybill by number among all of them.
func (ws *preWaybills) lookup(no string) (int32, bool) {
	if ws.byNo == nil {
		ws.seed, ws.byNo, ws.collided = maphash.MakeSeed(), make(map[uint64]int32, len(ws.wbs)), map[string]int32{}
		for i := range ws.wbs {
			w := &ws.wbs[i]
			no := ws.nos[w.noAt : int(w.noAt)+int(w.noLen)]
			h := maphash.Bytes(ws.seed, no)
			if _, taken := ws.byNo[h]; taken {
				ws.collided[string(no)] = int32(i)
				continue
			}
			ws.byNo[h] = int32(i)
		}
	}
	i, ok := ws.byNo[maphash.String(ws.seed, no)]
	if !ok || !ws.numbered(i, no) {
		i, ok = ws.collided[no]
	}
	return i, ok
}

// preClassifier classifies an import's lines one at a time.
type preClassifier struct {
	carrier, account string
	period           Period
	tol              Tolerance
	importID         int64

	// The loader closes ready once load is read (or headErr says why not), sends
	// the waybills in batches, closes batches after the last and done when it has
	// ended (err says how).
	ready   chan struct{}
	batches chan preBatch
	done    chan struct{}
	load    *preLoad
	headErr error
	err     error

	// The classifying goroutine's own.
	started, drained bool
	failed           bool // loading failed: no results are written and Reconcile works from scratch
	wb               preWaybills
	seen             []bool // by waybill index: named by a line so far
	ours             []bool // by waybill index: claimed by a line of this import
	misses           map[string]struct{}
	invalid          bool
	sum              preSummary
	digest           hash.Hash
	l                lineRow
	rec              Reconciliation // carrier and account, as classify reads them
}

const maxMisses = 100_000

// startPreClassifier loads the account's waybills, the claims and the tariffs on a
// connection of its own while the file streams in: lines are classified as soon as
// the waybills they name have arrived.
func (n *Node) startPreClassifier(ctx context.Context, carrier, account string, period Period) *preClassifier {
	p := &preClassifier{carrier: carrier, account: account, period: period, tol: n.opt.Tolerance,
		ready: make(chan struct{}), batches: make(chan preBatch, 16), done: make(chan struct{}),
		rec:    Reconciliation{Carrier: carrier, Account: account},
		misses: map[string]struct{}{}, digest: sha256.New(),
		sum: preSummary{Tolerance: n.opt.Tolerance, Result: Reconciliation{Classes: map[string]int{}, Billed: map[string]int64{}}}}
	go func() {
		defer close(p.done)
		p.err = n.loadPre(ctx, p)
	}()
	return p
}

func (n *Node) loadPre(ctx context.Context, p *preClassifier) error {
	head := false
	defer func() {
		if !head {
			close(p.ready)
		}
		close(p.batches)
	}()
	fail := func(err error) error {
		if !head {
			p.headErr, head = err, true
			close(p.ready)
		}
		return err
	}
	conn, err := n.db.Acquire(ctx)
	if err != nil {
		return fail(err)
	}
	defer conn.Release()
	ld := &preLoad{claims: map[int64]uint8{}}
	return fail(pgx.BeginTxFunc(ctx, conn, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT version FROM settlement_stamp`).Scan(&ld.stamp); err != nil {
			return err
		}
		var err error
		if ld.tariffs, err = loadTariffs(ctx, tx, p.carrier); err != nil {
			return err
		}
		if err := ld.loadClaims(ctx, tx, p.carrier, p.account, p.period); err != nil {
			return err
		}
		p.load, head = ld, true
		close(p.ready)
		return streamWaybills(ctx, tx, p.carrier, p.account, p.period, p.batches)
	}))
}

// loadClaims mirrors the claims Reconcile looks at: published lines of the carrier
// other than this account and period's own, which it replaces.
func (ld *preLoad) loadClaims(ctx context.Context, tx pgx.Tx, carrier, account string, period Period) error {
	rows, err := tx.Query(ctx, `SELECT c.waybill_id, c.period < $3 OR c.period IN (SELECT period FROM period_close WHERE status = 'closed'), c.period <= $3
		FROM recon_line c WHERE c.carrier = $1 AND c.waybill_id IS NOT NULL AND c.class NOT IN ('duplicate', 'credit')
		  AND (c.period <= $3 OR c.period IN (SELECT period FROM period_close WHERE status = 'closed'))
		  AND NOT (c.account = $2 AND c.period = $3)`, carrier, account, period)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var before, upTo bool
		if err := rows.Scan(&id, &before, &upTo); err != nil {
			return err
		}
		if before {
			ld.claims[id] |= claimedBefore
		}
		if upTo {
			ld.claims[id] |= claimedUpTo
		}
	}
	return rows.Err()
}

// streamWaybills reads the account's waybills up to the period in binary, decodes
// them by hand (a million rows through Scan cost more than the query) and sends them
// in batches.
func streamWaybills(ctx context.Context, tx pgx.Tx, carrier, account string, period Period, out chan<- preBatch) error {
	rows, err := tx.Query(ctx, `SELECT id, waybill_no, product, account, origin_division, destination_division, weight_g,
		length_mm, width_mm, height_mm, declared_value_fen, insured, return_receipt, created_at, voided_at IS NOT NULL
		FROM waybill WHERE carrier = $1 AND account = $2 AND period <= $3`,
		pgx.QueryResultFormats{pgx.BinaryFormatCode}, carrier, account, string(period))
	if err != nil {
		return err
	}
	defer rows.Close()
	var strs []string
	strIx := map[string]uint16{}
	intern := func(b []byte) (uint16, error) {
		if i, ok := strIx[string(b)]; ok {
			return i, nil
		}
		if len(strs) > math.MaxUint16 {
			return 0, errors.New("settlement: too many distinct products and divisions")
		}
		strIx[string(b)] = uint16(len(strs))
		strs = append(strs, string(b))
		return uint16(len(strs) - 1), nil
	}
	send := func(b preBatch) error {
		b.strs = strs
		select {
		case out <- b:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	i8 := func(b []byte) int64 { return int64(binary.BigEndian.Uint64(b)) }
	const pgEpochMicros = 946_684_800_000_000 // 2000-01-01 UTC, where timestamptz counts from
	var last [4]uint16
	b := preBatch{wbs: make([]preWaybill, 0, preBatchSize)}
	for rows.Next() {
		v := rows.RawValues()
		if len(v) != 15 || len(v[0]) != 8 || len(v[6]) != 8 || len(v[13]) != 8 || len(v[11]) != 1 || len(v[12]) != 1 || len(v[14]) != 1 ||
			len(v[1]) > math.MaxUint8 {
			return errors.New("settlement: unexpected waybill row")
		}
		w := preWaybill{id: i8(v[0]), weight: i8(v[6]), l: i8(v[7]), w: i8(v[8]), h: i8(v[9]), declared: i8(v[10]),
			insured: v[11][0] != 0, receipt: v[12][0] != 0, voided: v[14][0] != 0, created: i8(v[13]) + pgEpochMicros,
			noAt: uint32(len(b.nos)), noLen: uint8(len(v[1]))}
		for k, dst := range [...]*uint16{&w.product, &w.account, &w.origin, &w.dest} {
			// Neighbouring rows mostly share these: compare with the last before hashing.
			if len(strs) > 0 && string(v[2+k]) == strs[last[k]] {
				*dst = last[k]
				continue
			}
			var err error
			if *dst, err = intern(v[2+k]); err != nil {
				return err
			}
			last[k] = *dst
		}
		b.nos = append(b.nos, v[1]...)
		b.wbs = append(b.wbs, w)
		if len(b.wbs) == preBatchSize {
			if err := send(b); err != nil {
				return err
			}
			b = preBatch{wbs: make([]preWaybill, 0, preBatchSize)}
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(b.wbs) > 0 {
		return send(b)
	}
	return nil
}

var voidedMark = new(time.Time)

// start waits for the loader's first part; false when loading failed.
func (p *preClassifier) start() bool {
	if !p.started {
		<-p.ready
		p.started, p.failed = true, p.headErr != nil
	}
	return !p.failed
}

// receive takes the next batch of waybills; false once there are no more.
func (p *preClassifier) receive() bool {
	if p.drained {
		return false
	}
	b, ok := <-p.batches
	if !ok {
		<-p.done
		p.drained, p.failed = true, p.failed || p.err != nil
		return false
	}
	ws := &p.wb
	if p.failed || len(ws.nos)+len(b.nos) > math.MaxUint32 {
		p.failed = true // the rest is drained, not kept
		return true
	}
	for _, w := range b.wbs {
		w.noAt += uint32(len(ws.nos))
		ws.wbs = append(ws.wbs, w)
	}
	ws.nos = append(ws.nos, b.nos...)
	ws.strs = b.strs
	p.seen = append(p.seen, make([]bool, len(b.wbs))...)
	p.ours = append(p.ours, make([]bool, len(b.wbs))...)
	return true
}

// waybills is how many of the account's waybills the classifier holds so far.
func (p *preClassifier) waybills() int { return len(p.wb.wbs) }

// locate finds the account's waybill a line names: its index, and whether the line
// is the first of the file to name it.
func (p *preClassifier) locate(no string) (idx int32, hit, first bool) {
	if !p.start() {
		return 0, false, false
	}
	ws := &p.wb
	for !p.failed {
		if n := ws.next; int(n) < len(ws.wbs) {
			if !ws.numbered(n, no) {
				break
			}
			ws.next = n + 1
			return n, true, !p.seen[n]
		}
		if !p.receive() {
			break
		}
	}
	for p.receive() {
	}
	if p.failed {
		return 0, false, false
	}
	idx, hit = ws.lookup(no)
	if hit {
		ws.next = idx + 1
	}
	return idx, hit, hit && !p.seen[idx]
}

// append classifies a parsed line, whose waybill locate found, and appends its
// result columns in COPY's binary format.
func (p *preClassifier) append(b []byte, row int, bl *BillLine, idx int32, hit bool) []byte {
	if p.failed {
		for range 5 {
			b = bnull(b)
		}
		return b
	}
	l := &p.l
	*l = lineRow{importID: p.importID, rowNo: int32(row), waybillNo: bl.Waybill, origin: bl.Origin, dest: bl.Destination,
		weightG: bl.WeightG, chargeG: bl.ChargeG, freight: bl.FreightFen, insurance: bl.InsuranceFen, receipt: bl.ReceiptFen,
		other: bl.OtherFen, total: bl.TotalFen}
	first := true
	if hit {
		ws := &p.wb
		w := &ws.wbs[idx]
		l.wID = &w.id
		l.wProduct, l.wAccount, l.wOrigin, l.wDest = ws.strs[w.product], ws.strs[w.account], ws.strs[w.origin], ws.strs[w.dest]
		l.wWeight, l.wL, l.wW, l.wH, l.wDeclared = w.weight, w.l, w.w, w.h, w.declared
		l.wInsured, l.wReceipt, l.wCreated = w.insured, w.receipt, time.UnixMicro(w.created)
		if w.voided {
			l.wVoided = voidedMark
		}
		l.claimed = p.load.claims[w.id]&claimedBefore != 0
		first = !p.seen[idx]
		p.seen[idx] = true
	} else if len(p.misses) < maxMisses {
		// Not one of the account's waybills up to the period: unknown, unless the
		// ledger has it after all, which the import checks once the file is in.
		p.misses[bl.Waybill] = struct{}{}
	} else {
		p.invalid = true
	}
	r := classify(p.load.tariffs, &p.rec, l, first, p.tol)
	if hit && r.waybillID != nil && r.class != ClassDuplicate && r.class != ClassCredit {
		p.ours[idx] = true
	}
	p.sum.Result.Lines++
	p.sum.Result.Classes[r.class]++
	p.sum.Result.Billed[r.class] += r.billed
	digestResult(p.digest, &r)
	b = bint8p(b, r.waybillID)
	b = btext(b, r.class)
	for _, v := range [...]int64{r.expected, r.expectedG, r.tariffID} {
		if r.priced {
			b = bint8(b, v)
		} else {
			b = bnull(b)
		}
	}
	return b
}

// digestResult adds one line's result to a reconciliation's digest.
func digestResult(digest interface{ Write([]byte) (int, error) }, r *result) {
	var buf [64]byte
	expected := int64(-1)
	if r.priced {
		expected = r.expected
	}
	d := buf[:0]
	for _, v := range [...]int64{r.importID, int64(r.rowNo), deref(r.waybillID), r.billed, expected} {
		d = binary.BigEndian.AppendUint64(d, uint64(v))
	}
	digest.Write(append(d, r.class...))
}

// unbilledEntry is a waybill on the not-billed list with its expected fee (-1: none).
type unbilledEntry struct {
	id, expected int64
}

// digestUnbilled adds one not-billed waybill to a reconciliation's digest.
func digestUnbilled(digest interface{ Write([]byte) (int, error) }, u unbilledEntry) {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(u.id))
	binary.BigEndian.PutUint64(b[8:], uint64(u.expected))
	digest.Write(b[:])
}

func encodeUnbilled(us []unbilledEntry) []byte {
	b := make([]byte, 0, 16*len(us))
	for _, u := range us {
		b = binary.BigEndian.AppendUint64(b, uint64(u.id))
		b = binary.BigEndian.AppendUint64(b, uint64(u.expected))
	}
	return b
}

func decodeUnbilled(b []byte) ([]unbilledEntry, error) {
	if len(b)%16 != 0 {
		return nil, errors.New("settlement: malformed not-billed list")
	}
	us := make([]unbilledEntry, len(b)/16)
	for i := range us {
		us[i] = unbilledEntry{int64(binary.BigEndian.Uint64(b[i*16:])), int64(binary.BigEndian.Uint64(b[i*16+8:]))}
	}
	return us, nil
}

// finish completes the results once the whole file is in, inside the import's
// transaction: it checks that the lines it took for unknown are, lists the waybills
// left unbilled and stores what Reconcile needs to publish without classifying. It
// stores nothing when the results cannot be trusted.
func (p *preClassifier) finish(ctx context.Context, tx pgx.Tx) error {
	if p.start() {
		for p.receive() {
		}
	}
	if p.failed || p.invalid {
		return nil
	}
	if len(p.misses) > 0 {
		nos := make([]string, 0, len(p.misses))
		for no := range p.misses {
			nos = append(nos, no)
		}
		var known bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM waybill WHERE carrier = $1 AND waybill_no = ANY($2))`, p.carrier, nos).Scan(&known); err != nil {
			return err
		}
		if known {
			return nil
		}
	}
	var us []unbilledEntry
	for i := range p.wb.wbs {
		w := &p.wb.wbs[i]
		if w.voided || p.ours[i] || p.load.claims[w.id]&claimedUpTo != 0 {
			continue
		}
		u := unbilledEntry{id: w.id, expected: -1}
		parcel := p.wb.parcel(p.carrier, w)
		if t := p.load.tariffs.pick(p.carrier, parcel.Product, parcel.Account, parcel.CreatedAt); t != nil {
			if fee, err := expectedFee(t, parcel, false); err == nil {
				u.expected = fee.TotalFen
				p.sum.Result.UnbilledFen += fee.TotalFen
			}
		}
		us = append(us, u)
	}
	slices.SortFunc(us, func(a, b unbilledEntry) int { return cmp.Compare(a.id, b.id) })
	for _, u := range us {
		digestUnbilled(p.digest, u)
	}
	p.sum.Result.Unbilled = len(us)
	p.sum.Result.Digest = fmt.Sprintf("%x", p.digest.Sum(nil))
	summary, err := json.Marshal(p.sum)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE bill_import SET pre_stamp = $2, pre_summary = $3, pre_unbilled = $4 WHERE id = $1`,
		p.importID, p.load.stamp, summary, encodeUnbilled(us))
	return err
}

func (ws *preWaybills) parcel(carrier string, w *preWaybill) Parcel {
	return Parcel{Carrier: carrier, Product: ws.strs[w.product], Account: ws.strs[w.account], OriginDivision: ws.strs[w.origin],
		DestDivision: ws.strs[w.dest], WeightG: w.weight, LengthMM: w.l, WidthMM: w.w, HeightMM: w.h, Insured: w.insured,
		DeclaredValueFen: w.declared, ReturnReceipt: w.receipt, CreatedAt: time.UnixMicro(w.created)}
}
