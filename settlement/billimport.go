package settlement

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/fnv"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// ImportRequest describes a bill file being imported.
type ImportRequest struct {
	Carrier, Account string
	Period           Period
	FileName         string
	Encoding         string // "" guesses; "utf-8" or "gbk" for CSV
	Actor            string
	// AcceptRejections imports the good rows of a file that has bad ones, recording the
	// bad ones as rejected. Without it such a file imports nothing and waits for review.
	AcceptRejections bool
}

// Import is an imported file and what became of it.
type Import struct {
	ID         int64      `json:"id"`
	Carrier    string     `json:"carrier"`
	Account    string     `json:"account"`
	Period     string     `json:"period"`
	FileSHA256 string     `json:"file_sha256"`
	FileName   string     `json:"file_name"`
	Format     string     `json:"format"`
	Encoding   string     `json:"encoding,omitempty"`
	Status     string     `json:"status"` // accepted, needs_review, discarded
	Rows       int        `json:"rows"`
	Good       int        `json:"good"`
	Bad        int        `json:"bad"`
	Known      int        `json:"known"` // good rows already imported from an earlier file
	BilledFen  int64      `json:"billed_fen"`
	ImportedBy string     `json:"imported_by"`
	ImportedAt time.Time  `json:"imported_at"`
	DecidedBy  string     `json:"decided_by,omitempty"`
	DecidedAt  *time.Time `json:"decided_at,omitempty"`
	// Repeat is true when this very file was imported before: nothing changed.
	Repeat bool `json:"repeat"`
	// Errors are the first bad rows (all of them via ImportErrors).
	Errors []RowReport `json:"errors,omitempty"`
}

// RowReport is a bad row: its number in the file, why, and its cells as read.
type RowReport struct {
	Row    int      `json:"row"`
	Reason string   `json:"reason"`
	Cells  []string `json:"cells"`
}

const reportLimit = 100

// accountLock is the advisory lock that serialises imports and reconciliation of one
// carrier account, so fingerprints and claims are checked against a stable state.
func accountLock(carrier, account string) int64 {
	h := fnv.New64a()
	h.Write([]byte("account\x00" + carrier + "\x00" + account))
	return int64(h.Sum64() >> 1)
}

