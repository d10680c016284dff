package sim

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"

	"github.com/google/uuid"

	"github.com/tongban/tongban/courier"
	"github.com/tongban/tongban/courier/sf"
)

// The SF side: the gateway checks the partner, the msgDigest and the request id, then
// the service answers inside apiResultData. The request and answer shapes are the
// simulator's own reading of SF's documents.

func (s *Sim) sfAccount(partnerID string) (SFAccount, bool) {
	for _, a := range s.cfg.SF {
		if a.PartnerID == partnerID {
			return a, true
		}
	}
	return SFAccount{}, false
}

func (s *Sim) handleSF(w http.ResponseWriter, r *http.Request, fault string) {
	f := r.PostForm
	service := f.Get("serviceCode")
	s.count("sf", service)
	switch fault {
	case "http_500":
		http.Error(w, "internal server error", http.StatusInternalServerError)
		return
	case "rate_limit":
		sfGateway(w, sf.CodeRateLimited, "流量受控")
		return
	}
	acct, ok := s.sfAccount(f.Get("partnerID"))
	if !ok {
		sfGateway(w, sf.CodeNoPermission, "合作伙伴编码无效")
		return
	}
	msgData := f.Get("msgData")
	if !sf.VerifyDigest(msgData, f.Get("timestamp"), acct.CheckWord.Reveal(), f.Get("msgDigest")) {
		sfGateway(w, sf.CodeBadSignature, "数字签名无效")
		return
	}
	if !s.freshRequestID(acct.PartnerID, f.Get("requestID")) {
		sfGateway(w, sf.CodeDuplicateReq, "重复请求")
		return
	}
	switch service {
	case sf.ServiceCreateOrder:
		s.sfCreate(w, r, acct, msgData)
	case sf.ServiceSearchOrder:
		s.sfSearchOrder(w, acct, msgData)
	case sf.ServiceUpdateOrder:
		s.sfUpdateOrder(w, acct, msgData)
	case sf.ServiceSearchRoute:
		s.sfRoutes(w, acct, msgData)
	default:
		sfGateway(w, sf.CodeNoPermission, "无对应服务权限")
	}
}

func (s *Sim) freshRequestID(partner, id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := partner + "\x00" + id
	if id == "" || s.requestIDs[key] {
		return false
	}
	if len(s.requestIDs) >= maxRequestIDs {
		s.requestIDs = map[string]bool{} // forget old ids rather than grow without bound
	}
	s.requestIDs[key] = true
	return true
}

func sfGateway(w http.ResponseWriter, code, msg string) {
	writeJSON(w, map[string]string{"apiErrorMsg": msg, "apiResponseID": uuid.NewString(),
		"apiResultCode": code, "apiResultData": ""})
}

func sfAnswer(w http.ResponseWriter, success bool, code, msg string, data any) {
	res, _ := json.Marshal(map[string]any{"success": success, "errorCode": code, "errorMsg": msg, "msgData": data})
	writeJSON(w, map[string]string{"apiErrorMsg": "", "apiResponseID": uuid.NewString(),
		"apiResultCode": sf.CodeOK, "apiResultData": string(res)})
}

func sfOK(w http.ResponseWriter, data any)           { sfAnswer(w, true, "S0000", "", data) }
func sfFail(w http.ResponseWriter, code, msg string) { sfAnswer(w, false, code, msg, nil) }

