package kuaidi100

import (
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
	"strings"
)

// QuerySign signs a query: UPPER(MD5(param + key + customer)), hex.
func QuerySign(param, key, customer string) string { return upperMD5(param + key + customer) }

// CallbackSign signs a push: UPPER(MD5(param + salt)), hex.
func CallbackSign(param, salt string) string { return upperMD5(param + salt) }

// VerifyCallback checks a push's sign in constant time.
func VerifyCallback(param, salt, sign string) bool {
	return subtle.ConstantTimeCompare([]byte(CallbackSign(param, salt)), []byte(sign)) == 1
}

func upperMD5(s string) string {
	sum := md5.Sum([]byte(s))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}
