package gateway_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"sync"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromiumPath finds a Chromium or Chrome binary: $CHROMIUM_PATH first,
// then the usual names on PATH. "" when there is none.
func chromiumPath() string {
	if p := os.Getenv("CHROMIUM_PATH"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// requireChromium returns the Chromium binary, or skips the test when there
// is none (CI installs one).
func requireChromium(t *testing.T) string {
	t.Helper()
	bin := chromiumPath()
	if bin == "" {
		t.Skip("no Chromium binary: install it (apt-get install -y chromium) or set CHROMIUM_PATH to run the browser test")
	}
	return bin
}

// newBrowser starts headless Chromium with a throwaway profile, or skips the
// test when no Chromium binary exists (CI installs one).
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	bin := requireChromium(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-features", "Translate"),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("password-store", "basic"),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(filepath.Join(t.TempDir(), "profile")),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	return bctx
}

// newTab opens a tab with a phone-sized viewport that sends acceptLanguage.
// Each tab has its own deadline so a hung page fails the test.
func newTab(t *testing.T, browser context.Context, acceptLanguage string) context.Context {
	t.Helper()
	tctx, cancelTab := chromedp.NewContext(browser)
	tctx, cancelTimeout := context.WithTimeout(tctx, 90*time.Second)
	var watched chan []string
	t.Cleanup(func() {
		cancelTimeout()
		cancelTab()
		if watched != nil {
			for _, p := range <-watched {
				t.Errorf("browser: %s", p)
			}
		}
	})
	phone(t, tctx)
	watched = watchPageProblems(t, tctx)
	if _, err := chromedp.Call(tctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(tctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": acceptLanguage}}); err != nil {
		t.Fatal(err)
	}
	return tctx
}

// watchPageProblems collects what would break a page silently: uncaught
// script exceptions and security messages such as Content-Security-Policy
// violations. HTTP error statuses are not problems: the console expects
// them and shows them. The channel yields the list once the tab closes.
func watchPageProblems(t *testing.T, tab context.Context) chan []string {
	t.Helper()
	exceptions := chromedp.Events(tab, runtime.ExceptionThrown)
	entries := chromedp.Events(tab, cdplog.EntryAdded)
	if _, err := chromedp.Call(tab, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	out := make(chan []string, 1)
	var mu sync.Mutex
	var problems []string
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for ev, err := range exceptions {
			if err != nil {
				return
			}
			msg := ev.ExceptionDetails.Text
			if ev.ExceptionDetails.Exception != nil && ev.ExceptionDetails.Exception.Description != "" {
				msg += " " + ev.ExceptionDetails.Exception.Description
			}
			mu.Lock()
			problems = append(problems, "uncaught exception: "+msg)
			mu.Unlock()
		}
	}()
	go func() {
		defer wg.Done()
		for ev, err := range entries {
			if err != nil {
				return
			}
			if e := ev.Entry; e != nil && (e.Source == cdplog.EntrySourceSecurity || e.Source == cdplog.EntrySourceJavascript) {
				mu.Lock()
				problems = append(problems, string(e.Source)+": "+e.Text)
				mu.Unlock()
			}
		}
	}()
	go func() {
		wg.Wait()
		out <- problems
	}()
	return out
}

// phone gives a tab the viewport of a common phone (390x844 CSS pixels,
// device scale 2, mobile).
func phone(t *testing.T, tab context.Context) {
	t.Helper()
	if err := chromedp.Do(tab, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile)); err != nil {
		t.Fatal(err)
	}
}

// desktop switches a tab to a laptop-sized viewport, for the console,
// which departments mostly use at a desk.
func desktop(t *testing.T, tab context.Context) {
	t.Helper()
	if err := chromedp.Do(tab, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatal(err)
	}
}

// screenshot saves the whole page as a PNG under the test's artifact folder
// ($CERTLEDGER_SCREENSHOTS, default the OS temp dir) for a person to look at.
func screenshot(t *testing.T, tab context.Context, name string) {
	t.Helper()
	dir := os.Getenv("CERTLEDGER_SCREENSHOTS")
	if dir == "" {
		dir = os.TempDir()
	}
	png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(dir, "certledger-"+name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}