// ImportBill streams a bill file into the database in one transaction: every row goes
// through COPY into bill_row with its cells as read, its parsed values or the reason
// it could not be parsed, and a fingerprint with an occurrence counter. The same file
// (by SHA-256) imported again changes nothing and returns the first import. A file
// with bad rows imports nothing usable until someone accepts the rejections
// (AcceptRejections here, or AcceptImport later).
func (n *Node) ImportBill(ctx context.Context, req ImportRequest, file io.Reader) (Import, error) {
	layout, ok := n.layouts[req.Carrier]
	if !ok {
		return Import{}, fieldErr("carrier", "没有该承运商的账单格式", "no bill layout for this carrier")
	}
	if req.Account == "" || len(req.Account) > 64 {
		return Import{}, fieldErr("account", "须提供账户", "account is required")
	}
	if _, err := ParsePeriod(string(req.Period)); err != nil {
		return Import{}, err
	}
	if req.Actor == "" {
		return Import{}, fieldErr("actor", "须提供操作人", "the acting user is required")
	}
	sum := sha256.New()
	src, format, encoding, err := openBill(io.TeeReader(file, sum), req.Encoding)
	if err != nil {
		return Import{}, err
	}
	defer src.Close()
	imp := Import{Carrier: req.Carrier, Account: req.Account, Period: string(req.Period), FileName: req.FileName,
		Format: format, Encoding: encoding, ImportedBy: req.Actor, ImportedAt: n.now()}
	// The classifier's loader stops with the import, whichever way it ends.
	loadCtx, cancelLoad := context.WithCancel(ctx)
	defer cancelLoad()
	err = pgx.BeginFunc(ctx, n.db, func(tx pgx.Tx) error {
		if err := n.openPeriod(ctx, tx, req.Period); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, accountLock(req.Carrier, req.Account)); err != nil {
			return err
		}
		// The file's hash is known only once it has streamed through; a placeholder
		// holds the unique slot until then.
		placeholder := make([]byte, 32)
		_, _ = rand.Read(placeholder)
		err := tx.QueryRow(ctx, `INSERT INTO bill_import (carrier, account, period, file_sha256, file_name, format, encoding,
			status, rows_total, rows_good, rows_bad, rows_known, billed_fen, imported_by, imported_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, 'needs_review', 0, 0, 0, 0, 0, $8, $9) RETURNING id`,
			imp.Carrier, imp.Account, imp.Period, placeholder, imp.FileName, imp.Format, imp.Encoding, imp.ImportedBy, imp.ImportedAt).Scan(&imp.ID)
		if err != nil {
			return err
		}
		pre := n.startPreClassifier(loadCtx, req.Carrier, req.Account, req.Period)
		defer func() { cancelLoad(); <-pre.done }()
		pre.importID = imp.ID
		st := &stager{importID: imp.ID, src: src, layout: layout, sum: sum, pre: pre}
		if _, err := copyBinary(ctx, tx, "bill_row", stagedColumns, st.next); err != nil {
			if st.err != nil {
				return st.err
			}
			return err
		}
		if st.err != nil {
			return st.err
		}
		_, _ = io.Copy(io.Discard, io.TeeReader(file, sum)) // hash any bytes the reader left unread
		imp.FileSHA256 = hex.EncodeToString(sum.Sum(nil))
		imp.Rows, imp.Good, imp.Bad, imp.BilledFen, imp.Errors = st.rows, st.good, st.rows-st.good, st.billed, st.report
		var earlier int64
		err = tx.QueryRow(ctx, `SELECT id FROM bill_import WHERE carrier = $1 AND account = $2 AND file_sha256 = $3`,
			imp.Carrier, imp.Account, sum.Sum(nil)).Scan(&earlier)
		if err == nil {
			imp.ID = earlier
			return errRepeat
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if st.rows == 0 {
			return fieldErr("file", "文件没有账单行", "the file has no bill rows")
		}
		if _, err := tx.Exec(ctx, `UPDATE bill_import SET file_sha256 = $2, rows_total = $3, rows_good = $4, rows_bad = $5, billed_fen = $6
			WHERE id = $1`, imp.ID, sum.Sum(nil), imp.Rows, imp.Good, imp.Bad, imp.BilledFen); err != nil {
			return err
		}
		if err := pre.finish(ctx, tx); err != nil {
			return err
		}
		if err := n.audit(ctx, tx, req.Actor, "bill.import", fmt.Sprintf("import:%d", imp.ID), map[string]any{
			"carrier": imp.Carrier, "account": imp.Account, "period": imp.Period, "file_sha256": imp.FileSHA256,
			"rows": imp.Rows, "bad": imp.Bad, "billed_fen": imp.BilledFen}); err != nil {
			return err
		}
		if imp.Bad == 0 || req.AcceptRejections {
			return n.accept(ctx, tx, &imp, req.Actor)
		}
		imp.Status = "needs_review"
		return nil
	})
	if errors.Is(err, errRepeat) {
		prev, err := n.Import(ctx, imp.ID)
		prev.Repeat = true
		return prev, err
	}
	if err != nil {
		var fe *FieldError
		if errors.As(err, &fe) || errors.Is(err, ErrPeriodClosed) {
			return Import{}, err
		}
		return Import{}, fmt.Errorf("settlement: import bill: %w", err)
	}
	// Fresh statistics let reconciliation pick a hash join for a big bill and index
	// look-ups for a small one; autovacuum would get there, but only later. bill_import
	// is small but needs them too: without them the planner guesses that a big import
	// is a few thousand rows and probes the waybills one by one.
	if _, err := n.db.Exec(ctx, `ANALYZE bill_import, bill_row`); err != nil {
		n.log.Warn("analyze after import failed", slog.String("err", err.Error()))
	}
	n.metrics.imported.Add(float64(imp.Rows))
	n.log.Info("bill imported", slog.Int64("import", imp.ID), slog.String("carrier", imp.Carrier), slog.String("period", imp.Period),
		slog.Int("rows", imp.Rows), slog.Int("bad", imp.Bad), slog.Int("known", imp.Known), slog.String("status", imp.Status))
	return imp, nil
}

var errRepeat = errors.New("settlement: file imported before")

