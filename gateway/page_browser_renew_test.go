package gateway_test

import (
	"net/url"
	"testing"

	"github.com/chromedp/chromedp"
)

// The page of a renewed version says it is superseded, in either language,
// and its link leads to the new version's page.
func TestBrowserSupersededPage(t *testing.T) {
	requireChromium(t)
	b := newBrowserEnv(t)
	browser := newBrowser(t)
	lic := b.issueOverHTTP(t, "福州延续测试有限公司")
	renewed := b.mustNewVersion(t, lic.ID, "renew", map[string]any{"validUntil": "2044-01-01"})

	en := newTab(t, browser, "en")
	open(t, en, lic.VerifyURL)
	if got := text(t, en, ".banner-title"); got != "Superseded" {
		t.Fatalf("status banner says %q, want Superseded", got)
	}
	sees(t, en, []string{"replaced by a newer version", "Newer version: " + renewed.ID}, nil)
	screenshot(t, en, "verify-superseded-en")
	// The identifier in the link wraps on a phone-sized screen.
	overflow, err := chromedp.Run(en, chromedp.Evaluate[bool](`(function () {
		var p = document.querySelector(".superseded-by"), card = p.closest(".card");
		return p.scrollWidth > p.clientWidth || p.getBoundingClientRect().right > card.getBoundingClientRect().right; })()`))
	if err != nil || overflow {
		t.Fatalf("the link is wider than its card (%v)", err)
	}
	if _, err := chromedp.RunResponse(en, chromedp.Click(chromedp.CSS(".superseded-by a"))); err != nil {
		t.Fatal(err)
	}
	loc, err := chromedp.Run(en, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := url.Parse(loc); u.Path != "/v/"+renewed.ID || u.RawQuery != "" {
		t.Fatalf("the link led to %s", loc)
	}
	if got := text(t, en, ".banner-title"); got != "Registered and in force" {
		t.Fatalf("the new version's page says %q", got)
	}

	zh := newTab(t, browser, "zh-CN,zh;q=0.9")
	open(t, zh, b.base+"/v/"+url.PathEscape(lic.ID))
	if got := text(t, zh, ".banner-title"); got != "已被新版本取代" {
		t.Fatalf("status banner says %q, want 已被新版本取代", got)
	}
	sees(t, zh, []string{"新版本：" + renewed.ID}, []string{"Superseded"})
}
