package sim

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/tongban/tongban/courier"
	"github.com/tongban/tongban/courier/kuaidi100"
)

// The kuaidi100 side: a real-time query and subscriptions whose pushes go out as the
// clock moves (push.go). kuaidi100 tracks parcels of any carrier, so it sees every
// parcel the simulator holds, SF's as company "shunfeng" and EMS's as "ems".

type subscription struct {
	Company, Number, CallbackURL, Salt, Phone, ResultV2 string
	Since                                               time.Time
	Pushed                                              int  // scans pushed so far
	Done                                                bool // shutdown or abort sent
}

func companyOf(p *parcel) string {
	if p.Carrier == "sf" {
		return "shunfeng"
	}
	return "ems"
}

func k100Fail(w http.ResponseWriter, code, msg string) {
	writeJSON(w, map[string]any{"result": false, "returnCode": code, "message": msg})
}

func (s *Sim) k100Key(key string) bool {
	for _, a := range s.cfg.Kuaidi100 {
		if a.Key.Reveal() == key {
			return true
		}
	}
	return false
}

// phoneMatches is kuaidi100's check for couriers (SF) that answer only to someone who
// knows the sender's or recipient's phone or its last four digits.
func phoneMatches(p *parcel, phone string) bool {
	if len(phone) < 4 {
		return false
	}
	for _, ph := range p.Phones {
		if ph != "" && strings.HasSuffix(ph, phone[len(phone)-4:]) {
			return true
		}
	}
	return false
}

func (s *Sim) handleK100Query(w http.ResponseWriter, r *http.Request, fault string) {
	s.count("kuaidi100", "query")
	switch fault {
	case "http_500":
		http.Error(w, "internal server error", http.StatusInternalServerError)
		return
	case "rate_limit":
		k100Fail(w, kuaidi100.CodeBusy, "服务器繁忙,请稍后再试")
		return
	}
	f := r.PostForm
	customer, param := f.Get("customer"), f.Get("param")
	ok := false
	for _, a := range s.cfg.Kuaidi100 {
		ok = ok || (a.Customer == customer && kuaidi100.QuerySign(param, a.Key.Reveal(), customer) == f.Get("sign"))
	}
	if !ok {
		k100Fail(w, kuaidi100.CodeBadSignature, "验证签名失败")
		return
	}
	var q struct{ Com, Num, Phone, ResultV2 string }
	if json.Unmarshal([]byte(param), &q) != nil || q.Com == "" || q.Num == "" {
		k100Fail(w, kuaidi100.CodeBadRequest, "参数错误")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.byWaybill[q.Num]
	if p != nil && p.Carrier == "sf" && !phoneMatches(p, q.Phone) {
		k100Fail(w, kuaidi100.CodeBadRequest, "顺丰单号需提供正确的收寄件人手机号")
		return
	}
	var scans []scan
	if p != nil && companyOf(p) == q.Com {
		scans = p.visible(s.now)
	}
	if len(scans) == 0 {
		k100Fail(w, kuaidi100.CodeNoResult, "查询无结果,请隔段时间再查")
		return
	}
	writeJSON(w, k100Result(p.Waybill, q.Com, scans, q.ResultV2))
}

// k100Result renders tracking the way kuaidi100 does: newest first; resultv2 "1"
// adds place names and state names, "4" also the advanced state codes.
func k100Result(number, company string, scans []scan, resultV2 string) map[string]any {
	data := make([]map[string]string, 0, len(scans))
	for i := len(scans) - 1; i >= 0; i-- {
		sc := scans[i]
		wd := wordings[sc.Step]
		t := courier.FormatLocalTime(sc.At)
		item := map[string]string{"time": t, "ftime": t, "context": fill(wd.K100Tx, sc.Location), "location": sc.Location}
		if resultV2 == "1" || resultV2 == "4" {
			item["areaName"], item["status"] = sc.Location, wd.K100Name
		}
		if resultV2 == "4" {
			item["statusCode"] = wd.K100
		}
		data = append(data, item)
	}
	state, check := "0", "0"
	if n := len(scans); n > 0 {
		last := scans[n-1].Step
		state = wordings[last].K100Basic
		if resultV2 == "4" {
			state = wordings[last].K100
		}
		if last.terminal() {
			check = "1"
		}
	}
	return map[string]any{"message": "ok", "nu": number, "ischeck": check, "com": company,
		"status": "200", "condition": "F00", "state": state, "data": data}
}

func (s *Sim) handleK100Subscribe(w http.ResponseWriter, r *http.Request, fault string) {
	s.count("kuaidi100", "subscribe")
	switch fault {
	case "http_500":
		http.Error(w, "internal server error", http.StatusInternalServerError)
		return
	case "rate_limit":
		k100Fail(w, kuaidi100.CodeBusy, "服务器繁忙,请稍后再试")
		return
	}
	var q struct {
		Company, Number, Key string
		Parameters           struct {
			CallbackURL string `json:"callbackurl"`
			Salt        string `json:"salt"`
			Phone       string `json:"phone"`
			ResultV2    string `json:"resultv2"`
		}
	}
	if r.PostForm.Get("schema") != "json" || json.Unmarshal([]byte(r.PostForm.Get("param")), &q) != nil {
		k100Fail(w, kuaidi100.CodeBadData, "订阅数据格式错误")
		return
	}
	switch {
	case !s.k100Key(q.Key):
		k100Fail(w, kuaidi100.CodeNotSubscriber, "您不是合法的订阅者")
		return
	case q.Company == "" || q.Number == "" || q.Parameters.CallbackURL == "":
		k100Fail(w, kuaidi100.CodeBadData, "订阅数据不完整")
		return
	case q.Company == "shunfeng" && len(q.Parameters.Phone) < 4:
		k100Fail(w, kuaidi100.CodeBadData, "顺丰单号需提供手机号")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if sub := s.subs[q.Number]; sub != nil && !sub.Done {
		k100Fail(w, kuaidi100.CodeDuplicate, "重复订阅")
		return
	}
	s.subs[q.Number] = &subscription{Company: q.Company, Number: q.Number, CallbackURL: q.Parameters.CallbackURL,
		Salt: q.Parameters.Salt, Phone: q.Parameters.Phone, ResultV2: q.Parameters.ResultV2, Since: s.now}
	writeJSON(w, map[string]any{"result": true, "returnCode": kuaidi100.CodeOK, "message": "提交成功"})
}
