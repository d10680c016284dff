package ems

import "github.com/tongban/tongban/courier"

// opCodes maps EMS trace codes to the vocabulary. The table is data and follows the
// codes as we hold them (verify against the contract); unknown codes are in_transit
// with the raw code kept.
var opCodes = map[string]courier.Status{
	"100": courier.StatusCreated,         // 已下单
	"203": courier.StatusPickedUp,        // 收寄
	"204": courier.StatusPickedUp,        // 揽收
	"305": courier.StatusInTransit,       // 离开处理中心
	"306": courier.StatusInTransit,       // 到达处理中心
	"307": courier.StatusInTransit,       // 封发
	"389": courier.StatusArrivedCity,     // 到达寄达城市投递局
	"702": courier.StatusOutForDelivery,  // 安排投递
	"703": courier.StatusFailedAttempt,   // 未妥投
	"704": courier.StatusDelivered,       // 妥投; who signed is in opDesc
	"705": courier.StatusDeliveredProxy,  // 他人代收
	"706": courier.StatusDeliveredLocker, // 投递至智能包裹柜或驿站
	"711": courier.StatusReturning,       // 退回
	"712": courier.StatusReturned,        // 退回妥投
	"801": courier.StatusException,       // 异常
	"999": courier.StatusCancelled,       // 撤单
}

// StatusOf maps one trace.
func StatusOf(code, desc string) courier.Status {
	s, ok := opCodes[code]
	if !ok {
		return courier.StatusInTransit
	}
	if s == courier.StatusDelivered {
		return courier.SigningStatus(desc)
	}
	return s
}
