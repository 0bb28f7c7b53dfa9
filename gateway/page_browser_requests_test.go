package gateway_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// poll waits until script is true in tab, or fails with a screenshot.
func poll(t *testing.T, tab context.Context, what, script string) {
	t.Helper()
	if _, err := chromedp.Run(tab, chromedp.Poll[bool](script, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		screenshot(t, tab, "failure-"+what)
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// The consent flow in the browser: the personnel bureau's console asks
// for a service's fields; the holder signs in, finds the request in the
// inbox, opens it and approves; the console shows it approved with each
// received presentation verified; the holder withdraws, and the console
// then gets no presentation. Holder pages fit a 360 px phone.
func TestBrowserConsentRequest(t *testing.T) {
	requireChromium(t)
	b := newSignInBrowserEnv(t, meZhang)
	browser := newBrowser(t)
	diploma := b.issueTo(t, "edu", "diploma", meZhang.holder, map[string]any{"school": "福州大学", "major": "计算机科学与技术",
		"level": "本科", "graduatedOn": "2012-06-30", "certificateNumber": "103861201205000123"})
	qual := b.issueTo(t, "hrss", "professional-qualification", meZhang.holder, map[string]any{"occupation": "软件设计师", "grade": "中级",
		"certificateNumber": "S3501201511080042"})
	console := newTab(t, browser, "zh-CN,zh;q=0.9")
	holder := strangerTab(t, browser, "zh-CN,zh;q=0.9")
	var id string
	item := func() string { return `#req-list li[data-request="` + id + `"] .req-open` }

	step(t, "the console creates a request for the holder", func(t *testing.T) {
		desktop(t, console)
		open(t, console, b.base+"/console")
		fill(t, console, map[string]string{"api-key": b.key("hrss")})
		if err := chromedp.Do(console, chromedp.Click(chromedp.CSS("#login-form button")), chromedp.WaitVisible(chromedp.ID("workspace"))); err != nil {
			t.Fatal(err)
		}
		poll(t, console, "the services", `document.querySelectorAll("#req-service option").length > 0`)
		// The personnel bureau requests one of the three demo items.
		codes := evaluate[[]string](t, console, `Array.from(document.querySelectorAll("#req-service option")).map(function (o) { return o.value; })`)
		if strings.Join(codes, ",") != "ZCPS-2026-001" {
			t.Fatalf("the console offers %v", codes)
		}
		fill(t, console, map[string]string{"req-service": "ZCPS-2026-001", "req-idType": "resident_id",
			"req-idNumber": meZhang.holder.IDNumber, "req-purpose": "2026年度职称评审"})
		if got := text(t, console, "#req-needs"); !strings.Contains(got, "毕业证书：毕业日期、持证者名称、学历层次、专业") {
			t.Fatalf("the needs read %q", got)
		}
		if err := chromedp.Do(console, chromedp.Click(chromedp.ID("req-submit"))); err != nil {
			t.Fatal(err)
		}
		await(t, console, "req-created", "req-error")
		u := evaluate[string](t, console, `document.getElementById("req-url").value`)
		if !strings.HasPrefix(u, b.base+"/me/requests/") {
			t.Fatalf("the approve URL %q", u)
		}
		id = strings.TrimPrefix(u, b.base+"/me/requests/")
		poll(t, console, "the request QR", `(function () { var i = document.getElementById("req-qr"); return i.complete && i.naturalWidth > 0; })()`)
		poll(t, console, "the list", `!!document.querySelector('`+item()+`')`)
		if got := evaluate[string](t, console, `document.querySelector('#req-list li[data-request="`+id+`"]').dataset.status`); got != "pending" {
			t.Fatalf("listed as %s", got)
		}
		screenshot(t, console, "consent-console-created")
	})

	step(t, "the holder finds it in the inbox", func(t *testing.T) {
		signInAs(t, holder, b.base, meZhang)
		click(t, holder, `.holder-nav a[href="/me/requests"]`)
		if got := text(t, holder, `.holder-nav a[aria-current="page"]`); got != "授权请求" {
			t.Fatalf("the navigation marks %q", got)
		}
		sees(t, holder, []string{"专业技术职称评审", "人力资源和社会保障局", "2026年度职称评审", "学历层次", "职业（工种）", "待处理", "请在此前处理"},
			[]string{"福州大学", "350102199003071234"})
		noSideScroll(t, holder, "requests-inbox-zh")
		screenshot(t, holder, "consent-inbox-zh-360")
		phone(t, holder)
	})

	step(t, "the holder opens it and approves", func(t *testing.T) {
		if got := click(t, holder, `li[data-request="`+id+`"] a.request-open`); got != 200 {
			t.Fatalf("the request answered %d", got)
		}
		sees(t, holder, []string{"同意后，对方将获得且仅获得", "毕业证书", "职业资格证书", "将使用", diploma, qual}, nil)
		noSideScroll(t, holder, "request-zh")
		screenshot(t, holder, "consent-request-zh-360")
		phone(t, holder)
		if got := click(t, holder, "#approve"); got != 200 {
			t.Fatalf("approving answered %d", got)
		}
		if got := text(t, holder, "#request-notice"); !strings.Contains(got, "已同意") {
			t.Fatalf("the notice says %q", got)
		}
		sees(t, holder, []string{"授权有效至", "尚未读取", "撤回授权"}, nil)
		noSideScroll(t, holder, "request-approved-zh")
		phone(t, holder)
	})

	step(t, "the console shows it approved with the fields verified", func(t *testing.T) {
		if err := chromedp.Do(console, chromedp.Click(chromedp.ID("req-refresh"))); err != nil {
			t.Fatal(err)
		}
		poll(t, console, "approved in the list", `(function () { var li = document.querySelector('#req-list li[data-request="`+id+`"]'); return !!li && li.dataset.status === "approved"; })()`)
		if err := chromedp.Do(console, chromedp.Click(chromedp.CSS(item()))); err != nil {
			t.Fatal(err)
		}
		poll(t, console, "the presentations verified", `(function () {
			var d = document.getElementById("req-detail"), ps = document.querySelectorAll(".req-presentation");
			return !d.hidden && d.dataset.status === "approved" && ps.length === 2 &&
				Array.from(ps).every(function (p) { return p.dataset.verified === "true"; });
		})()`)
		got := text(t, console, "#req-presentations")
		for _, w := range []string{"核验通过", "张伟", "本科", "计算机科学与技术", "2012-06-30", "软件设计师", "中级", "S3501201511080042"} {
			if !strings.Contains(got, w) {
				t.Errorf("the presentations lack %q: %s", w, got)
			}
		}
		for _, w := range []string{"福州大学", "103861201205000123", "350102199003071234"} {
			if strings.Contains(got, w) {
				t.Errorf("the presentations disclose %q", w)
			}
		}
		if got := text(t, console, "#req-receipt"); !strings.Contains(got, "授权凭据") || !strings.Contains(got, diploma) {
			t.Errorf("the receipt reads %q", got)
		}
		screenshot(t, console, "consent-console-approved")
	})

	step(t, "the holder sees the read and withdraws", func(t *testing.T) {
		if _, err := chromedp.RunResponse(holder, chromedp.Reload()); err != nil {
			t.Fatal(err)
		}
		if got := text(t, holder, ".request-reads"); !strings.HasPrefix(got, "1 次") {
			t.Fatalf("the reads say %q", got)
		}
		if got := click(t, holder, "#withdraw"); got != 200 {
			t.Fatalf("withdrawing answered %d", got)
		}
		if got := text(t, holder, "#request-notice"); !strings.Contains(got, "授权已撤回") {
			t.Fatalf("the notice says %q", got)
		}
		if n := evaluate[int](t, holder, `document.querySelectorAll("#withdraw, #approve").length`); n != 0 {
			t.Fatal("a withdrawn request still offers a decision")
		}
		noSideScroll(t, holder, "request-withdrawn-zh")
	})

	step(t, "the console then gets no presentation", func(t *testing.T) {
		if err := chromedp.Do(console, chromedp.Click(chromedp.CSS(item()))); err != nil {
			t.Fatal(err)
		}
		poll(t, console, "withdrawn", `document.getElementById("req-detail").dataset.status === "withdrawn"`)
		if n := evaluate[int](t, console, `document.querySelectorAll(".req-presentation").length`); n != 0 {
			t.Fatalf("%d presentations after the withdrawal", n)
		}
		if got := text(t, console, "#req-presentations"); !strings.Contains(got, "没有可读取的内容") {
			t.Fatalf("the console says %q", got)
		}
	})
}
