package handoff

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tongban/tongban/internal/auth"
	"github.com/tongban/tongban/internal/web/browsertest"
)

// js runs a script in the page, for what a person does without typing (clearing a field).
func js(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[any](expr)(ctx, t)
		return err
	})
}

func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }

// TestConsoleBrowserStory drives the whole story through the console in Chromium:
// intake in Guangzhou (with the ID check as typed), the receipt, packaging and
// dispatch; in Foshan the incoming list, sign-for by scan, the manifest check, accept,
// conclude and the result sent; back in Guangzhou the result delivered; and a
// supervisor seeing a red light once the clock has moved on.
func TestConsoleBrowserStory(t *testing.T) {
	ctx := browsertest.Start(t, 150*time.Second)
	clock := newFakeClock(time.Now())
	a, b := newClockPair(t, clock)
	const pw = "browser password 1"
	for _, u := range []struct {
		h    *testHall
		name string
		role auth.Role
	}{{a, "clerk.gz", auth.WindowClerk}, {b, "staff.fs", auth.HallStaff}, {a, "supervisor.gz", auth.Supervisor}} {
		if _, err := u.h.Auth().CreateUser(context.Background(), auth.NewUser{Username: u.name, Name: "李娜", Role: u.role, Hall: u.h.code, Password: pw}); err != nil {
			t.Fatal(err)
		}
	}
	gzURL := a.base
	// Cookies do not tell ports apart: the second hall is reached as localhost so the
	// two halls' sessions do not overwrite each other.
	fsURL := strings.Replace(b.base, "127.0.0.1", "localhost", 1)
	m, items := firstMatter(t, a)
	app := applicant()
	wrongID := app.IDNumber[:17] + map[bool]string{true: "1", false: "2"}[app.IDNumber[17] != '1']

	run := func(what string, acts ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, acts...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(css(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return v
	}
	attr := func(sel, name string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.AttributeValue(css(sel), name))
		if err != nil {
			t.Fatalf("%s of %s: %v", name, sel, err)
		}
		return v.Value
	}

	// Guangzhou: the window.
	run("login page", chromedp.Navigate(gzURL+"/console/window"), chromedp.WaitVisible(css(`input[name=username]`)), browsertest.Shot("login"))
	run("clerk logs in", browsertest.Login(gzURL, "/console", "clerk.gz", pw)...)
	run("window", chromedp.Navigate(gzURL+"/console/window"), chromedp.WaitVisible(css(`input[name=q]`)), browsertest.Shot("window"))
	run("intake form", chromedp.Navigate(gzURL+"/console/window/matters/"+m.Code), chromedp.WaitVisible(css(`#id_number`)),
		chromedp.SetValue(css(`input[name=name]`), app.Name),
		chromedp.SendKeys(css(`#id_number`), wrongID))
	hint, hintClass := text(`#id_hint`), attr(`#id_hint`, "class")
	if !strings.Contains(hintClass, "bad") {
		t.Fatalf("a wrong check character is not flagged as typed: %q %q", hint, hintClass)
	}
	run("a valid ID number", js(`document.getElementById("id_number").value = ""`), chromedp.SendKeys(css(`#id_number`), app.IDNumber))
	hintClass = attr(`#id_hint`, "class")
	acts := []chromedp.Action[chromedp.Void]{chromedp.SetValue(css(`input[name=phone]`), app.Phone), chromedp.SetValue(css(`input[name=address]`), app.Address),
		chromedp.SetValue(css(`input[name=postcode]`), app.Postcode)}
	for _, it := range items {
		acts = append(acts, chromedp.Click(css(`input[name=got_`+it.ID+`]`)))
	}
	acts = append(acts, browsertest.Shot("intake"), chromedp.Click(css(`form#intake button[type=submit]`)), chromedp.WaitVisible(css(`#case-state`)))
	run("intake", acts...)
	if !strings.Contains(hintClass, "good") {
		t.Fatalf("a valid ID number is not accepted as typed: %q", hintClass)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	caseNo := text(`h1 .mono`)
	id := loc[strings.LastIndex(loc, "/")+1:]
	run("receipt", chromedp.Navigate(gzURL+"/api/v1/cases/"+id+"/receipt"), chromedp.WaitReady(css(`body`)), browsertest.Shot("receipt"))
	receipt := text(`body`)
	if !strings.Contains(receipt, caseNo) {
		t.Fatalf("the receipt does not show the case number %s", caseNo)
	}
	run("package and dispatch", chromedp.Navigate(gzURL+"/console/cases/"+id), chromedp.WaitVisible(css(`input[name=seal_no]`)),
		chromedp.SendKeys(css(`input[name=seal_no]`), "FZ"+caseNo[len(caseNo)-6:]+"\n"), chromedp.WaitVisible(css(`input[name=waybill]`)),
		chromedp.SendKeys(css(`input[name=waybill]`), "SF"+caseNo[len(caseNo)-10:]+"\n"), chromedp.WaitNotPresent(css(`input[name=waybill]`)),
		browsertest.Shot("case-dispatched"))
	waitState(t, b, id, Dispatched)

	// Foshan: the partner hall.
	run("staff logs in", browsertest.Login(fsURL, "/console", "staff.fs", pw)...)
	run("incoming", chromedp.Navigate(fsURL+"/console/hall"), chromedp.WaitVisible(css(`input[name=scan]`)), browsertest.Shot("hall"))
	incoming := text(`main`)
	if !strings.Contains(incoming, caseNo) {
		t.Fatalf("the incoming list lacks %s", caseNo)
	}
	run("scan and check", chromedp.SendKeys(css(`input[name=scan]`), caseNo+"\n"), chromedp.WaitVisible(css(`#sign-for`)), browsertest.Shot("receive"),
		chromedp.Click(css(`#sign-for`)), chromedp.WaitVisible(css(`#move-accept`)))
	run("accept", chromedp.Click(css(`#move-accept button[type=submit]`)), chromedp.WaitVisible(css(`#move-conclude`)))
	run("conclude", chromedp.SetValue(css(`#move-conclude input[name=document_name]`), "户口迁移证"),
		chromedp.SetValue(css(`#move-conclude input[name=document_no]`), "QY"+caseNo[len(caseNo)-8:]),
		chromedp.Click(css(`#move-conclude button[type=submit]`)), chromedp.WaitVisible(css(`#move-dispatch-result`)))
	run("send the result", chromedp.SetValue(css(`#move-dispatch-result input[name=waybill]`), "SFR"+caseNo[len(caseNo)-8:]),
		chromedp.Click(css(`#move-dispatch-result button[type=submit]`)), chromedp.WaitNotPresent(css(`#move-dispatch-result`)), browsertest.Shot("case-decided"))
	waitState(t, a, id, ResultDispatched)

	// Guangzhou: the result comes back and is handed out.
	run("result back", chromedp.Navigate(gzURL+"/console/cases/"+id), chromedp.WaitVisible(css(`#move-deliver-result`)))
	result := text(`#case-result`)
	run("deliver", chromedp.SetValue(css(`#move-deliver-result input[name=signed_by]`), "陈小明"),
		chromedp.Click(css(`#move-deliver-result button[type=submit]`)), chromedp.WaitNotPresent(css(`#move-deliver-result`)),
		browsertest.Shot("case-delivered"))
	state := text(`#case-state`)
	if !strings.Contains(result, "户口迁移证") || state != "结果已送达" {
		t.Fatalf("back at the window: result %q, state %q", result, state)
	}

	// Supervision: a case left at the window turns red as the clock moves on.
	late, _ := acceptCase(t, a)
	tr, ok := a.timer(t, late, TimerDispatch)
	if !ok {
		t.Fatal("no dispatch clock for the waiting case")
	}
	clock.Set(tr.Red.Add(time.Minute))
	run("supervisor logs in", browsertest.Login(gzURL, "/console", "supervisor.gz", pw)...)
	run("lights", chromedp.Navigate(gzURL+"/console/supervision"), chromedp.WaitVisible(css(`#count-red`)))
	red := text(`#count-red b`)
	run("drill down", chromedp.Click(css(`#count-red`)), chromedp.WaitVisible(css(`#drill`)), browsertest.Shot("supervision"))
	if red == "0" || red == "" {
		t.Fatalf("the supervisor sees no red light (%q)", red)
	}
	run("english", chromedp.Navigate(gzURL+"/console/lang?to=en&back=/console/cases/"+late), chromedp.WaitVisible(css(`#case-light`)),
		browsertest.Shot("case-red-en"))
}
