package ems

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/url"
	"sort"
	"strings"
)

// Sign computes the gateway signature of a form.
//
// The canonical string is every field except "sign" whose value is not empty, sorted
// by field name in byte order, written as name=value with the raw (not URL-encoded)
// value, joined by "&", with the app secret appended directly after the last value:
//
//	app_key=K&biz_content={...}&format=json&method=M&sign_method=sha256&timestamp=T&v=1.0SECRET
//
// sign = Base64(SHA-256(UTF-8 bytes of that string)), standard alphabet with padding.
// A field sent twice signs its first value.
func Sign(form url.Values, secret string) string {
	keys := make([]string, 0, len(form))
	for k, v := range form {
		if k != "sign" && len(v) > 0 && v[0] != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(form.Get(k))
	}
	b.WriteString(secret)
	sum := sha256.Sum256([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// Verify checks a form's sign field in constant time.
func Verify(form url.Values, secret string) bool {
	return subtle.ConstantTimeCompare([]byte(Sign(form, secret)), []byte(form.Get("sign"))) == 1
}
