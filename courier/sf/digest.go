package sf

import (
	"crypto/md5"
	"crypto/subtle"
	"encoding/base64"
	"strings"
)

// MsgDigest signs a call: Base64(MD5(URLEncode(msgData + timestamp + checkWord))).
//
// The URL-encoding step is Java's URLEncoder.encode(s, "UTF-8"), which SF's own SDK
// uses: letters, digits and ". - * _" stay, a space becomes "+", every other byte of
// the UTF-8 form becomes %XX in upper-case hex. It differs from Go's url.QueryEscape
// on "*" and "~", so it is written out here. SF's published example —
// msgData {"language":"zh-CN","orderId":"QIAO-20200618-004"}, timestamp
// 12312334453453, checkWord fjcg5PGKaNpPSHFAZ4QsCOkV71R3zVci — gives
// IIKJtuLVzoFTu4kHI8M8vA==, which the tests check.
func MsgDigest(msgData, timestamp, checkWord string) string {
	sum := md5.Sum([]byte(JavaURLEncode(msgData + timestamp + checkWord)))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// VerifyDigest compares a received msgDigest with the expected one in constant time.
func VerifyDigest(msgData, timestamp, checkWord, digest string) bool {
	want := MsgDigest(msgData, timestamp, checkWord)
	return subtle.ConstantTimeCompare([]byte(want), []byte(digest)) == 1
}

// JavaURLEncode encodes s the way java.net.URLEncoder.encode(s, "UTF-8") does.
func JavaURLEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) * 3)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '.', c == '-', c == '*', c == '_':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}