// accept makes an import's good rows count: rows an earlier accepted import of the
// account already holds (same fingerprint and occurrence) are marked known and left
// out, which is what makes an overlapping re-export harmless.
func (n *Node) accept(ctx context.Context, tx pgx.Tx, imp *Import, actor string) error {
	var others bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM bill_import WHERE carrier = $1 AND account = $2 AND status = 'accepted' AND id <> $3)`,
		imp.Carrier, imp.Account, imp.ID).Scan(&others); err != nil {
		return err
	}
	if others {
		tag, err := tx.Exec(ctx, `UPDATE bill_row r SET known_in = o.import_id
			FROM bill_row o JOIN bill_import i ON i.id = o.import_id
			WHERE r.import_id = $1 AND r.error IS NULL
			  AND i.carrier = $2 AND i.account = $3 AND i.status = 'accepted' AND i.id <> $1
			  AND o.error IS NULL AND o.known_in IS NULL
			  AND o.fingerprint = r.fingerprint AND o.occurrence = r.occurrence`, imp.ID, imp.Carrier, imp.Account)
		if err != nil {
			return err
		}
		imp.Known = int(tag.RowsAffected())
	}
	now := n.now()
	if _, err := tx.Exec(ctx, `UPDATE bill_import SET status = 'accepted', rows_known = $2, decided_by = $3, decided_at = $4 WHERE id = $1`,
		imp.ID, imp.Known, actor, now); err != nil {
		return err
	}
	imp.Status, imp.DecidedBy, imp.DecidedAt = "accepted", actor, &now
	return n.audit(ctx, tx, actor, "bill.accept", fmt.Sprintf("import:%d", imp.ID),
		map[string]any{"good": imp.Good, "rejected": imp.Bad, "known": imp.Known})
}

// AcceptImport accepts an import waiting for review: its good rows count, its bad
// rows stay recorded as rejected.
func (n *Node) AcceptImport(ctx context.Context, id int64, actor string) (Import, error) {
	return n.decideImport(ctx, id, actor, true)
}

// DiscardImport drops an import waiting for review; its rows stay for the record.
func (n *Node) DiscardImport(ctx context.Context, id int64, actor string) (Import, error) {
	return n.decideImport(ctx, id, actor, false)
}

func (n *Node) decideImport(ctx context.Context, id int64, actor string, accept bool) (Import, error) {
	if actor == "" {
		return Import{}, fieldErr("actor", "须提供操作人", "the acting user is required")
	}
	imp, err := n.Import(ctx, id)
	if err != nil {
		return Import{}, err
	}
	err = pgx.BeginFunc(ctx, n.db, func(tx pgx.Tx) error {
		if err := n.openPeriod(ctx, tx, Period(imp.Period)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, accountLock(imp.Carrier, imp.Account)); err != nil {
			return err
		}
		var status string
		if err := tx.QueryRow(ctx, `SELECT status FROM bill_import WHERE id = $1 FOR UPDATE`, id).Scan(&status); err != nil {
			return err
		}
		if status != "needs_review" {
			return &StateError{ZH: "该导入已处理（" + status + "）", EN: "the import is already " + status}
		}
		if accept {
			return n.accept(ctx, tx, &imp, actor)
		}
		if _, err := tx.Exec(ctx, `UPDATE bill_import SET status = 'discarded', decided_by = $2, decided_at = $3 WHERE id = $1`, id, actor, n.now()); err != nil {
			return err
		}
		return n.audit(ctx, tx, actor, "bill.discard", fmt.Sprintf("import:%d", id), map[string]any{"rows": imp.Rows})
	})
	if err != nil {
		var se *StateError
		if errors.As(err, &se) || errors.Is(err, ErrPeriodClosed) {
			return Import{}, err
		}
		return Import{}, fmt.Errorf("settlement: decide import: %w", err)
	}
	return n.Import(ctx, id)
}

// Import returns one import with its first bad rows.
func (n *Node) Import(ctx context.Context, id int64) (Import, error) {
	var imp Import
	var sha []byte
	err := n.db.QueryRow(ctx, `SELECT id, carrier, account, period, file_sha256, file_name, format, encoding, status,
		rows_total, rows_good, rows_bad, rows_known, billed_fen, imported_by, imported_at, coalesce(decided_by, ''), decided_at
		FROM bill_import WHERE id = $1`, id).Scan(&imp.ID, &imp.Carrier, &imp.Account, &imp.Period, &sha, &imp.FileName,
		&imp.Format, &imp.Encoding, &imp.Status, &imp.Rows, &imp.Good, &imp.Bad, &imp.Known, &imp.BilledFen,
		&imp.ImportedBy, &imp.ImportedAt, &imp.DecidedBy, &imp.DecidedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Import{}, ErrNotFound
	}
	if err != nil {
		return Import{}, fmt.Errorf("settlement: import: %w", err)
	}
	imp.FileSHA256 = hex.EncodeToString(sha)
	imp.Errors, err = n.ImportErrors(ctx, id, 0, reportLimit)
	return imp, err
}

// ImportErrors lists an import's bad rows in file order, after row number after.
func (n *Node) ImportErrors(ctx context.Context, id int64, after, limit int) ([]RowReport, error) {
	rows, err := n.db.Query(ctx, `SELECT row_no, error, raw FROM bill_row WHERE import_id = $1 AND error IS NOT NULL AND row_no > $2
		ORDER BY row_no LIMIT $3`, id, after, limit)
	if err != nil {
		return nil, fmt.Errorf("settlement: import errors: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (RowReport, error) {
		var rr RowReport
		var raw string
		err := r.Scan(&rr.Row, &rr.Reason, &raw)
		rr.Cells = splitCells(raw)
		return rr, err
	})
}

var stagedColumns = []string{"import_id", "row_no", "raw", "error", "waybill_no", "ship_date", "origin", "destination", "product",
	"weight_g", "charge_g", "length_mm", "width_mm", "height_mm", "freight_fen", "insurance_fen", "receipt_fen", "other_fen",
	"total_fen", "fingerprint", "occurrence",
	"res_waybill_id", "res_class", "res_expected_fen", "res_expected_charge_g", "res_tariff_id"}

// stager reads, parses, fingerprints and classifies one row at a time and writes it
// in COPY's binary format while COPY sends the previous ones.
type stager struct {
	importID int64
	src      rowSource
	layout   BillLayout
	parser   *rowParser
	seen     map[[16]byte]int32 // occurrences so far of each fingerprint: 20 bytes a line, not the line
	firstFP  [][16]byte         // by waybill index: the fingerprint of the first line naming it
	inSeen   []bool             // by waybill index: firstFP is counted in seen
	allSeen  bool               // every firstFP is counted in seen
	sum      hash.Hash
	pre      *preClassifier
	err      error

	rows, good int
	billed     int64
	report     []RowReport
}

// next is copyText's row source.
func (s *stager) next(buf []byte) ([]byte, bool, error) {
	for {
		row, cells, err := s.src.Next()
		if errors.Is(err, io.EOF) {
			if s.parser == nil && s.err == nil {
				s.err = fieldErr("file", "文件为空或没有表头", "the file is empty or has no header row")
			}
			return buf, false, s.err
		}
		var re *rowError
		if err != nil && !errors.As(err, &re) {
			s.err = fieldErr("file", "无法读取文件："+err.Error(), "the file cannot be read: "+err.Error())
			return buf, false, s.err
		}
		if s.parser == nil {
			if re != nil {
				s.err = fieldErr("file", "表头无法读取："+re.Reason, "the header row cannot be read: "+re.Reason)
				return buf, false, s.err
			}
			p, perr := newRowParser(s.layout, cells)
			if perr != nil {
				s.err = fieldErr("file", "表头与该承运商的账单格式不符："+perr.Error(), "the header does not fit the carrier's bill layout: "+perr.Error())
				return buf, false, s.err
			}
			s.parser = p
			continue
		}
		if re != nil {
			return s.stageBad(buf, row, nil, re.Reason), true, nil
		}
		if s.parser.skip(cells) {
			continue
		}
		return s.stage(buf, row, cells), true, nil
	}
}

func (s *stager) stage(b []byte, row int, cells []string) []byte {
	l, err := s.parser.parse(cells)
	if err != nil {
		return s.stageBad(b, row, cells, err.Error())
	}
	fp := s.parser.fingerprint(cells)
	idx, hit, first := s.pre.locate(l.Waybill)
	occurrence := s.occurrence(fp, idx, hit, first)
	s.rows++
	s.good++
	s.billed += l.TotalFen
	b = bint8(bfields(b, len(stagedColumns)), s.importID)
	b = bint4(b, int32(row))
	b, at := bopen(b)
	if raw, ok := s.rawLine(); ok {
		b = append(b, raw...)
	} else {
		b = appendJoinedCells(b, cells)
	}
	b = bclose(b, at)
	b = bnull(b)
	b = btext(b, l.Waybill)
	b = bdate(b, l.ShipDate)
	b = btext(b, l.Origin)
	b = btext(b, l.Destination)
	b = btext(b, l.Product)
	for _, v := range [...]int64{l.WeightG, l.ChargeG, l.LengthMM, l.WidthMM, l.HeightMM, l.FreightFen, l.InsuranceFen, l.ReceiptFen, l.OtherFen, l.TotalFen} {
		b = bint8(b, v)
	}
	b = bbytes(b, fp[:])
	b = bint4(b, occurrence)
	return s.pre.append(b, row, &l, idx, hit)
}

// rawLine is the source's current row as read, when that is the row's raw text.
func (s *stager) rawLine() (string, bool) {
	if cs, ok := s.src.(*csvSource); ok {
		return cs.rawLine()
	}
	return "", false
}

// occurrence counts the lines so far with fingerprint fp. Lines with the same
// fingerprint name the same waybill, so the first line of one of the account's
// waybills is the first of its fingerprint too: it is counted in firstFP, by the
// waybill's index, and only the waybills named again go through the map.
func (s *stager) occurrence(fp [16]byte, idx int32, hit, first bool) int32 {
	if s.seen == nil {
		s.seen = map[[16]byte]int32{}
	}
	if s.pre.failed && !s.allSeen {
		// The classifier lost its waybills midway: from here every line goes through
		// the map, which must then count the first lines kept in firstFP.
		s.allSeen = true
		for i := range s.firstFP {
			if s.pre.seen[i] && !s.inSeen[i] {
				s.seen[s.firstFP[i]], s.inSeen[i] = 1, true
			}
		}
	}
	if n := s.pre.waybills(); hit && int(idx) >= len(s.firstFP) {
		s.firstFP = append(s.firstFP, make([][16]byte, n-len(s.firstFP))...)
		s.inSeen = append(s.inSeen, make([]bool, n-len(s.inSeen))...)
	}
	switch {
	case hit && first:
		s.firstFP[idx] = fp
		return 1
	case hit && !s.inSeen[idx]:
		s.seen[s.firstFP[idx]] = 1
		s.inSeen[idx] = true
	}
	s.seen[fp]++
	return s.seen[fp]
}

func (s *stager) stageBad(b []byte, row int, cells []string, reason string) []byte {
	s.rows++
	if cells == nil {
		cells = []string{}
	}
	if len(s.report) < reportLimit {
		s.report = append(s.report, RowReport{Row: row, Reason: reason, Cells: slices.Clone(cells)}) // the source reuses cells
	}
	b = bint8(bfields(b, len(stagedColumns)), s.importID)
	b = bint4(b, int32(row))
	b = btext(b, joinCells(cells))
	b = btext(b, reason)
	for range len(stagedColumns) - 4 {
		b = bnull(b)
	}
	return b
}

// joinCells writes a row's cells back as one CSV line: the raw row as read, in UTF-8,
// whatever the file's format and encoding were.
func joinCells(cells []string) string {
	var b strings.Builder
	for i, c := range cells {
		if i > 0 {
			b.WriteByte(',')
		}
		if strings.ContainsAny(c, ",\"\r\n") || strings.TrimSpace(c) != c {
			b.WriteByte('"')
			b.WriteString(strings.ReplaceAll(c, `"`, `""`))
			b.WriteByte('"')
			continue
		}
		b.WriteString(c)
	}
	return b.String()
}

