package sf

import (
	"testing"

	"github.com/tongban/tongban/courier"
)

func TestStatusOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code, remark string
		want         courier.Status
	}{
		{"50", "顺丰速运 已收取快件", courier.StatusPickedUp},
		{"54", "", courier.StatusPickedUp},
		{"30", "快件在【广州白云集散中心】完成分拣", courier.StatusInTransit},
		{"31", "快件到达【北京顺义集散中心】", courier.StatusArrivedCity},
		{"36", "", courier.StatusInTransit},
		{"44", "正在派送途中", courier.StatusOutForDelivery},
		{"80", "已签收,感谢使用顺丰,期待再次为您服务 签收人:本人", courier.StatusDelivered},
		{"80", "已签收,签收人:门卫代签", courier.StatusDeliveredProxy},
		{"80", "快件已由丰巢智能柜代收点签收", courier.StatusDeliveredLocker},
		{"8000", "已签收", courier.StatusDelivered},
		{"125", "", courier.StatusDeliveredLocker},
		{"631", "", courier.StatusReturned},
		{"99999", "something new", courier.StatusInTransit},
	}
	for _, tt := range tests {
		if got := StatusOf(tt.code, tt.remark); got != tt.want {
			t.Errorf("StatusOf(%s, %q) = %s, want %s", tt.code, tt.remark, got, tt.want)
		}
	}
	for _, c := range opCodes {
		if !c.Status.Valid() {
			t.Errorf("opCode %s maps to invalid status %q", c.Code, c.Status)
		}
	}
}
