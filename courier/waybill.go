package courier

import "time"

// WaybillEvent is the payload of waybill.created and waybill.voided on
// tongban.settlement.waybills, field for field what settlement reads
// (settlement.WaybillEvent): it refuses unknown fields, so this shape changes only
// with a new schema version. Money in fen, weight in grams, lengths in millimetres.
type WaybillEvent struct {
	Carrier             string    `json:"carrier"`
	Product             string    `json:"product"` // the carrier's product name, e.g. "顺丰特快"
	Account             string    `json:"account"` // the account billed: SF partner id, EMS app key
	Waybill             string    `json:"waybill"`
	OriginDivision      string    `json:"origin_division"`
	DestinationDivision string    `json:"destination_division"`
	WeightG             int64     `json:"weight_g"`
	LengthMM            int64     `json:"length_mm"`
	WidthMM             int64     `json:"width_mm"`
	HeightMM            int64     `json:"height_mm"`
	Insured             bool      `json:"insured"`
	DeclaredValueFen    int64     `json:"declared_value_fen"`
	ReturnReceipt       bool      `json:"return_receipt"`
	QuotedFeeFen        int64     `json:"quoted_fee_fen"`
	CaseID              string    `json:"case_id"`
	CaseNo              string    `json:"case_no"`
	Hall                string    `json:"hall"`
	Department          string    `json:"department"`
	CreatedAt           time.Time `json:"created_at"`
	VoidedAt            time.Time `json:"voided_at,omitzero"` // waybill.voided only
}

// Message types and schema of the settlement topic.
const (
	TypeWaybillCreated = "waybill.created"
	TypeWaybillVoided  = "waybill.voided"
	WaybillSchema      = 1
)

// productNames are the carriers' names for their product codes, which is how bills
// and tariffs name products.
var productNames = map[string]map[string]string{
	"sf":  {"1": "顺丰特快", "2": "顺丰标快"},
	"ems": {"1": "标准快递", "2": "快递包裹", "3": "特快专递"},
}

// ProductName is the carrier's name for a product code, or the code itself.
func ProductName(carrier, code string) string {
	if n, ok := productNames[carrier][code]; ok {
		return n
	}
	return code
}
