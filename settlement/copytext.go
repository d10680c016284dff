package settlement

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// copyText streams rows into table with COPY in PostgreSQL's text format. pgx's
// CopyFrom encodes every value through its type map, which for a million wide rows
// costs more than PostgreSQL spends storing them; the rows here are plain numbers and
// strings, so appending their text form is both simpler and several times cheaper.
// next appends one row (columns separated by tabs, no newline) to buf and returns it,
// or returns ok=false at the end.
func copyText(ctx context.Context, tx pgx.Tx, table string, cols []string, next func(buf []byte) (out []byte, ok bool, err error)) (int64, error) {
	return copyStream(ctx, tx, "COPY "+table+" ("+strings.Join(cols, ", ")+") FROM STDIN", nil, nil, "\n", next)
}

// copyBinary is copyText in COPY's binary format, which spares PostgreSQL reading
// numbers and dates from text: next appends one tuple, its field count and then each
// field's length and bytes (bfields, bint8, btext ...).
func copyBinary(ctx context.Context, tx pgx.Tx, table string, cols []string, next func(buf []byte) (out []byte, ok bool, err error)) (int64, error) {
	head := []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")
	return copyStream(ctx, tx, "COPY "+table+" ("+strings.Join(cols, ", ")+") FROM STDIN WITH (FORMAT binary)", head, []byte{0xff, 0xff}, "", next)
}

// copyStream runs a COPY FROM STDIN fed by next in a goroutine: head, the rows each
// followed by end, then tail.
func copyStream(ctx context.Context, tx pgx.Tx, sql string, head, tail []byte, end string, next func(buf []byte) (out []byte, ok bool, err error)) (int64, error) {
	pr, pw := io.Pipe()
	go func() {
		w := bufio.NewWriterSize(pw, 256<<10)
		w.Write(head)
		buf := make([]byte, 0, 1024)
		for {
			var ok bool
			var err error
			buf, ok, err = next(buf[:0])
			if err != nil {
				pw.CloseWithError(err)
				return
			}
			if !ok {
				break
			}
			buf = append(buf, end...)
			if _, err := w.Write(buf); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		w.Write(tail)
		pw.CloseWithError(w.Flush())
	}()
	tag, err := tx.Conn().PgConn().CopyFrom(ctx, pr, sql)
	pr.CloseWithError(io.ErrClosedPipe) // stop the writer if COPY failed early
	if err != nil {
		return 0, fmt.Errorf("%s: %w", sql[:strings.IndexByte(sql, '(')], err)
	}
	return tag.RowsAffected(), nil
}

// Appenders for the text format: tab between columns, \N for NULL.

func tsep(b []byte, first bool) []byte {
	if first {
		return b
	}
	return append(b, '\t')
}

func tnull(b []byte) []byte { return append(b, '\\', 'N') }

func tint(b []byte, v int64) []byte { return strconv.AppendInt(b, v, 10) }

func tintp(b []byte, v *int64) []byte {
	if v == nil {
		return tnull(b)
	}
	return strconv.AppendInt(b, *v, 10)
}

func tstr(b []byte, s string) []byte {
	// Most text has nothing to escape: append it whole up to the first byte that does.
	i := 0
	for i < len(s) && s[i] != '\\' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r' {
		i++
	}
	b = append(b, s[:i]...)
	for ; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b = append(b, '\\', '\\')
		case '\t':
			b = append(b, '\\', 't')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		default:
			b = append(b, c)
		}
	}
	return b
}

// Appenders for the binary format: a tuple starts with its field count; each field is
// its length (-1 for NULL) and its bytes in the type's binary form.

func bfields(b []byte, n int) []byte { return binary.BigEndian.AppendUint16(b, uint16(n)) }

func bnull(b []byte) []byte { return append(b, 0xff, 0xff, 0xff, 0xff) }

func bint8(b []byte, v int64) []byte {
	return binary.BigEndian.AppendUint64(append(b, 0, 0, 0, 8), uint64(v))
}

func bint8p(b []byte, v *int64) []byte {
	if v == nil {
		return bnull(b)
	}
	return bint8(b, *v)
}

func bint4(b []byte, v int32) []byte {
	return binary.BigEndian.AppendUint32(append(b, 0, 0, 0, 4), uint32(v))
}

func btext(b []byte, s string) []byte {
	return append(binary.BigEndian.AppendUint32(b, uint32(len(s))), s...)
}

func bbytes(b []byte, v []byte) []byte {
	return append(binary.BigEndian.AppendUint32(b, uint32(len(v))), v...)
}

// bdate is a date: days since 2000-01-01.
func bdate(b []byte, t time.Time) []byte {
	y, m, d := t.Date()
	days := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix()/86400 - 10957
	return binary.BigEndian.AppendUint32(append(b, 0, 0, 0, 4), uint32(int32(days)))
}

// bopen starts a field whose length is known only once it is written; bclose fills
// the length in.
func bopen(b []byte) ([]byte, int) { return append(b, 0, 0, 0, 0), len(b) }

func bclose(b []byte, at int) []byte {
	binary.BigEndian.PutUint32(b[at:], uint32(len(b)-at-4))
	return b
}
