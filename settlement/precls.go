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

// preLoad is the state an import classifies against, read in one snapshot.
type preLoad struct {
	stamp   int64
	tariffs tariffSet
	wbs     []preWaybill // the account's waybills up to the period's end
	claims  map[int64]uint8

	strs  []string // the distinct products, accounts and divisions
	strIx map[string]uint16
	nos   []byte // the waybill numbers, one after another
	// A bill usually lists waybills in the order they were created, which is the
	// order they come in: find tries the one after the last found before it builds
	// byNo, which finds a waybill by a hash of its number (a number whose hash another
	// took first is in collided).
	next     int32
	seed     maphash.Seed
	byNo     map[uint64]int32
	collided map[string]int32
}

// numbered reports whether w's number is no.
func (ld *preLoad) numbered(w *preWaybill, no string) bool {
	return string(ld.nos[w.noAt:int(w.noAt)+int(w.noLen)]) == no
}

// find returns the index of the waybill with number no.
func (ld *preLoad) find(no string) (int32, bool) {
	if n := ld.next; int(n) < len(ld.wbs) && ld.numbered(&ld.wbs[n], no) {
		ld.next = n + 1
		return n, true
	}
	if ld.byNo == nil {
		ld.index()
	}
	i, ok := ld.byNo[maphash.String(ld.seed, no)]
	if !ok || !ld.numbered(&ld.wbs[i], no) {
		i, ok = ld.collided[no]
	}
	if ok {
		ld.next = i + 1
	}
	return i, ok
}

func (ld *preLoad) index() {
	ld.byNo = make(map[uint64]int32, len(ld.wbs))
	for i := range ld.wbs {
		w := &ld.wbs[i]
		no := ld.nos[w.noAt : int(w.noAt)+int(w.noLen)]
		h := maphash.Bytes(ld.seed, no)
		if _, taken := ld.byNo[h]; taken {
			ld.collided[string(no)] = int32(i)
			continue
		}
		ld.byNo[h] = int32(i)
	}
}

func (ld *preLoad) add(no []byte, w preWaybill) error {
	if len(no) > 255 || len(ld.nos)+len(no) > math.MaxUint32 {
		return errors.New("settlement: waybill number out of range")
	}
	w.noAt, w.noLen = uint32(len(ld.nos)), uint8(len(no))
	ld.nos = append(ld.nos, no...)
	ld.wbs = append(ld.wbs, w)
	return nil
}

// str interns a text.
func (ld *preLoad) str(b []byte) (uint16, error) {
	if i, ok := ld.strIx[string(b)]; ok {
		return i, nil
	}
	if len(ld.strs) > math.MaxUint16 {
		return 0, errors.New("settlement: too many distinct products and divisions")
	}
	s := string(b)
	ld.strIx[s] = uint16(len(ld.strs))
	ld.strs = append(ld.strs, s)
	return uint16(len(ld.strs) - 1), nil
}

// preClassifier classifies an import's lines one at a time.
type preClassifier struct {
	carrier, account string
	period           Period
	tol              Tolerance
	importID         int64

	done chan struct{}
	load *preLoad
	err  error // loading failed: no results are written and Reconcile works from scratch

	seen    []bool // by index in load.wbs: named by a line so far
	ours    []bool // by index in load.wbs: claimed by a line of this import
	misses  map[string]struct{}
	invalid bool
	sum     preSummary
	digest  hash.Hash
	l       lineRow
	rec     Reconciliation // carrier and account, as classify reads them
}

const maxMisses = 100_000

// startPreClassifier loads the account's waybills, the claims and the tariffs on a
// connection of its own while the file starts streaming.
func (n *Node) startPreClassifier(ctx context.Context, carrier, account string, period Period) *preClassifier {
	p := &preClassifier{carrier: carrier, account: account, period: period, tol: n.opt.Tolerance, done: make(chan struct{}),
		rec:    Reconciliation{Carrier: carrier, Account: account},
		misses: map[string]struct{}{}, digest: sha256.New(),
		sum: preSummary{Tolerance: n.opt.Tolerance, Result: Reconciliation{Classes: map[string]int{}, Billed: map[string]int64{}}}}
	go func() {
		defer close(p.done)
		p.load, p.err = n.loadPre(ctx, carrier, account, period)
		if p.err == nil {
			p.seen = make([]bool, len(p.load.wbs))
			p.ours = make([]bool, len(p.load.wbs))
		}
	}()
	return p
}

