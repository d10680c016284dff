package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"time"

	"github.com/tongban/tongban/courier"
	"github.com/tongban/tongban/courier/kuaidi100"
	"github.com/tongban/tongban/courier/sf"
)

// Retries of pushes that were not taken, in virtual time.
const (
	maxPushAttempts = 4 // the first try and three retries
	sfRetryAfter    = 10 * time.Minute
	k100RetryAfter  = 35 * time.Minute
	k100AbortAfter  = 72 * time.Hour // "no record for 3 days"
)

type pushJob struct {
	Carrier     string // "sf" or "kuaidi100"
	URL         string
	ContentType string
	Body        []byte
	Waybill     string
	BadSign     bool
	Duplicate   bool // a second copy sent by the duplicate-push fault; never retried
	Attempts    int
	Due         time.Time
}

// PushRecord is one push as sent and answered.
type PushRecord struct {
	Carrier  string    `json:"carrier"`
	URL      string    `json:"url"`
	Waybill  string    `json:"waybill"`
	At       time.Time `json:"at"` // virtual time of sending
	Attempt  int       `json:"attempt"`
	Status   int       `json:"status"`
	Answer   string    `json:"answer"`
	Accepted bool      `json:"accepted"`
	// BadSign marks pushes the simulator signed wrongly on purpose, Duplicate the
	// second copies of the duplicate-push fault.
	BadSign   bool   `json:"bad_sign"`
	Duplicate bool   `json:"duplicate"`
	Error     string `json:"error,omitempty"`
}

// Pushes returns every push sent so far.
func (s *Sim) Pushes() []PushRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.pushLog)
}

// Advance moves the virtual clock by d and delivers what fell due: new scans as
// pushes, and retries of pushes not taken. It returns when every push has been
// answered or has failed, so a test can look at the receiver right after.
func (s *Sim) Advance(ctx context.Context, d time.Duration) int {
	s.advanceMu.Lock()
	defer s.advanceMu.Unlock()
	s.mu.Lock()
	from := s.now
	s.now = s.now.Add(d)
	jobs := s.duePushes(from, s.now)
	f := s.faults
	s.mu.Unlock()
	if f.OutOfOrderPushes {
		slices.Reverse(jobs)
	}
	sent := 0
	for _, j := range jobs {
		if ctx.Err() != nil {
			break
		}
		s.send(ctx, j)
		sent++
		if f.DuplicatePushes {
			dup := *j
			dup.Duplicate = true
			s.send(ctx, &dup)
			sent++
		}
	}
	return sent
}

// duePushes collects the pushes for (from, to]. Caller holds s.mu.
func (s *Sim) duePushes(from, to time.Time) []*pushJob {
	type timed struct {
		at  time.Time
		job *pushJob
	}
	var due []timed
	for _, acct := range s.cfg.SF {
		if acct.PushURL == "" {
			continue
		}
		for _, p := range s.parcels {
			if p.Carrier != "sf" || p.Account != acct.PartnerID {
				continue
			}
			for _, sc := range p.visible(to) {
				if sc.At.After(from) {
					due = append(due, timed{sc.At, s.sfPush(acct, p, sc)})
				}
			}
		}
	}
	numbers := make([]string, 0, len(s.subs))
	for n := range s.subs {
		numbers = append(numbers, n)
	}
	sort.Strings(numbers)
	for _, n := range numbers {
		for _, j := range s.k100Pushes(s.subs[n], to) {
			due = append(due, timed{j.Due, j})
		}
	}
	sort.SliceStable(due, func(i, j int) bool { return due[i].at.Before(due[j].at) })
	jobs := make([]*pushJob, 0, len(due))
	for _, t := range due {
		jobs = append(jobs, t.job)
	}
	var later []*pushJob
	for _, j := range s.queue {
		if j.Due.After(to) {
			later = append(later, j)
		} else {
			jobs = append(jobs, j)
		}
	}
	s.queue = later
	return jobs
}

func (s *Sim) badSign() bool {
	return s.faults.BadSignatureRate > 0 && s.rng.Float64() < s.faults.BadSignatureRate
}

// sfPush renders one scan as an SF route push in the account's push mode.
func (s *Sim) sfPush(acct SFAccount, p *parcel, sc scan) *pushJob {
	wd := wordings[sc.Step]
	body := map[string]any{"Body": map[string]any{"WaybillRoute": []map[string]string{{
		"id": fmt.Sprint(sc.At.UnixMilli()), "mailno": p.Waybill, "orderid": p.OrderID,
		"acceptTime": courier.FormatLocalTime(sc.At), "acceptAddress": sc.Location,
		"remark": fill(wd.SFText, sc.Location), "opCode": wd.SF, "reasonCode": "", "reasonName": "",
	}}}}
	msg, _ := json.Marshal(body)
	j := &pushJob{Carrier: "sf", Waybill: p.Waybill, BadSign: s.badSign(), Due: sc.At}
	if acct.PushMode == "json" {
		token := acct.PushToken.Reveal()
		if j.BadSign {
			token = "not-the-token"
		}
		j.URL, j.ContentType, j.Body = withQuery(acct.PushURL, "token", token), "application/json;charset=UTF-8", msg
		return j
	}
	key := acct.CheckWord.Reveal()
	if j.BadSign {
		key = "someone-elses-check-word"
	}
	form := sf.SignedForm(acct.PartnerID, key, sf.ServiceRoutePush, string(msg), sc.At)
	j.URL, j.ContentType, j.Body = acct.PushURL, "application/x-www-form-urlencoded;charset=UTF-8", []byte(form.Encode())
	return j
}

