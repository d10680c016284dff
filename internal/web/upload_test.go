package web

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// TestLongUploadOutlastsServerTimeouts sends a body slower than the server's read
// timeout allows: a plain handler loses the connection, one that asked for
// LongUpload reads the whole body and answers.
func TestLongUploadOutlastsServerTimeouts(t *testing.T) {
	for _, long := range []bool{false, true} {
		t.Run(fmt.Sprintf("long=%v", long), func(t *testing.T) {
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if long {
					LongUpload(w, 10*time.Second)
				}
				n, err := io.Copy(io.Discard, r.Body)
				if err != nil {
					http.Error(w, err.Error(), http.StatusBadRequest)
					return
				}
				_, _ = io.WriteString(w, strconv.FormatInt(n, 10))
			}))
			srv.Config.ReadTimeout, srv.Config.WriteTimeout = 200*time.Millisecond, 300*time.Millisecond
			srv.Start()
			defer srv.Close()
			pr, pw := io.Pipe()
			go func() {
				chunk := make([]byte, 1000)
				for range 10 {
					if _, err := pw.Write(chunk); err != nil {
						return
					}
					time.Sleep(80 * time.Millisecond)
				}
				pw.Close()
			}()
			resp, err := http.Post(srv.URL, "application/octet-stream", pr)
			var got string
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				got = fmt.Sprintf("%d %s", resp.StatusCode, b)
			}
			switch {
			case long && got != "200 10000":
				t.Fatalf("long upload: %q, %v", got, err)
			case !long && got == "200 10000":
				t.Fatal("a plain handler outlasted the read timeout: the test proves nothing")
			}
		})
	}
}
