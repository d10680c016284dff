package sf

import "github.com/tongban/tongban/courier"

// opCode is one row of SF's route operation codes. The table is data: when SF's
// codes for an account differ (verify per account), change the rows, not the code.
type opCode struct {
	Code    string
	Status  courier.Status
	Meaning string
}

var opCodes = []opCode{
	{"50", courier.StatusPickedUp, "顺丰已收取快件"},
	{"54", courier.StatusPickedUp, "上门收件"},
	{"30", courier.StatusInTransit, "快件在分拣中心完成分拣"},
	{"36", courier.StatusInTransit, "快件已发车"},
	{"31", courier.StatusArrivedCity, "快件到达"},
	{"44", courier.StatusOutForDelivery, "快件派送中"},
	{"204", courier.StatusOutForDelivery, "快件交给收派员派送"},
	{"70", courier.StatusFailedAttempt, "派件不成功"},
	{"33", courier.StatusException, "派件异常"},
	{"77", courier.StatusException, "快件滞留"},
	{"125", courier.StatusDeliveredLocker, "快件已投递至智能柜或驿站"},
	{"80", courier.StatusDelivered, "已签收"},
	{"8000", courier.StatusDelivered, "已签收"},
	{"99", courier.StatusReturning, "快件退回中"},
	{"631", courier.StatusReturned, "退回件已签收"},
}

var opCodeIndex = func() map[string]opCode {
	m := make(map[string]opCode, len(opCodes))
	for _, c := range opCodes {
		m[c.Code] = c
	}
	return m
}()

// StatusOf maps an SF route to the vocabulary. Unknown codes are in_transit: SF adds
// intermediate scans freely, and the raw code is kept beside the status.
func StatusOf(code, remark string) courier.Status {
	c, ok := opCodeIndex[code]
	if !ok {
		return courier.StatusInTransit
	}
	if c.Status == courier.StatusDelivered {
		// The code says only "signed"; who signed is in the remark.
		return courier.SigningStatus(remark)
	}
	return c.Status
}
