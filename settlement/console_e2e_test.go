package settlement

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath finds Debian's Chromium; deploy/dev/ensure-chromium.sh installs it.
func chromiumPath() string {
	for _, p := range []string{os.Getenv("TONGBAN_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	return ""
}

// financeBrowser starts a headless Chromium for the test, with nothing reaching outside.
func financeBrowser(t *testing.T) context.Context {
	t.Helper()
	bin := chromiumPath()
	if bin == "" {
		if os.Getenv("TONGBAN_REQUIRE_BROWSER") == "1" {
			t.Fatal("Chromium not found and TONGBAN_REQUIRE_BROWSER=1: run deploy/dev/ensure-chromium.sh")
		}
		t.Skip("Chromium not found (/usr/bin/chromium); run deploy/dev/ensure-chromium.sh, or set TONGBAN_REQUIRE_BROWSER=1 to fail instead")
	}
	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 800),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true)}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelT(); cancelB(); cancelA() })
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800)); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// financeShot saves the viewport to docs/screenshots/finance-name.png.
func financeShot(name string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		buf, err := chromedp.CaptureScreenshot()(ctx, t)
		if err != nil {
			return err
		}
		dir := filepath.Join("..", "docs", "screenshots")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, "finance-"+name+".png"), buf, 0o644)
	})
}

func financeLogin(base, user, pw string) []chromedp.Action[chromedp.Void] {
	sel := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	return []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(base + "/finance/login"),
		chromedp.WaitVisible(sel(`input[name=username]`)),
		chromedp.SetValue(sel(`input[name=username]`), user),
		chromedp.SetValue(sel(`input[name=password]`), pw),
		chromedp.Click(sel(`button[type=submit]`)),
		chromedp.WaitVisible(sel(`.who .user`)),
	}
}

// TestFinanceBrowserStory drives the finance console in Chromium: a preparer uploads
// the courier simulator's March bill (GBK CSV) with the progress bar, reconciles it
// and finds every planted error in its class, disputes a line and prepares the
// close; an approver, in a browser context of their own, approves it; the statements
// download with the SHA-256 the page shows.
func TestFinanceBrowserStory(t *testing.T) {
	ctx := financeBrowser(t)
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
	run(ctx, "login page", chromedp.Navigate(base+"/finance/bills"), chromedp.WaitVisible(css(`input[name=username]`)), financeShot("login"))
	run(ctx, "preparer logs in", financeLogin(base, "alice", pw)...)
	run(ctx, "upload", chromedp.WaitVisible(css(`form#upload`)),
		chromedp.SetValue(css(`select[name=carrier]`), "sf"), chromedp.SetValue(css(`input[name=account]`), "P1"),
		chromedp.SetValue(css(`input[name=period]`), "2025-03"),
		chromedp.SetUploadFiles(css(`input[name=file]`), []string{path}), financeShot("upload"),
		chromedp.Click(css(`form#upload button[type=submit]`)), chromedp.WaitVisible(css(`#import-counts`)), financeShot("import"))
	if st := text(ctx, `#import-status`); st != "已导入" {
		t.Fatalf("import status %q", st)
	}
	run(ctx, "reconcile", chromedp.Click(css(`#run-recon`)), chromedp.WaitVisible(css(`#class-summary`)), financeShot("recon"))
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
		chromedp.SetValue(css(`#dispute-reason`), "运费高于合同资费"), financeShot("recon-trace"),
		chromedp.Click(css(`#dispute-submit`)), chromedp.WaitVisible(css(`.flash-ok`)))
	run(ctx, "disputes", chromedp.Navigate(base+"/finance/disputes?carrier=sf&account=P1"), chromedp.WaitVisible(css(`#dispute-export`)),
		financeShot("disputes"))
	if n := strings.Count(text(ctx, `#dispute-list tbody`), "运费高于合同资费"); n != 1 {
		t.Fatalf("the disputes page shows %d disputes with the reason, want 1", n)
	}
	run(ctx, "prepare the close", chromedp.Navigate(base+"/finance/close?period=2025-03"), chromedp.Click(css(`#close-prepare`)),
		chromedp.WaitVisible(css(`#prepared-by`)), financeShot("close-prepared"))
	if !strings.Contains(text(ctx, `#identity h2`), "✓") {
		t.Fatalf("the close identity does not hold: %q", text(ctx, `#identity`))
	}

	// The approver, in a browser context of their own.
	actx, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancel()
	run(actx, "approver logs in", financeLogin(base, "bob", pw)...)
	run(actx, "close page", chromedp.Navigate(base+"/finance/close?period=2025-03"), chromedp.WaitVisible(css(`#close-approve`)))
	if by := text(actx, `#prepared-by`); !strings.Contains(by, "alice") {
		t.Fatalf("the approver does not see who prepared: %q", by)
	}
	run(actx, "approve", chromedp.Click(css(`#close-approve`)), chromedp.WaitVisible(css(`.flash-ok`)), financeShot("close-approved"))
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
	run(actx, "printable statement", chromedp.Navigate(base+href.Value), chromedp.WaitReady(css(`table`)), financeShot("statement"))
	run(actx, "english", chromedp.Navigate(base+"/finance/lang?to=en&back=/finance/recon?carrier=sf%26account=P1%26period=2025-03"),
		chromedp.WaitVisible(css(`#class-summary`)), financeShot("recon-en"))
}
