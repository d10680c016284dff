// Package browsertest starts Debian's Chromium for the consoles' browser tests and
// holds the steps every console story takes (log in, take a screenshot). Only tests
// import it.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// ChromiumPath finds Debian's Chromium; deploy/dev/ensure-chromium.sh installs it.
func ChromiumPath() string {
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

// Start starts a headless Chromium for the test, with nothing reaching outside, and
// gives the whole story limit. Without Chromium the test is skipped, or fails when
// TONGBAN_REQUIRE_BROWSER=1 (as in CI).
func Start(t *testing.T, limit time.Duration) context.Context {
	t.Helper()
	bin := ChromiumPath()
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
	ctx, cancelT := context.WithTimeout(ctx, limit)
	t.Cleanup(func() { cancelT(); cancelB(); cancelA() })
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800)); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// Shot saves the viewport to docs/screenshots/name.png (the test runs in a package
// folder one level below the repository).
func Shot(name string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		buf, err := chromedp.CaptureScreenshot()(ctx, t)
		if err != nil {
			return err
		}
		dir := filepath.Join("..", "docs", "screenshots")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644)
	})
}

// Login signs user in at the console under prefix ("/console", "/finance") and waits
// for the page that names them.
func Login(base, prefix, user, pw string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(base + prefix + "/login"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
		chromedp.SetValue(chromedp.CSS(`input[name=username]`), user),
		chromedp.SetValue(chromedp.CSS(`input[name=password]`), pw),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.who .user`)),
	}
}
