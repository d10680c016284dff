package sim

import (
	"encoding/json"
	"net/http"

	"github.com/tongban/tongban/courier"
	"github.com/tongban/tongban/courier/ems"
)

// The EMS side: the gateway checks the app key and the signature, then the method
// answers with success "T" or "F".

func (s *Sim) emsAccount(appKey string) (EMSAccount, bool) {
	for _, a := range s.cfg.EMS {
		if a.AppKey == appKey {
			return a, true
		}
	}
	return EMSAccount{}, false
}

func emsFail(w http.ResponseWriter, code, msg string, extra map[string]any) {
	m := map[string]any{"success": "F", "errorCode": code, "errorMsg": msg}
	for k, v := range extra {
		m[k] = v
	}
	writeJSON(w, m)
}

func emsOK(w http.ResponseWriter, extra map[string]any) {
	m := map[string]any{"success": "T", "errorCode": "", "errorMsg": ""}
	for k, v := range extra {
		m[k] = v
	}
	writeJSON(w, m)
}

func (s *Sim) handleEMS(w http.ResponseWriter, r *http.Request, fault string) {
	f := r.PostForm
	method := f.Get("method")
	s.count("ems", method)
	switch fault {
	case "http_500":
		http.Error(w, "internal server error", http.StatusInternalServerError)
		return
	case "rate_limit":
		emsFail(w, ems.CodeRateLimited, "调用频率超限", nil)
		return
	}
	acct, ok := s.emsAccount(f.Get("app_key"))
	if !ok || !ems.Verify(f, acct.Secret.Reveal()) {
		emsFail(w, ems.CodeBadSignature, "签名无效", nil)
		return
	}
	biz := f.Get("biz_content")
	switch method {
	case ems.MethodCreate:
		s.emsCreate(w, r, acct, biz)
	case ems.MethodTrace:
		s.emsTrace(w, acct, biz)
	case ems.MethodCancel:
		s.emsCancel(w, acct, biz)
	default:
		emsFail(w, "isv.invalid-method", "不支持的方法", nil)
	}
}

type emsParty struct {
	Mobile   string `json:"mobile"`
	Phone    string `json:"phone"`
	Prov     string `json:"prov"`
	City     string `json:"city"`
	Address  string `json:"address"`
	AreaCode string `json:"areaCode"`
}

type emsCreateBiz struct {
	LogisticsOrderNo string   `json:"logisticsOrderNo"`
	SenderNo         string   `json:"senderNo"`
	BizProductNo     string   `json:"bizProductNo"`
	Weight           int64    `json:"weight"`
	Length           int64    `json:"length"`
	Width            int64    `json:"width"`
	Height           int64    `json:"height"`
	InsuranceFlag    string   `json:"insuranceFlag"`
	DeclaredValue    int64    `json:"declaredValue"`
	ReceiptFlag      string   `json:"receiptFlag"`
	Sender           emsParty `json:"sender"`
	Receiver         emsParty `json:"receiver"`
}

func (s *Sim) emsCreate(w http.ResponseWriter, r *http.Request, acct EMSAccount, biz string) {
	var req emsCreateBiz
	if err := json.Unmarshal([]byte(biz), &req); err != nil || req.LogisticsOrderNo == "" || len(req.LogisticsOrderNo) > 50 || req.Weight <= 0 {
		emsFail(w, "isv.invalid-parameter", "参数错误", nil)
		return
	}
	if acct.SenderNo != "" && req.SenderNo != acct.SenderNo {
		emsFail(w, "isv.invalid-sender", "协议客户号不匹配", nil)
		return
	}
	s.mu.Lock()
	if p := s.byOrder[orderKey("ems", acct.AppKey, req.LogisticsOrderNo)]; p != nil {
		// The gateway is idempotent on logisticsOrderNo: a repeat names the mail number.
		extra := map[string]any{"logisticsOrderNo": p.OrderID, "mailNo": p.Waybill}
		s.mu.Unlock()
		emsFail(w, ems.CodeDuplicateOrder, "订单已存在", extra)
		return
	}
	p := &parcel{Carrier: "ems", Account: acct.AppKey, OrderID: req.LogisticsOrderNo, Product: req.BizProductNo,
		Weight: req.Weight, L: req.Length, W: req.Width, H: req.Height,
		Insured: req.InsuranceFlag == "2", Declared: req.DeclaredValue, Receipt: req.ReceiptFlag == "5",
		From:   placeOf(req.Sender.AreaCode, req.Sender.Prov, req.Sender.City, req.Sender.Address),
		To:     placeOf(req.Receiver.AreaCode, req.Receiver.Prov, req.Receiver.City, req.Receiver.Address),
		Phones: []string{req.Sender.Mobile + req.Sender.Phone, req.Receiver.Mobile + req.Receiver.Phone}}
	s.addParcel(p)
	extra := map[string]any{"logisticsOrderNo": p.OrderID, "mailNo": p.Waybill, "postageTotal": price(p).Total}
	s.mu.Unlock()
	if d, stalled := s.takeCreateTimeout(); stalled {
		hold(r, d)
	}
	emsOK(w, extra)
}

func (s *Sim) emsTrace(w http.ResponseWriter, acct EMSAccount, biz string) {
	var req struct {
		MailNo string `json:"mailNo"`
	}
	if json.Unmarshal([]byte(biz), &req) != nil || req.MailNo == "" {
		emsFail(w, "isv.invalid-parameter", "参数错误", nil)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.byWaybill[req.MailNo]
	if p == nil || p.Carrier != "ems" || p.Account != acct.AppKey {
		emsFail(w, ems.CodeMailNotFound, "邮件不存在", nil)
		return
	}
	traces := []map[string]string{}
	for _, sc := range p.visible(s.now) {
		traces = append(traces, emsTrace(p.Waybill, sc))
	}
	emsOK(w, map[string]any{"traces": traces})
}

func emsTrace(mailNo string, sc scan) map[string]string {
	wd := wordings[sc.Step]
	return map[string]string{"mailNo": mailNo, "opTime": courier.FormatLocalTime(sc.At), "opCode": wd.EMS,
		"opDesc": fill(wd.EMSText, sc.Location), "opOrgCity": sc.Location, "opOrgName": sc.Location + "邮区中心"}
}

func (s *Sim) emsCancel(w http.ResponseWriter, acct EMSAccount, biz string) {
	var req struct {
		LogisticsOrderNo string `json:"logisticsOrderNo"`
		MailNo           string `json:"mailNo"`
	}
	if json.Unmarshal([]byte(biz), &req) != nil {
		emsFail(w, "isv.invalid-parameter", "参数错误", nil)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.byOrder[orderKey("ems", acct.AppKey, req.LogisticsOrderNo)]
	switch {
	case p == nil || (req.MailNo != "" && req.MailNo != p.Waybill):
		emsFail(w, ems.CodeOrderNotFound, "订单不存在", nil)
	case p.Cancelled:
		emsFail(w, ems.CodeAlreadyCancelled, "订单已撤销", nil)
	case p.pickedUp(s.now):
		emsFail(w, "isv.order-picked-up", "邮件已收寄,不能撤销", nil)
	default:
		p.Cancelled = true
		emsOK(w, nil)
	}
}
