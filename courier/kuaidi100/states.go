package kuaidi100

import "github.com/tongban/tongban/courier"

// states maps kuaidi100 state codes to the vocabulary: the basic states 0–14 and the
// advanced ones that come with resultv2=4. Data, not code.
var states = map[string]courier.Status{
	// Basic.
	"0":  courier.StatusInTransit,      // 在途
	"1":  courier.StatusPickedUp,       // 揽收
	"2":  courier.StatusException,      // 疑难
	"3":  courier.StatusDelivered,      // 签收; refined by the text
	"4":  courier.StatusReturned,       // 退签: signed back at the sender
	"5":  courier.StatusOutForDelivery, // 派件
	"6":  courier.StatusReturning,      // 退回
	"7":  courier.StatusInTransit,      // 转投: handed to another courier
	"8":  courier.StatusInTransit,      // 清关
	"10": courier.StatusInTransit,      // 待清关
	"11": courier.StatusInTransit,      // 清关中
	"12": courier.StatusInTransit,      // 已清关
	"13": courier.StatusException,      // 清关异常
	"14": courier.StatusException,      // 拒签: will come back
	// Advanced (resultv2=4).
	"101":  courier.StatusCreated,         // 已下单
	"102":  courier.StatusCreated,         // 待揽收
	"103":  courier.StatusPickedUp,        // 已揽收
	"1001": courier.StatusArrivedCity,     // 到达派件城市
	"501":  courier.StatusDeliveredLocker, // 投柜或驿站
	"301":  courier.StatusDelivered,       // 本人签收
	"302":  courier.StatusDelivered,       // 派件异常后签收
	"303":  courier.StatusDeliveredProxy,  // 代签
	"304":  courier.StatusDeliveredLocker, // 投柜或站签收
	"401":  courier.StatusCancelled,       // 已销单
	"201":  courier.StatusException,       // 超时未签收
	"202":  courier.StatusException,       // 超时未更新
	"203":  courier.StatusException,       // 拒收
	"204":  courier.StatusException,       // 派件异常
	"205":  courier.StatusException,       // 柜或驿站超时未取
	"206":  courier.StatusException,       // 无法联系
	"207":  courier.StatusException,       // 超区
	"208":  courier.StatusException,       // 滞留
	"209":  courier.StatusException,       // 破损
	"210":  courier.StatusException,       // 寄件人申请撤销
}

// stateNames maps the state names that resultv2=1 puts on each trace to basic codes.
var stateNames = map[string]string{
	"在途": "0", "揽收": "1", "疑难": "2", "签收": "3", "退签": "4",
	"派件": "5", "退回": "6", "转投": "7", "清关": "8", "拒签": "14",
}

// StatusOf maps a state code; unknown codes are in_transit. A plain "signed" (3) is
// refined by the trace text, which names who signed.
func StatusOf(code, text string) courier.Status {
	s, ok := states[code]
	if !ok {
		return courier.StatusInTransit
	}
	if s == courier.StatusDelivered && code == "3" {
		return courier.SigningStatus(text)
	}
	return s
}

// carrierNames maps kuaidi100 company codes to Tongban's carrier names.
var carrierNames = map[string]string{"shunfeng": "sf", "ems": "ems"}

// CarrierName is Tongban's name for a kuaidi100 company code: "sf" for shunfeng, "ems"
// for ems, the code itself otherwise.
func CarrierName(company string) string {
	if n, ok := carrierNames[company]; ok {
		return n
	}
	return company
}
