package gateway_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// strangerTab is a tab in a fresh browser context of browser: no cookie
// of any other tab, as a private window.
func strangerTab(t *testing.T, browser context.Context, acceptLanguage string) context.Context {
	t.Helper()
	private, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(private); err != nil {
		t.Fatal(err)
	}
	return newTab(t, private, acceptLanguage)
}

// evaluate runs a script in tab and returns its value.
func evaluate[T any](t *testing.T, tab context.Context, script string, opts ...chromedp.EvaluateOption) T {
	t.Helper()
	v, err := chromedp.Run(tab, chromedp.Evaluate[T](script, opts...))
	if err != nil {
		t.Fatalf("evaluate %s: %v", script, err)
	}
	return v
}

// click clicks the element matching css and waits for the page it loads.
func click(t *testing.T, tab context.Context, css string) int64 {
	t.Helper()
	resp, err := chromedp.RunResponse(tab, chromedp.Click(chromedp.CSS(css)))
	if err != nil {
		t.Fatalf("click %s: %v", css, err)
	}
	return resp.Status
}

// A holder shares two fields of a diploma from its page; a stranger in a
// private window opens the link and sees those two, verified; the holder
// sees the opening, withdraws the share, and the stranger's reload is
// refused; the activity records all three.
func TestBrowserMeShare(t *testing.T) {
	requireChromium(t)
	b := newSignInBrowserEnv(t, meZhang)
	browser := newBrowser(t)
	diploma := b.issueTo(t, "edu", "diploma", meZhang.holder, map[string]any{"school": "福州大学", "major": "计算机科学与技术",
		"level": "本科", "graduatedOn": "2012-06-30", "certificateNumber": "103861201205000123"})
	tab := newTab(t, browser, "zh-CN,zh;q=0.9")
	var id, link string

	step(t, "sign in and open the share form from the credential", func(t *testing.T) {
		signInAs(t, tab, b.base, meZhang)
		click(t, tab, `li[data-credential="`+diploma+`"] a.cred-card-main`)
		if got := click(t, tab, "#share"); got != 200 {
			t.Fatalf("the share form answered %d", got)
		}
		if loc, _ := chromedp.Run(tab, chromedp.Location()); !strings.HasSuffix(loc, "/me/credentials/"+diploma+"/share") {
			t.Fatalf("the share button led to %s", loc)
		}
		sees(t, tab, []string{"分享证照", "毕业证书", "学校", "福州大学", "证书编号", "默认一项都不勾选", "10 分钟", "30 天"}, []string{"350102199003071234"})
		if n := evaluate[int](t, tab, `document.querySelectorAll("input[name=field]:checked").length`); n != 0 {
			t.Fatalf("%d fields ticked in advance", n)
		}
		noSideScroll(t, tab, "share-form-zh")
		screenshot(t, tab, "share-form-zh-360")
		phone(t, tab)
	})

	step(t, "a post without a field comes back saying so", func(t *testing.T) {
		if got := click(t, tab, "#share-submit"); got != 400 {
			t.Fatalf("an empty form answered %d", got)
		}
		if got := text(t, tab, "#fields-problem"); !strings.Contains(got, "请至少勾选一项") {
			t.Fatalf("the form says %q", got)
		}
	})

	step(t, "tick two fields, a purpose, an hour, and share", func(t *testing.T) {
		for _, css := range []string{`input[name=field][value="school"]`, `input[name=field][value="major"]`, `input[name=expires][value="3600"]`} {
			if err := chromedp.Do(tab, chromedp.Click(chromedp.CSS(css))); err != nil {
				t.Fatal(err)
			}
		}
		fill(t, tab, map[string]string{"purpose": "入职核验"})
		if got := click(t, tab, "#share-submit"); got != 200 {
			screenshot(t, tab, "failure-share-create")
			t.Fatalf("creating the share answered %d", got)
		}
		loc, _ := chromedp.Run(tab, chromedp.Location())
		u, err := url.Parse(loc)
		if err != nil || !strings.HasPrefix(u.Path, "/me/shares/edu.") {
			t.Fatalf("the form led to %s", loc)
		}
		id = strings.TrimPrefix(u.Path, "/me/shares/")
		link = evaluate[string](t, tab, `document.getElementById("share-url").value`)
		if link != b.base+"/s/"+id {
			t.Fatalf("the link reads %q, want %s", link, b.base+"/s/"+id)
		}
		if _, err := chromedp.Run(tab, chromedp.Poll[bool](`(function () { var i = document.getElementById("share-qr"); return i.complete && i.naturalWidth > 0; })()`,
			chromedp.WithPollingTimeout(10*time.Second))); err != nil {
			screenshot(t, tab, "failure-share-qr")
			t.Fatalf("the share's QR image did not load: %v", err)
		}
		sees(t, tab, []string{"分享已创建", "学校、专业", "入职核验", "有效至", "尚未被打开", "下载离线二维码", "撤回分享"}, []string{"福州大学"})
		offline := evaluate[[]string](t, tab, `(function () { var a = document.querySelector("a.share-offline"); return [a.getAttribute("href"), a.hasAttribute("download") ? "download" : ""]; })()`)
		if offline[0] != "/api/v1/me/shares/"+id+"/offline-qr.png" || offline[1] != "download" {
			t.Fatalf("the offline QR link %v", offline)
		}
		got := evaluate[string](t, tab, `fetch(document.querySelector("a.share-offline").href).then(function (r) { return r.status + " " + r.headers.get("Content-Type"); })`, chromedp.EvalAwaitPromise)
		if got != "200 image/png" {
			t.Fatalf("the offline QR answered %s", got)
		}
		noSideScroll(t, tab, "share-created-zh")
		screenshot(t, tab, "share-created-zh-360")
		phone(t, tab)
	})

	stranger := strangerTab(t, browser, "zh-CN,zh;q=0.9")
	step(t, "a stranger without a cookie sees only the two fields, verified", func(t *testing.T) {
		open(t, stranger, link)
		if got := evaluate[string](t, stranger, `document.querySelector(".banner").dataset.status + " " + document.querySelector(".banner-title").textContent.trim()`); got != "valid 已登记，现行有效" {
			t.Fatalf("the stranger's banner: %q", got)
		}
		shown := evaluate[[]string](t, stranger, `Array.from(document.querySelectorAll("#holder dd:not(.withheld), #content dd:not(.withheld)")).map(function (d) { return d.textContent.trim(); })`)
		if strings.Join(shown, ",") != "福州大学,计算机科学与技术" {
			t.Fatalf("the stranger sees the fields %v", shown)
		}
		if n := evaluate[int](t, stranger, `document.querySelectorAll(".check.fail").length + (document.querySelectorAll(".check.pass").length === 0 ? 1 : 0)`); n != 0 {
			t.Fatal("the shared fields are not verified")
		}
		sees(t, stranger, []string{"入职核验", "未披露"}, []string{"张伟", "103861201205000123", "2012-06-30", "350102199003071234"})
		screenshot(t, stranger, "share-opened-zh")
	})

	step(t, "My shares shows it opened once; withdraw it", func(t *testing.T) {
		click(t, tab, `.holder-nav a[href="/me/shares"]`)
		if got := text(t, tab, `.holder-nav a[aria-current="page"]`); got != "我的分享" {
			t.Fatalf("the navigation marks %q as current", got)
		}
		card := `li.share-card[data-share="` + id + `"]`
		if got := evaluate[string](t, tab, `document.querySelector('`+card+`').dataset.opens`); got != "1" {
			t.Fatalf("opened %s times", got)
		}
		if got := text(t, tab, card+" .share-opens"); !strings.HasPrefix(got, "1 次，最近一次") {
			t.Fatalf("the openings read %q", got)
		}
		sees(t, tab, []string{"毕业证书", "教育局", "学校、专业", "入职核验"}, nil)
		noSideScroll(t, tab, "my-shares-zh")
		screenshot(t, tab, "my-shares-zh-360")
		phone(t, tab)
		click(t, tab, card+` form.share-withdraw button`)
		if got := text(t, tab, "#share-notice"); !strings.Contains(got, "分享已撤回") {
			t.Fatalf("the notice says %q", got)
		}
		if got := evaluate[string](t, tab, `document.querySelector('`+card+`').dataset.state`); got != "withdrawn" {
			t.Fatalf("the share is %s", got)
		}
		if n := evaluate[int](t, tab, `document.querySelectorAll('`+card+` form.share-withdraw').length`); n != 0 {
			t.Fatal("a withdrawn share still offers the withdraw button")
		}
	})

	step(t, "the stranger's reload is refused", func(t *testing.T) {
		resp, err := chromedp.RunResponse(stranger, chromedp.Reload())
		if err != nil || resp.Status != 410 {
			t.Fatalf("the reload: %v %v", resp, err)
		}
		sees(t, stranger, []string{"分享已撤回"}, []string{"福州大学", "计算机科学与技术"})
	})

	step(t, "the activity shows the share created, opened and withdrawn", func(t *testing.T) {
		click(t, tab, `.holder-nav a[href="/me/activity"]`)
		items := evaluate[[]string](t, tab, `Array.from(document.querySelectorAll("li.activity-item")).map(function (li) { return li.dataset.event; })`)
		if want := "share_withdrawn,share_opened,share_created,issued"; strings.Join(items, ",") != want {
			t.Fatalf("the timeline %v, want %s", items, want)
		}
		sees(t, tab, []string{"撤回分享", "分享被打开", "创建分享", "用途：入职核验"}, nil)
	})
}
