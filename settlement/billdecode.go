package settlement

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// rowSource yields a bill file's rows one at a time, so a file of any length passes
// through in constant memory. Next returns io.EOF at the end; a *rowError for a row
// that could not be read (the source goes on with the next one); any other error ends
// the file. The cells slice may be reused by the next call.
type rowSource interface {
	Next() (row int, cells []string, err error)
	Close() error
}

// rowError is a row that could not be read at all.
type rowError struct {
	Row    int
	Reason string
}

func (e *rowError) Error() string { return fmt.Sprintf("row %d: %s", e.Row, e.Reason) }

// Encodings a CSV bill may come in.
const (
	EncodingUTF8 = "utf-8"
	EncodingGBK  = "gbk"
)

// openBill sniffs a bill file: XLSX (a zip) or CSV, and for CSV the encoding — a
// UTF-8 byte-order mark or valid UTF-8 in the first 64 KiB means UTF-8, anything else
// is read as GBK, as Chinese carriers' exports usually are. encoding, when not empty,
// overrides the guess. It returns the source, "csv" or "xlsx", and the encoding.
func openBill(r io.Reader, encoding string) (rowSource, string, string, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(64 << 10)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, "", "", err
	}
	if bytes.HasPrefix(head, []byte("PK\x03\x04")) {
		src, err := openXLSX(br)
		return src, "xlsx", "", err
	}
	switch encoding {
	case "":
		encoding = EncodingGBK
		if bytes.HasPrefix(head, []byte("\xef\xbb\xbf")) || validUTF8Prefix(head, len(head) < 64<<10) {
			encoding = EncodingUTF8
		}
	case EncodingUTF8, EncodingGBK:
	default:
		return nil, "", "", fieldErr("encoding", "编码须为 utf-8 或 gbk", "encoding must be utf-8 or gbk")
	}
	var text io.Reader = br
	if encoding == EncodingUTF8 {
		if bytes.HasPrefix(head, []byte("\xef\xbb\xbf")) {
			_, _ = br.Discard(3)
		}
	} else {
		text = transform.NewReader(br, simplifiedchinese.GBK.NewDecoder())
	}
	return newCSVSource(text), "csv", encoding, nil
}

// validUTF8Prefix is utf8.Valid, forgiving a rune cut off at the end of a peek.
func validUTF8Prefix(b []byte, complete bool) bool {
	if !complete {
		for i := 0; i < utf8.UTFMax && len(b) > 0 && !utf8.Valid(b); i++ {
			b = b[:len(b)-1]
		}
	}
	return utf8.Valid(b)
}

// csvSource reads CSV rows. Lines are split by hand, as encoding/csv would split
// them, until the first line with a double quote or longer than the buffer; from there
// on encoding/csv reads the rest of the file. Most bills quote nothing, and the hand
// split also keeps the line itself, which is the row's raw text whenever joinCells
// would give it back unchanged.
type csvSource struct {
	br     *bufio.Reader
	r      *csv.Reader // set once the hand split has handed over
	lines  int         // lines read by hand: the line numbers encoding/csv starts after
	cells  []string
	line   string // the current row as read, when joinCells(cells) is exactly this
	lineOK bool
}

func newCSVSource(r io.Reader) *csvSource {
	return &csvSource{br: bufio.NewReaderSize(r, 64<<10)}
}

func (s *csvSource) Next() (int, []string, error) {
	s.lineOK = false
	for s.r == nil {
		b, err := s.br.ReadSlice('\n')
		if errors.Is(err, io.EOF) && len(b) == 0 {
			return 0, nil, io.EOF
		}
		if err != nil && !errors.Is(err, io.EOF) || bytes.IndexByte(b, '"') >= 0 {
			if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
				return 0, nil, err
			}
			s.handOver(b)
			break
		}
		s.lines++
		// As encoding/csv: \r\n ends a line like \n, a \r before the end of the file is
		// dropped, and empty lines are skipped.
		b = bytes.TrimSuffix(b, []byte{'\n'})
		b = bytes.TrimSuffix(b, []byte{'\r'})
		if len(b) == 0 {
			continue
		}
		line := string(b)
		s.cells = splitComma(s.cells[:0], line)
		s.line, s.lineOK = line, strings.IndexByte(line, '\r') < 0 && !anyPadded(s.cells)
		return s.lines, s.cells, nil
	}
	rec, err := s.r.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return s.lines + pe.StartLine, nil, &rowError{Row: s.lines + pe.StartLine, Reason: "malformed CSV: " + pe.Err.Error()}
		}
		return 0, nil, err
	}
	line, _ := s.r.FieldPos(0)
	return s.lines + line, rec, nil
}

// handOver gives the rest of the file, starting with the line read so far, to
// encoding/csv.
func (s *csvSource) handOver(read []byte) {
	s.r = csv.NewReader(io.MultiReader(bytes.NewReader(bytes.Clone(read)), s.br))
	s.r.FieldsPerRecord = -1 // the parser checks columns by header, a short row is its error
	s.r.ReuseRecord = true   // a row's cells are read before the next; whoever keeps them copies them
}

// splitComma appends the comma-separated fields of line to cells.
func splitComma(cells []string, line string) []string {
	for {
		i := strings.IndexByte(line, ',')
		if i < 0 {
			return append(cells, line)
		}
		cells = append(cells, line[:i])
		line = line[i+1:]
	}
}

// anyPadded reports a cell that joinCells would quote for its leading or trailing
// white space.
func anyPadded(cells []string) bool {
	for _, c := range cells {
		if len(c) > 0 && (c[0] <= ' ' || c[0] >= 0x80 || c[len(c)-1] <= ' ' || c[len(c)-1] >= 0x80) && strings.TrimSpace(c) != c {
			return true
		}
	}
	return false
}

// rawLine returns the current row's raw text when it was read as one line that
// joinCells would reproduce.
func (s *csvSource) rawLine() (string, bool) { return s.line, s.lineOK }

func (s *csvSource) Close() error { return nil }

// xlsxSource reads the first sheet. excelize streams the sheet's rows, but it keeps
// the compressed workbook in memory (an XLSX is a zip, read from its central
// directory at the end); CSV is the format for the very large bills.
type xlsxSource struct {
	f    *excelize.File
	rows *excelize.Rows
	n    int
}

func openXLSX(r io.Reader) (*xlsxSource, error) {
	f, err := excelize.OpenReader(r, excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, fieldErr("file", "无法读取 XLSX 文件", "the file is not a readable XLSX workbook")
	}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		f.Close()
		return nil, fieldErr("file", "XLSX 文件没有工作表", "the workbook has no sheet")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		f.Close()
		return nil, fieldErr("file", "无法读取 XLSX 工作表", "the first sheet cannot be read")
	}
	return &xlsxSource{f: f, rows: rows}, nil
}

func (s *xlsxSource) Next() (int, []string, error) {
	if !s.rows.Next() {
		if err := s.rows.Error(); err != nil {
			return 0, nil, err
		}
		return 0, nil, io.EOF
	}
	s.n++
	cells, err := s.rows.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		return s.n, nil, &rowError{Row: s.n, Reason: "unreadable row: " + err.Error()}
	}
	return s.n, cells, nil
}

func (s *xlsxSource) Close() error {
	_ = s.rows.Close()
	return s.f.Close()
}