func (n *Node) loadPre(ctx context.Context, carrier, account string, period Period) (*preLoad, error) {
	conn, err := n.db.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Release()
	ld := &preLoad{claims: map[int64]uint8{}, strIx: map[string]uint16{}, seed: maphash.MakeSeed(), collided: map[string]int32{}}
	err = pgx.BeginTxFunc(ctx, conn, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT version FROM settlement_stamp`).Scan(&ld.stamp); err != nil {
			return err
		}
		var err error
		if ld.tariffs, err = loadTariffs(ctx, tx, carrier); err != nil {
			return err
		}
		if err := ld.loadClaims(ctx, tx, carrier, account, period); err != nil {
			return err
		}
		return ld.loadWaybills(ctx, tx, carrier, account, period)
	})
	return ld, err
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

// loadWaybills reads the account's waybills up to the period in binary and decodes
// them by hand: a million rows through Scan cost more than the query.
func (ld *preLoad) loadWaybills(ctx context.Context, tx pgx.Tx, carrier, account string, period Period) error {
	// Sized from the table's statistics: growing a million entries step by step
	// copies them over and over.
	var hint int64
	if err := tx.QueryRow(ctx, `SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = 'waybill'::regclass`).Scan(&hint); err != nil {
		return err
	}
	hint = min(hint, 4<<20)
	ld.wbs = make([]preWaybill, 0, hint)
	ld.nos = make([]byte, 0, hint*16)
	rows, err := tx.Query(ctx, `SELECT id, waybill_no, product, account, origin_division, destination_division, weight_g,
		length_mm, width_mm, height_mm, declared_value_fen, insured, return_receipt, created_at, voided_at IS NOT NULL
		FROM waybill WHERE carrier = $1 AND account = $2 AND period <= $3`,
		pgx.QueryResultFormats{pgx.BinaryFormatCode}, carrier, account, string(period))
	if err != nil {
		return err
	}
	defer rows.Close()
	i8 := func(b []byte) int64 { return int64(binary.BigEndian.Uint64(b)) }
	const pgEpochMicros = 946_684_800_000_000 // 2000-01-01 UTC, where timestamptz counts from
	var last [4]uint16
	for rows.Next() {
		v := rows.RawValues()
		if len(v) != 15 || len(v[0]) != 8 || len(v[6]) != 8 || len(v[13]) != 8 || len(v[11]) != 1 || len(v[12]) != 1 || len(v[14]) != 1 {
			return errors.New("settlement: unexpected waybill row")
		}
		w := preWaybill{id: i8(v[0]), weight: i8(v[6]), l: i8(v[7]), w: i8(v[8]), h: i8(v[9]), declared: i8(v[10]),
			insured: v[11][0] != 0, receipt: v[12][0] != 0, voided: v[14][0] != 0, created: i8(v[13]) + pgEpochMicros}
		for k, dst := range [...]*uint16{&w.product, &w.account, &w.origin, &w.dest} {
			// Neighbouring rows mostly share these: compare with the last before hashing.
			if len(ld.strs) > 0 && string(v[2+k]) == ld.strs[last[k]] {
				*dst = last[k]
				continue
			}
			var err error
			if *dst, err = ld.str(v[2+k]); err != nil {
				return err
			}
			last[k] = *dst
		}
		if err := ld.add(v[1], w); err != nil {
			return err
		}
	}
	return rows.Err()
}

var voidedMark = new(time.Time)

// waybills is how many of the account's waybills the classifier holds.
func (p *preClassifier) waybills() int {
	<-p.done
	if p.err != nil {
		return 0
	}
	return len(p.load.wbs)
}

// locate finds the account's waybill a line names: its index in load.wbs, and
// whether the line is the first of the file to name it.
func (p *preClassifier) locate(no string) (idx int32, hit, first bool) {
	<-p.done
	if p.err != nil {
		return 0, false, false
	}
	idx, hit = p.load.find(no)
	return idx, hit, hit && !p.seen[idx]
}

// append classifies a parsed line, whose waybill locate found, and appends its
// result columns in COPY's binary format.
func (p *preClassifier) append(b []byte, row int, bl *BillLine, idx int32, hit bool) []byte {
	if p.err != nil {
		for range 6 {
			b = bnull(b)
		}
		return b
	}
	l := &p.l
	*l = lineRow{importID: p.importID, rowNo: int32(row), waybillNo: bl.Waybill, origin: bl.Origin, dest: bl.Destination,
		weightG: bl.WeightG, chargeG: bl.ChargeG, freight: bl.FreightFen, insurance: bl.InsuranceFen, receipt: bl.ReceiptFen,
		other: bl.OtherFen, total: bl.TotalFen}
	first := true
	ld := p.load
	if hit {
		w := &ld.wbs[idx]
		l.wID = &w.id
		l.wProduct, l.wAccount, l.wOrigin, l.wDest = ld.strs[w.product], ld.strs[w.account], ld.strs[w.origin], ld.strs[w.dest]
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
	for _, v := range [...]int64{r.expected, r.diff, r.expectedG, r.tariffID} {
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
	<-p.done
	if p.err != nil || p.invalid {
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
	for i := range p.load.wbs {
		w := &p.load.wbs[i]
		if w.voided || p.ours[i] || p.load.claims[w.id]&claimedUpTo != 0 {
			continue
		}
		u := unbilledEntry{id: w.id, expected: -1}
		parcel := p.load.parcel(p.carrier, w)
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

func (ld *preLoad) parcel(carrier string, w *preWaybill) Parcel {
	return Parcel{Carrier: carrier, Product: ld.strs[w.product], Account: ld.strs[w.account], OriginDivision: ld.strs[w.origin],
		DestDivision: ld.strs[w.dest], WeightG: w.weight, LengthMM: w.l, WidthMM: w.w, HeightMM: w.h, Insured: w.insured,
		DeclaredValueFen: w.declared, ReturnReceipt: w.receipt, CreatedAt: time.UnixMicro(w.created)}
}
