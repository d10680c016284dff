package settlement

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tongban/tongban/internal/web/browsertest"
)

// TestFinanceBrowserStory drives the finance console in Chromium: a preparer uploads
// the courier simulator's March bill (GBK CSV) with the progress bar, reconciles it
// and finds every planted error in its class, disputes a line and prepares the
// close; an approver, in a browser context of their own, approves it; the statements
// download with the SHA-256 the page shows.
func TestFinanceBrowserStory(t *testing.T) {
	ctx := browsertest.Start(t, 90*time.Second)
	s, created, voided := simMonth(t, 30)
	h := newHarness(t)
	h.tariffs(t)
	for _, ev := range created {
		h.send(t, TypeWaybillCreated, ev)
	}
	for _, ev := range voided {
		h.send(t, TypeWaybillVoided, WaybillEvent{Carrier: ev.Carrier, Waybill: ev.Waybill, CaseID: ev.CaseID, VoidedAt: ev.VoidedAt})
	}
	bill, err := s.Bill("sf", "P1", "2025-03", 0.4)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "sf-P1-2025-03.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := bill.WriteCSV(f, true); err != nil {
		t.Fatal(err)
	}
	f.Close()
	want := map[string]int{}
	for _, planted := range bill.Key.Errors {
		want[simClass[planted]]++
	}
	// The line to dispute: one whose expected fee has a trace to show.
	disputed := ""
	for _, c := range []string{ClassOvercharged, ClassWeight} {
		if want[c] > 0 && disputed == "" {
			disputed = c
		}
	}
	if disputed == "" || len(want) < 3 {
		t.Fatalf("the simulator planted too little: %v", want)
	}
	t.Logf("planted by class: %v", want)
	// The browser drops cookies that expired by its own clock, so the node's clock is
	// today's; the bill's period is chosen in the form.
	h.clock.Set(time.Now())
	srv := consoleServer(t, h)
	base := srv.URL
	const pw = "test password 1"
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }

	run := func(ctx context.Context, what string, acts ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, acts...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(ctx context.Context, sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(css(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return v
	}

	// The preparer: upload, reconcile, dispute, prepare.
	run(ctx, "login page", chromedp.Navigate(base+"/finance/bills"), chromedp.WaitVisible(css(`input[name=username]`)), browsertest.Shot("finance-login"))
	run(ctx, "preparer logs in", browsertest.Login(base, "/finance", "alice", pw)...)
	run(ctx, "upload", chromedp.WaitVisible(css(`form#upload`)),
		chromedp.SetValue(css(`select[name=carrier]`), "sf"), chromedp.SetValue(css(`input[name=account]`), "P1"),
		chromedp.SetValue(css(`input[name=period]`), "2025-03"),
		chromedp.SetUploadFiles(css(`input[name=file]`), []string{path}), browsertest.Shot("finance-upload"),
		chromedp.Click(css(`form#upload button[type=submit]`)), chromedp.WaitVisible(css(`#import-counts`)), browsertest.Shot("finance-import"))
	if st := text(ctx, `#import-status`); st != "已导入" {
		t.Fatalf("import status %q", st)
	}
	run(ctx, "reconcile", chromedp.Click(css(`#run-recon`)), chromedp.WaitVisible(css(`#class-summary`)), browsertest.Shot("finance-recon"))
	for class, n := range want {
		got := text(ctx, `#class-summary a[data-class="`+class+`"] b`)
		if got != strconv.Itoa(n) {
			t.Errorf("class %s shows %s lines, the answer key planted %d", class, got, n)
		}
	}
	row := `#recon-lines tr[data-class="` + disputed + `"]`
	run(ctx, "lines of a class", chromedp.Click(css(`#class-summary a[data-class="`+disputed+`"]`)),
		chromedp.WaitVisible(css(row)), chromedp.Click(css(row+` details summary`)),
		chromedp.Click(css(`#recon-lines input[name=line]`)),
		chromedp.SetValue(css(`#dispute-reason`), "运费高于合同资费"), browsertest.Shot("finance-recon-trace"),
		chromedp.Click(css(`#dispute-submit`)), chromedp.WaitVisible(css(`.flash-ok`)))
	run(ctx, "disputes", chromedp.Navigate(base+"/finance/disputes?carrier=sf&account=P1"), chromedp.WaitVisible(css(`#dispute-export`)),
		browsertest.Shot("finance-disputes"))
	if n := strings.Count(text(ctx, `#dispute-list tbody`), "运费高于合同资费"); n != 1 {
		t.Fatalf("the disputes page shows %d disputes with the reason, want 1", n)
	}
	run(ctx, "prepare the close", chromedp.Navigate(base+"/finance/close?period=2025-03"), chromedp.Click(css(`#close-prepare`)),
		chromedp.WaitVisible(css(`#prepared-by`)), browsertest.Shot("finance-close-prepared"))
	if !strings.Contains(text(ctx, `#identity h2`), "✓") {
		t.Fatalf("the close identity does not hold: %q", text(ctx, `#identity`))
	}

	// The approver, in a browser context of their own.
	actx, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancel()
	run(actx, "approver logs in", browsertest.Login(base, "/finance", "bob", pw)...)
	run(actx, "close page", chromedp.Navigate(base+"/finance/close?period=2025-03"), chromedp.WaitVisible(css(`#close-approve`)))
	if by := text(actx, `#prepared-by`); !strings.Contains(by, "alice") {
		t.Fatalf("the approver does not see who prepared: %q", by)
	}
	run(actx, "approve", chromedp.Click(css(`#close-approve`)), chromedp.WaitVisible(css(`.flash-ok`)), browsertest.Shot("finance-close-approved"))
	if by := text(actx, `#approved-by`); !strings.Contains(by, "bob") {
		t.Fatalf("approved by %q", by)
	}
	// Every statement downloads, with the SHA-256 the page shows.
	check, err := chromedp.Run(actx, chromedp.Evaluate[string](`(async () => {
		const rows = [...document.querySelectorAll("#statements tbody tr")];
		const out = [];
		for (const tr of rows) {
			const a = tr.querySelector("a.stmt"), shown = tr.querySelector("td:last-child").textContent.trim();
			const r = await fetch(a.href);
			const body = await r.arrayBuffer();
			out.push(r.status === 200 && body.byteLength > 0 && r.headers.get("X-Content-SHA256") === shown ? "ok" : "bad " + a.href + " " + r.status);
		}
		return out.join(",");
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if check == "" || strings.Contains(check, "bad") || strings.Count(check, "ok") < 6 {
		t.Fatalf("statements: %s", check)
	}
	href, err := chromedp.Run(actx, chromedp.AttributeValue(css(`#statements a.stmt[data-format=html]`), "href"))
	if err != nil {
		t.Fatal(err)
	}
	run(actx, "printable statement", chromedp.Navigate(base+href.Value), chromedp.WaitReady(css(`table`)), browsertest.Shot("finance-statement"))
	run(actx, "english", chromedp.Navigate(base+"/finance/lang?to=en&back=/finance/recon?carrier=sf%26account=P1%26period=2025-03"),
		chromedp.WaitVisible(css(`#class-summary`)), browsertest.Shot("finance-recon-en"))
}
