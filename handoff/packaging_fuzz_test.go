package handoff

import (
	"testing"
)

// FuzzDetectAttachmentType: the type check of uploaded files never panics and only
// ever admits the three allowed types on their real signatures.
func FuzzDetectAttachmentType(f *testing.F) {
	f.Add([]byte("%PDF-1.7\n"))
	f.Add([]byte("\xff\xd8\xff\xe0\x00\x10JFIF"))
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Add([]byte("MZ\x90\x00"))
	f.Add([]byte("<html><script>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		typ := DetectAttachmentType(data)
		if !allowedTypes[typ] {
			return
		}
		sig := map[string]string{"application/pdf": "%PDF-", "image/jpeg": "\xff\xd8\xff", "image/png": "\x89PNG\r\n\x1a\n"}[typ]
		if len(data) < len(sig) || string(data[:len(sig)]) != sig {
			t.Fatalf("%q admitted as %s without its signature", data[:min(len(data), 8)], typ)
		}
	})
}
