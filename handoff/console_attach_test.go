package handoff

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"testing"
)

// TestConsoleUploadsAScan: the window uploads a scan from the case page's form, CSRF
// token included in the multipart body; without the token the upload is refused.
func TestConsoleUploadsAScan(t *testing.T) {
	t.Parallel()
	a, _, _ := newPair(t)
	id, _ := acceptCase(t, a)
	ck, csrf := consoleLogin(t, a, "window_clerk-"+gz, "test password 1")
	post := func(token string) int {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		if token != "" {
			mw.WriteField("csrf_token", token)
		}
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="file"; filename="身份证.pdf"`)
		h.Set("Content-Type", "application/pdf")
		fw, _ := mw.CreatePart(h)
		fw.Write([]byte("%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"))
		mw.Close()
		req, _ := http.NewRequest("POST", a.base+"/console/cases/"+id+"/attachments", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.AddCookie(ck)
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(""); code != http.StatusForbidden {
		t.Fatalf("upload without CSRF token = %d, want 403", code)
	}
	if code := post(csrf); code != http.StatusSeeOther {
		t.Fatalf("upload = %d, want 303 back to the case", code)
	}
	var n int
	a.opt.DB.QueryRow(context.Background(), `SELECT count(*) FROM attachments WHERE name = '身份证.pdf'`).Scan(&n)
	if n != 1 {
		t.Fatalf("%d attachments stored, want 1", n)
	}
}
