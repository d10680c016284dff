package settlement

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// copyText streams rows into table with COPY in PostgreSQL's text format. pgx's
// CopyFrom encodes every value through its type map, which for a million wide rows
// costs more than PostgreSQL spends storing them; the rows here are plain numbers and
// strings, so appending their text form is both simpler and several times cheaper.
// next appends one row (columns separated by tabs, no newline) to buf and returns it,
// or returns ok=false at the end.
func copyText(ctx context.Context, tx pgx.Tx, table string, cols []string, next func(buf []byte) (out []byte, ok bool, err error)) (int64, error) {
	pr, pw := io.Pipe()
	go func() {
		w := bufio.NewWriterSize(pw, 256<<10)
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
			buf = append(buf, '\n')
			if _, err := w.Write(buf); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		pw.CloseWithError(w.Flush())
	}()
	tag, err := tx.Conn().PgConn().CopyFrom(ctx, pr, "COPY "+table+" ("+strings.Join(cols, ", ")+") FROM STDIN")
	pr.CloseWithError(io.ErrClosedPipe) // stop the writer if COPY failed early
	if err != nil {
		return 0, fmt.Errorf("copy into %s: %w", table, err)
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
	for i := 0; i < len(s); i++ {
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

func tbytea(b []byte, v []byte) []byte {
	b = append(b, '\\', '\\', 'x')
	return hex.AppendEncode(b, v)
}