func withQuery(raw, k, v string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	q := u.Query()
	q.Set(k, v)
	u.RawQuery = q.Encode()
	return u.String()
}

// k100Pushes renders a subscription's pushes due by to: one full snapshot per new
// scan (kuaidi100 pushes the whole history each time), shutdown with the final scan,
// or abort when the number has shown nothing for three days.
func (s *Sim) k100Pushes(sub *subscription, to time.Time) []*pushJob {
	if sub.Done {
		return nil
	}
	p := s.byWaybill[sub.Number]
	var scans []scan
	if p != nil {
		scans = p.visible(to)
	}
	if len(scans) == 0 {
		if !to.Before(sub.Since.Add(k100AbortAfter)) && p == nil {
			sub.Done = true
			at := sub.Since.Add(k100AbortAfter)
			param := map[string]any{"status": kuaidi100.StatusAbort, "billstatus": "", "message": "3天查询无记录",
				"autoCheck": "0", "comOld": "", "comNew": "", "lastResult": k100Result(sub.Number, sub.Company, nil, sub.ResultV2)}
			return []*pushJob{s.k100Job(sub, param, at)}
		}
		return nil
	}
	var jobs []*pushJob
	actual := companyOf(p)
	for k := sub.Pushed; k < len(scans); k++ {
		status, bill := kuaidi100.StatusPolling, "sending"
		if scans[k].Step.terminal() {
			status, bill = kuaidi100.StatusShutdown, "check"
			sub.Done = true
		}
		param := map[string]any{"status": status, "billstatus": bill, "message": "",
			"autoCheck": "0", "comOld": "", "comNew": "",
			"lastResult": k100Result(sub.Number, actual, scans[:k+1], sub.ResultV2)}
		if actual != sub.Company {
			param["autoCheck"], param["comOld"], param["comNew"] = "1", sub.Company, actual
		}
		jobs = append(jobs, s.k100Job(sub, param, scans[k].At))
	}
	sub.Pushed = len(scans)
	return jobs
}

func (s *Sim) k100Job(sub *subscription, param map[string]any, at time.Time) *pushJob {
	b, _ := json.Marshal(param)
	j := &pushJob{Carrier: "kuaidi100", URL: sub.CallbackURL, Waybill: sub.Number, BadSign: s.badSign(), Due: at,
		ContentType: "application/x-www-form-urlencoded;charset=UTF-8"}
	salt := sub.Salt
	if j.BadSign {
		salt = "someone-elses-salt"
	}
	j.Body = []byte(url.Values{"param": {string(b)}, "sign": {kuaidi100.CallbackSign(string(b), salt)}}.Encode())
	return j
}

// send makes one attempt and records it; a push not taken is queued for a retry.
func (s *Sim) send(ctx context.Context, j *pushJob) {
	j.Attempts++
	rec := PushRecord{Carrier: j.Carrier, URL: j.URL, Waybill: j.Waybill, At: s.Now(), Attempt: j.Attempts,
		BadSign: j.BadSign, Duplicate: j.Duplicate}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, j.URL, bytes.NewReader(j.Body))
	if err == nil {
		req.Header.Set("Content-Type", j.ContentType)
		var resp *http.Response
		if resp, err = s.push.Do(req); err == nil {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
			resp.Body.Close()
			rec.Status, rec.Answer = resp.StatusCode, string(b)
			rec.Accepted = resp.StatusCode == http.StatusOK && taken(j.Carrier, b)
		}
	}
	if err != nil {
		rec.Error = err.Error()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.pushLog) >= maxPushLog {
		s.pushLog = slices.Delete(s.pushLog, 0, len(s.pushLog)-maxPushLog+1)
	}
	s.pushLog = append(s.pushLog, rec)
	s.stats.PushesSent++
	if rec.Accepted {
		s.stats.PushesAccepted++
		return
	}
	s.stats.PushesRefused++
	if j.Attempts < maxPushAttempts && !j.Duplicate {
		after := sfRetryAfter
		if j.Carrier == "kuaidi100" {
			after = k100RetryAfter
		}
		j.Due = s.now.Add(after)
		s.queue = append(s.queue, j)
	}
}

// taken reads an answer the way the carrier does: SF wants return_code 0000,
// kuaidi100 exactly result true, returnCode "200", message "成功".
func taken(carrier string, body []byte) bool {
	if carrier == "sf" {
		var a struct {
			Code string `json:"return_code"`
		}
		return json.Unmarshal(body, &a) == nil && a.Code == "0000"
	}
	var a struct {
		Result     *bool  `json:"result"`
		ReturnCode string `json:"returnCode"`
		Message    string `json:"message"`
	}
	return json.Unmarshal(body, &a) == nil && a.Result != nil && *a.Result && a.ReturnCode == "200" && a.Message == "成功"
}

// handleAdvance serves POST /sim/advance {"by":"2h30m"}.
func (s *Sim) handleAdvance(w http.ResponseWriter, r *http.Request) {
	var req struct {
		By string `json:"by"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<10)).Decode(&req); err != nil {
		http.Error(w, "sim: advance: want {\"by\":\"2h\"}", http.StatusBadRequest)
		return
	}
	d, err := time.ParseDuration(req.By)
	if err != nil || d < 0 {
		http.Error(w, "sim: advance: by must be a positive duration such as 2h30m", http.StatusBadRequest)
		return
	}
	n := s.Advance(r.Context(), d)
	writeJSON(w, map[string]any{"now": s.Now(), "pushes": n})
}
