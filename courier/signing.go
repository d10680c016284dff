package courier

import "strings"

// Carriers report a signature with one code and say who signed in free text. These
// words, checked in order, tell a locker or collection point from someone other than
// the addressee. Locker words come first because "代收点" (a collection point)
// contains "代收" (received on behalf).
var (
	lockerWords = []string{"丰巢", "快递柜", "智能柜", "包裹柜", "自提柜", "驿站", "代收点", "自提点", "快递超市"}
	proxyWords  = []string{"代签", "代收", "他人", "门卫", "前台", "收发室", "物业", "同事", "家人", "保安"}
)

// SigningStatus refines a plain "signed" code by the carrier's text: delivered_locker,
// delivered_proxy, or delivered when the text names neither.
func SigningStatus(text string) Status {
	switch {
	case containsAny(text, lockerWords):
		return StatusDeliveredLocker
	case containsAny(text, proxyWords):
		return StatusDeliveredProxy
	}
	return StatusDelivered
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}