type sfCreateOrder struct {
	OrderID         string  `json:"orderId"`
	MonthlyCard     string  `json:"monthlyCard"`
	ExpressTypeID   int     `json:"expressTypeId"`
	TotalWeight     float64 `json:"totalWeight"`
	TotalLength     float64 `json:"totalLength"`
	TotalWidth      float64 `json:"totalWidth"`
	TotalHeight     float64 `json:"totalHeight"`
	IsSignBack      int     `json:"isSignBack"`
	ContactInfoList []struct {
		ContactType int    `json:"contactType"`
		Mobile      string `json:"mobile"`
		Tel         string `json:"tel"`
		Province    string `json:"province"`
		City        string `json:"city"`
		Address     string `json:"address"`
	} `json:"contactInfoList"`
	CargoDetails []struct {
		Amount float64 `json:"amount"`
	} `json:"cargoDetails"`
	ServiceList []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"serviceList"`
}

func sfOrderData(p *parcel) map[string]any {
	return map[string]any{
		"orderId": p.OrderID, "filterResult": 2, "originCode": p.From.province(), "destCode": p.To.province(),
		"waybillNoInfoList": []map[string]any{{"waybillType": 1, "waybillNo": p.Waybill}},
	}
}

func (s *Sim) sfCreate(w http.ResponseWriter, r *http.Request, acct SFAccount, msgData string) {
	var req sfCreateOrder
	if err := json.Unmarshal([]byte(msgData), &req); err != nil || req.OrderID == "" || len(req.OrderID) > 64 {
		sfFail(w, "1010", "orderId或报文格式错误")
		return
	}
	if acct.MonthlyCard != "" && req.MonthlyCard != acct.MonthlyCard {
		sfFail(w, "8060", "月结卡号不匹配")
		return
	}
	p := &parcel{Carrier: "sf", Account: acct.PartnerID, OrderID: req.OrderID, Product: strconv.Itoa(req.ExpressTypeID),
		Weight: int64(math.Round(req.TotalWeight * 1000)), Receipt: req.IsSignBack == 1,
		L: int64(math.Round(req.TotalLength * 10)), W: int64(math.Round(req.TotalWidth * 10)), H: int64(math.Round(req.TotalHeight * 10))}
	var haveFrom, haveTo bool
	for _, c := range req.ContactInfoList {
		pl := placeOf("", c.Province, c.City, c.Address)
		switch c.ContactType {
		case 1:
			p.From, haveFrom = pl, true
		case 2:
			p.To, haveTo = pl, true
		}
		p.Phones = append(p.Phones, c.Mobile+c.Tel)
	}
	if !haveFrom || !haveTo || p.Weight <= 0 {
		sfFail(w, "1010", "寄件人、收件人或重量缺失")
		return
	}
	if len(req.CargoDetails) > 0 {
		p.Declared = int64(math.Round(req.CargoDetails[0].Amount * 100))
	}
	for _, sv := range req.ServiceList {
		p.Insured = p.Insured || sv.Name == "INSURE"
	}
	s.mu.Lock()
	if _, dup := s.byOrder[orderKey("sf", acct.PartnerID, req.OrderID)]; dup {
		s.mu.Unlock()
		sfFail(w, sf.ErrCodeDuplicateOrderID, "重复下单")
		return
	}
	s.addParcel(p)
	data := sfOrderData(p)
	s.mu.Unlock()
	if d, stalled := s.takeCreateTimeout(); stalled {
		hold(r, d)
	}
	sfOK(w, data)
}

func (s *Sim) sfFind(acct SFAccount, msgData string) (*parcel, map[string]any, bool) {
	var req map[string]any
	if json.Unmarshal([]byte(msgData), &req) != nil {
		return nil, nil, false
	}
	id, _ := req["orderId"].(string)
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.byOrder[orderKey("sf", acct.PartnerID, id)]
	return p, req, true
}

func (s *Sim) sfSearchOrder(w http.ResponseWriter, acct SFAccount, msgData string) {
	p, _, ok := s.sfFind(acct, msgData)
	if !ok {
		sfFail(w, "1010", "报文格式错误")
		return
	}
	if p == nil {
		sfFail(w, sf.ErrCodeOrderNotFound, "未获取到订单信息")
		return
	}
	s.mu.Lock()
	data := sfOrderData(p)
	s.mu.Unlock()
	sfOK(w, data)
}

func (s *Sim) sfUpdateOrder(w http.ResponseWriter, acct SFAccount, msgData string) {
	p, req, ok := s.sfFind(acct, msgData)
	if !ok {
		sfFail(w, "1010", "报文格式错误")
		return
	}
	if dt, _ := req["dealType"].(float64); dt != 2 {
		sfFail(w, "1010", "仅支持dealType=2")
		return
	}
	if p == nil {
		sfFail(w, sf.ErrCodeOrderNotFound, "未获取到订单信息")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if list, _ := req["waybillNoInfoList"].([]any); len(list) > 0 {
		if m, _ := list[0].(map[string]any); m != nil && m["waybillNo"] != p.Waybill {
			sfFail(w, sf.ErrCodeOrderMismatch, "订单号与运单号不匹配")
			return
		}
	}
	switch {
	case p.Cancelled:
		sfFail(w, sf.ErrCodeAlreadyCancelled, "订单已消单")
	case p.pickedUp(s.now):
		sfFail(w, "8252", "订单已揽收,不能取消")
	default:
		p.Cancelled = true
		data := sfOrderData(p)
		data["resStatus"] = 2
		sfOK(w, data)
	}
}

func (s *Sim) sfRoutes(w http.ResponseWriter, acct SFAccount, msgData string) {
	var req struct {
		TrackingType   json.Number `json:"trackingType"`
		TrackingNumber []string    `json:"trackingNumber"`
	}
	if json.Unmarshal([]byte(msgData), &req) != nil || req.TrackingType != "1" {
		sfFail(w, "1010", "报文格式错误")
		return
	}
	if len(req.TrackingNumber) > sf.MaxRouteNumbers {
		sfFail(w, sf.ErrCodeTooManyNumbers, "查询单号超过最大数量")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	resps := []map[string]any{}
	for _, n := range req.TrackingNumber {
		routes := []map[string]string{}
		if p := s.byWaybill[n]; p != nil && p.Carrier == "sf" && p.Account == acct.PartnerID {
			for _, sc := range p.visible(s.now) {
				routes = append(routes, sfRoute(sc))
			}
		}
		resps = append(resps, map[string]any{"mailNo": n, "routes": routes})
	}
	sfOK(w, map[string]any{"routeResps": resps})
}

func sfRoute(sc scan) map[string]string {
	wd := wordings[sc.Step]
	return map[string]string{"acceptTime": courier.FormatLocalTime(sc.At), "acceptAddress": sc.Location,
		"remark": fill(wd.SFText, sc.Location), "opCode": wd.SF}
}