// appendJoinedCells is append(b, joinCells(cells)...) without building the line first.
func appendJoinedCells(b []byte, cells []string) []byte {
	for i, c := range cells {
		if i > 0 {
			b = append(b, ',')
		}
		if !needsQuotes(c) {
			b = append(b, c...)
			continue
		}
		b = append(b, '"')
		for j := 0; j < len(c); j++ {
			if c[j] == '"' {
				b = append(b, '"', '"')
				continue
			}
			b = append(b, c[j])
		}
		b = append(b, '"')
	}
	return b
}

// needsQuotes is joinCells' test for quoting a cell, with a fast path for cells that
// start and end with a printable ASCII character.
func needsQuotes(c string) bool {
	for i := 0; i < len(c); i++ {
		switch c[i] {
		case ',', '"', '\r', '\n':
			return true
		}
	}
	if len(c) == 0 {
		return false
	}
	if f, l := c[0], c[len(c)-1]; f > ' ' && f < 0x80 && l > ' ' && l < 0x80 {
		return false
	}
	return strings.TrimSpace(c) != c
}

// splitCells reads a line joinCells wrote.
func splitCells(raw string) []string {
	if raw == "" {
		return []string{}
	}
	r := csv.NewReader(strings.NewReader(raw))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	cells, err := r.Read()
	if err != nil {
		return []string{raw}
	}
	return cells
}
