package gateway_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/gateway"
	"github.com/chromedp/chromedp"
)

// browserEnv is a real gateway on a loopback port, on the embedded ledger
// with the demo registry, whose verification links point at itself so a
// browser can follow them.
type browserEnv struct {
	*apiEnv
	base string
}

func newBrowserEnv(t *testing.T) *browserEnv {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	e := newAPIEnv(t, func(c *gateway.Config, _ *ledgerWrap) { c.PublicURL = base })
	done := make(chan error, 1)
	go func() { done <- e.srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := e.srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		<-done
	})
	return &browserEnv{apiEnv: e, base: base}
}

// issueOverHTTP issues a business licence through the real listener.
func (b *browserEnv) issueOverHTTP(t *testing.T, company string) issuedAnswer {
	t.Helper()
	raw, err := json.Marshal(licenceBody(company))
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest("POST", b.base+"/api/v1/credentials", strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+b.key("samr"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out issuedAnswer
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("issue: %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.VerifyURL, b.base+"/v/") {
		t.Fatalf("verifyUrl %q does not point at this gateway %s", out.VerifyURL, b.base)
	}
	return out
}

// open navigates tab to u and waits until the page's main content is there.
func open(t *testing.T, tab context.Context, u string) {
	t.Helper()
	if err := chromedp.Do(tab, chromedp.Navigate(u), chromedp.WaitVisible(chromedp.CSS("main"))); err != nil {
		t.Fatalf("open %s: %v", u, err)
	}
}

// text returns the visible text of the first element matching css.
func text(t *testing.T, tab context.Context, css string) string {
	t.Helper()
	s, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		t.Fatalf("text of %s: %v", css, err)
	}
	return strings.TrimSpace(s)
}

// noBareValid fails when a page without the holder's details shows a bare
// "valid" anywhere: shown for someone else's credential, it reads as proof.
func noBareValid(t *testing.T, tab context.Context) {
	t.Helper()
	found, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("main *")).filter(function (el) {
		var s = el.textContent.trim().toLowerCase();
		return s === "valid" || s === "有效";
	}).map(function (el) { return el.outerHTML; })`))
	if err != nil {
		t.Fatal(err)
	}
	if len(found) > 0 {
		t.Fatalf("the page says just valid: %v", found)
	}
	if tone, err := chromedp.Run(tab, chromedp.AttributeValue(chromedp.CSS(".banner"), "class")); err != nil || strings.Contains(tone.Value, "tone-ok") {
		t.Fatalf("the banner is green without the holder's details: %q %v", tone.Value, err)
	}
}

// sees checks what a person sees in the page's main area.
func sees(t *testing.T, tab context.Context, want []string, notWant []string) {
	t.Helper()
	main := text(t, tab, "main")
	for _, w := range want {
		if !strings.Contains(main, w) {
			t.Errorf("the page does not show %q; it shows:\n%s", w, main)
		}
	}
	for _, w := range notWant {
		if strings.Contains(main, w) {
			t.Errorf("the page shows %q", w)
		}
	}
}

func TestBrowserVerificationPage(t *testing.T) {
	requireChromium(t)
	// The gateway starts first so that it stops last, after the browser
	// has closed its connections.
	b := newBrowserEnv(t)
	browser := newBrowser(t)
	lic := b.issueOverHTTP(t, "福州数字未来科技有限公司")
	plain := b.base + "/v/" + url.PathEscape(lic.ID)

	zh := newTab(t, browser, "zh-CN,zh;q=0.9")
	step(t, "valid, with token, in Chinese", func(t *testing.T) {
		open(t, zh, lic.VerifyURL)
		if got := text(t, zh, ".banner-title"); got != "有效" {
			t.Fatalf("status banner says %q, want 有效", got)
		}
		sees(t, zh, []string{"福州数字未来科技有限公司", "法定代表人", "张三", "营业执照", "市场监督管理局", "签发机关签名", "账本记录", lic.Record.IssueTxID}, []string{"Legal representative"})
		screenshot(t, zh, "verify-valid-zh")
	})

	step(t, "the language switch keeps the token on the same page", func(t *testing.T) {
		if _, err := chromedp.RunResponse(zh, chromedp.Click(chromedp.CSS(`.langs a[hreflang="en"]`))); err != nil {
			t.Fatal(err)
		}
		if got := text(t, zh, ".banner-title"); got != "Valid" {
			t.Fatalf("status banner says %q, want Valid", got)
		}
		sees(t, zh, []string{"福州数字未来科技有限公司", "Legal representative", "Business Licence", "Market Regulation Administration", "Issuer signature"}, []string{"法定代表人"})
		loc, err := chromedp.Run(zh, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		if u, _ := url.Parse(loc); u.Path != "/v/"+lic.ID || u.Query().Get("lang") != "en" {
			t.Fatalf("the switch led to %s", loc)
		}
		// The choice sticks: the token-less page is English now too.
		open(t, zh, plain)
		if got := text(t, zh, ".banner-title"); got != "Registered and in force" {
			t.Fatalf("after switching, the plain page says %q", got)
		}
		noBareValid(t, zh)
		// Back to Chinese for the rest of the test.
		open(t, zh, plain+"?lang=zh")
	})

	step(t, "without token: status, type and issuer only, and not who holds it", func(t *testing.T) {
		open(t, zh, plain)
		if got := text(t, zh, ".banner-title"); got != "已登记，现行有效" {
			t.Fatalf("status banner says %q", got)
		}
		noBareValid(t, zh)
		sees(t, zh, []string{"营业执照", "市场监督管理局", "仅显示公开信息", "本页面不显示持证者", "分享码"}, []string{"福州数字未来科技有限公司", "张三", "91350100M000100Y43"})
		screenshot(t, zh, "verify-public-zh")
	})

	step(t, "the home page looks an identifier up", func(t *testing.T) {
		open(t, zh, b.base+"/")
		screenshot(t, zh, "home-zh")
		fill(t, zh, map[string]string{"lookup-id": lic.ID})
		if _, err := chromedp.RunResponse(zh, chromedp.Click(chromedp.CSS(".lookup button"))); err != nil {
			t.Fatal(err)
		}
		if got := text(t, zh, ".banner-title"); got != "已登记，现行有效" {
			t.Fatalf("status banner says %q", got)
		}
		noBareValid(t, zh)
		sees(t, zh, []string{lic.ID}, []string{"福州数字未来科技有限公司"})
	})

	step(t, "a wrong token is no token", func(t *testing.T) {
		open(t, zh, plain+"?t=AAAAAAAAAAAAAAAAAAAAAA")
		noBareValid(t, zh)
		sees(t, zh, []string{"访问令牌无效"}, []string{"福州数字未来科技有限公司"})
	})

	step(t, "suspended shows the reason", func(t *testing.T) {
		b.pageChangeStatus(t, lic.ID, "suspend", map[string]string{"reason": "涉嫌虚假登记，暂扣待查"})
		open(t, zh, lic.VerifyURL)
		if got := text(t, zh, ".banner-title"); got != "暂扣" {
			t.Fatalf("status banner says %q, want 暂扣", got)
		}
		sees(t, zh, []string{"涉嫌虚假登记，暂扣待查"}, nil)
		screenshot(t, zh, "verify-suspended-zh")
	})

	step(t, "revoked shows its kind and reason", func(t *testing.T) {
		b.pageChangeStatus(t, lic.ID, "revoke", map[string]string{"reason": "严重违法，吊销营业执照", "code": "penalty"})
		open(t, zh, lic.VerifyURL)
		if got := text(t, zh, ".banner-title"); got != "已吊销" {
			t.Fatalf("status banner says %q, want 已吊销", got)
		}
		sees(t, zh, []string{"严重违法，吊销营业执照", "未通过"}, nil)
		screenshot(t, zh, "verify-revoked-zh")
	})

	step(t, "an unknown identifier is not found", func(t *testing.T) {
		open(t, zh, b.base+"/v/"+url.PathEscape(pageUnknownID(t, lic.ID)))
		if got := text(t, zh, ".banner-title"); got != "未找到或伪造" {
			t.Fatalf("status banner says %q", got)
		}
		screenshot(t, zh, "verify-notfound-zh")
	})

	step(t, "a forged check character gets a friendly page", func(t *testing.T) {
		// This browser chose Chinese with the switch above; ?lang= overrides it.
		en := newTab(t, browser, "zh-CN")
		open(t, en, b.base+"/v/"+url.PathEscape(pageWrongCheck(lic.ID))+"?lang=en")
		if got := text(t, en, ".banner-title"); got != "Invalid identifier" {
			t.Fatalf("banner says %q", got)
		}
	})
}

func TestBrowserConsole(t *testing.T) {
	requireChromium(t)
	// The gateway starts first so that it stops last, after the browser
	// has closed its connections.
	b := newBrowserEnv(t)
	browser := newBrowser(t)
	tab := newTab(t, browser, "zh-CN,zh;q=0.9")

	step(t, "a wrong key is refused plainly", func(t *testing.T) {
		open(t, tab, b.base+"/console")
		if err := chromedp.Do(tab,
			chromedp.SendKeys(chromedp.ID("api-key"), "not-a-key"),
			chromedp.Click(chromedp.CSS("#login-form button")),
			chromedp.WaitVisible(chromedp.ID("login-error")),
		); err != nil {
			t.Fatal(err)
		}
		if msg := text(t, tab, "#login-error"); !strings.Contains(msg, "登录失败") || !strings.Contains(msg, reasonText(t, credential.ReasonInvalidAPIKey, "zh", false)) || strings.Contains(msg, "API key") {
			t.Fatalf("login error says %q", msg)
		}
	})

	step(t, "a department without issuing rights is told so", func(t *testing.T) {
		fill(t, tab, map[string]string{"api-key": b.key("gov")})
		if err := chromedp.Do(tab, chromedp.Click(chromedp.CSS("#login-form button")), chromedp.WaitVisible(chromedp.ID("workspace"))); err != nil {
			t.Fatal(err)
		}
		if msg := text(t, tab, "#issue-error"); !strings.Contains(msg, "没有获授权") {
			t.Fatalf("the governance department sees %q", msg)
		}
		if err := chromedp.Do(tab, chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("login"))); err != nil {
			t.Fatal(err)
		}
	})

	step(t, "sign in with the API key", func(t *testing.T) {
		fill(t, tab, map[string]string{"api-key": b.key("samr")})
		if err := chromedp.Do(tab,
			chromedp.Click(chromedp.CSS("#login-form button")),
			chromedp.WaitVisible(chromedp.ID("workspace")),
		); err != nil {
			t.Fatal(err)
		}
		if got := text(t, tab, "#dept-name"); got != "市场监督管理局" {
			t.Fatalf("signed in as %q", got)
		}
		if shown, err := chromedp.Run(tab, chromedp.Evaluate[bool](`!document.getElementById("issue-error").hidden || document.getElementById("issue-submit").disabled`)); err != nil || shown {
			t.Fatalf("the previous department's state leaked into this sign-in (%v)", err)
		}
		// The form is built from the type's schema, with Chinese labels.
		sees(t, tab, []string{"法定代表人", "注册资本（万元）", "成立日期"}, nil)
	})

	step(t, "a schema error from the API is shown next to its field", func(t *testing.T) {
		fill(t, tab, map[string]string{
			"holder-name": "闽江数据服务有限公司", "holder-idType": "uscc", "holder-idNumber": "91350100M000100Y43",
			"f-companyName": "闽江数据服务有限公司", "f-entityType": "有限责任公司", "f-legalRepresentative": "李四",
			"f-registeredCapital": "一百万", "f-establishedOn": "2021-06-01", "f-address": "福建省福州市仓山区金山大道1号",
		})
		if err := chromedp.Do(tab, chromedp.Click(chromedp.ID("issue-submit")), chromedp.WaitVisible(chromedp.ID("issue-error"))); err != nil {
			t.Fatal(err)
		}
		if msg, _ := fieldProblem(t, tab, "f-registeredCapital"); !strings.Contains(msg, "注册资本（万元）") {
			t.Fatalf("the capital's problem says %q; the form says %q", msg, text(t, tab, "#issue-error"))
		}
	})

	var verifyURL, id string
	step(t, "issue through the form and see the QR code and link", func(t *testing.T) {
		fill(t, tab, map[string]string{"f-registeredCapital": "100", "valid-from": "2026-01-01", "valid-until": "2036-01-01"})
		if err := chromedp.Do(tab, chromedp.Click(chromedp.ID("issue-submit"))); err != nil {
			t.Fatal(err)
		}
		await(t, tab, "credential", "issue-error")
		if _, err := chromedp.Run(tab, chromedp.Poll[bool](`document.getElementById("cred-qr").naturalWidth >= 128`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
			t.Fatalf("the QR image never loaded: %v", err)
		}
		src, err := chromedp.Run(tab, chromedp.AttributeValue(chromedp.ID("cred-qr"), "src"))
		if err != nil || !strings.HasPrefix(src.Value, "blob:") {
			t.Fatalf("QR image src %q, %v", src.Value, err)
		}
		verifyURL, err = chromedp.Run(tab, chromedp.Value(chromedp.ID("cred-verify-url")))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(verifyURL, b.base+"/v/") || !strings.Contains(verifyURL, "?t=") {
			t.Fatalf("verify link %q", verifyURL)
		}
		id = text(t, tab, "#cred-id")
		if got := text(t, tab, "#cred-status"); got != "有效" {
			t.Fatalf("status badge %q", got)
		}
		screenshot(t, tab, "console-issued-zh")
		desktop(t, tab)
		screenshot(t, tab, "console-issued-desktop-zh")
		phone(t, tab)
	})

	step(t, "the link verifies the new credential", func(t *testing.T) {
		v := newTab(t, browser, "zh-CN")
		open(t, v, verifyURL)
		if got := text(t, v, ".banner-title"); got != "有效" {
			t.Fatalf("status banner says %q", got)
		}
		// The dates entered on the console are days in the deployment's
		// zone (Asia/Shanghai), the end date included: shown as days.
		sees(t, v, []string{"闽江数据服务有限公司", "李四", id, "2026-01-01 至 2036-01-01"}, []string{"2036-01-02", "2026-01-01 00:00", "08:00 (UTC+8)"})
	})

	step(t, "suspend and reinstate with the buttons", func(t *testing.T) {
		for _, c := range []struct{ button, reason, badge string }{
			{"act-suspend", "年报未按期公示，暂扣", "暂扣"},
			{"act-reinstate", "已补报年报，发还", "有效"},
		} {
			fill(t, tab, map[string]string{"status-reason": c.reason})
			if err := chromedp.Do(tab, chromedp.Click(chromedp.ID(c.button))); err != nil {
				t.Fatal(err)
			}
			await(t, tab, "status-ok", "status-error")
			if got := text(t, tab, "#cred-status"); got != c.badge {
				t.Fatalf("after %s the badge says %q, want %q", c.button, got, c.badge)
			}
		}
		// Only a valid credential can be suspended, only a suspended one
		// reinstated.
		disabled, err := chromedp.Run(tab, chromedp.Evaluate[[]bool](`["act-suspend", "act-reinstate", "act-revoke"].map(function (id) { return document.getElementById(id).disabled; })`))
		if err != nil || len(disabled) != 3 || disabled[0] || !disabled[1] || disabled[2] {
			t.Fatalf("buttons disabled %v (%v), want suspend and revoke enabled, reinstate disabled", disabled, err)
		}
	})

	step(t, "revoke from the console", func(t *testing.T) {
		fill(t, tab, map[string]string{"status-code": "cancelled", "status-reason": "企业申请注销"})
		if err := chromedp.Do(tab, chromedp.Click(chromedp.ID("act-revoke")), chromedp.WaitVisible(chromedp.ID("revoke-confirm"))); err != nil {
			t.Fatal(err)
		}
		// Revocation is final: the first click only asks for confirmation.
		if got := text(t, tab, "#act-revoke"); got != "确认已注销" {
			t.Fatalf("revoke button after one click says %q", got)
		}
		if got := text(t, tab, "#cred-status"); got != "有效" {
			t.Fatalf("one click changed the status to %q", got)
		}
		if err := chromedp.Do(tab, chromedp.Click(chromedp.ID("act-revoke"))); err != nil {
			t.Fatal(err)
		}
		await(t, tab, "status-ok", "status-error")
		if got := text(t, tab, "#cred-status"); got != "已注销" {
			t.Fatalf("status badge %q after revoking", got)
		}
		if err := chromedp.Do(tab, chromedp.Click(chromedp.ID("history-load")), chromedp.WaitVisible(chromedp.ID("history"))); err != nil {
			t.Fatal(err)
		}
		rows, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll("#history li").length`))
		if err != nil || rows != 4 {
			t.Fatalf("history has %d entries (%v), want issue, suspend, reinstate and revoke", rows, err)
		}
		sees(t, tab, []string{"企业申请注销"}, nil)
		screenshot(t, tab, "console-revoked-zh")
		desktop(t, tab)
		screenshot(t, tab, "console-revoked-desktop-zh")
		phone(t, tab)
	})

	step(t, "the page shows the revocation", func(t *testing.T) {
		v := newTab(t, browser, "en")
		open(t, v, verifyURL)
		if got := text(t, v, ".banner-title"); got != "Cancelled" {
			t.Fatalf("status banner says %q, want Cancelled", got)
		}
		sees(t, v, []string{"企业申请注销"}, nil)
		screenshot(t, v, "verify-cancelled-en")
	})

	step(t, "a reload keeps the session and reopens the credential by identifier", func(t *testing.T) {
		if err := chromedp.Do(tab, chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("workspace"))); err != nil {
			t.Fatal(err)
		}
		fill(t, tab, map[string]string{"open-id": id})
		if err := chromedp.Do(tab, chromedp.Click(chromedp.CSS("#open-form button"))); err != nil {
			t.Fatal(err)
		}
		await(t, tab, "credential", "open-error")
		if got := text(t, tab, "#cred-status"); got != "已注销" {
			t.Fatalf("reopened credential shows %q", got)
		}
		if _, err := chromedp.Run(tab, chromedp.Poll[bool](`document.getElementById("cred-qr").naturalWidth >= 128`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
			t.Fatalf("the QR image never loaded: %v", err)
		}
	})

	step(t, "log out forgets the key", func(t *testing.T) {
		if err := chromedp.Do(tab, chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("login"))); err != nil {
			t.Fatal(err)
		}
		stored, err := chromedp.Run(tab, chromedp.Evaluate[bool](`sessionStorage.getItem("certledger.apiKey") !== null`))
		if err != nil || stored {
			t.Fatalf("the key is still stored (%v)", err)
		}
	})
}

// step runs one step of a browser walk-through; later steps build on
// earlier ones, so the first failure ends the walk-through.
func step(t *testing.T, name string, f func(t *testing.T)) {
	t.Helper()
	if !t.Run(name, f) {
		t.FailNow()
	}
}

// await waits until the element with id okID is shown, failing the test
// with the console's own message when the element errID is shown instead.
func await(t *testing.T, tab context.Context, okID, errID string) {
	t.Helper()
	args, _ := json.Marshal([]string{okID, errID})
	which, err := chromedp.Run(tab, chromedp.Poll[string](`(function (ok, bad) {
		var shown = function (id) { var el = document.getElementById(id); return el && !el.hidden && el.offsetParent !== null; };
		return shown(ok) ? "ok" : shown(bad) ? "error" : "";
	}).apply(null, `+string(args)+`)`, chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil {
		screenshot(t, tab, "failure-"+okID)
		t.Fatalf("waiting for #%s: %v", okID, err)
	}
	if which != "ok" {
		screenshot(t, tab, "failure-"+okID)
		t.Fatalf("#%s says %q", errID, text(t, tab, "#"+errID))
	}
}

// fill enters values into the console form's fields, replacing what is
// there: text is typed key by key; dates and choices are set as a date
// picker or a drop-down would set them, with the same input events.
func fill(t *testing.T, tab context.Context, values map[string]string) {
	t.Helper()
	for id, v := range values {
		args, err := json.Marshal([]string{id, v})
		if err != nil {
			t.Fatal(err)
		}
		typed, err := chromedp.Run(tab, chromedp.Evaluate[bool](`(function (id, v) {
			var el = document.getElementById(id);
			var typed = el.tagName === "INPUT" && el.type !== "date";
			el.value = typed ? "" : v;
			el.dispatchEvent(new Event("input", {bubbles: true}));
			el.dispatchEvent(new Event("change", {bubbles: true}));
			return typed;
		}).apply(null, `+string(args)+`)`))
		if err != nil {
			t.Fatalf("fill %s: %v", id, err)
		}
		if typed {
			if err := chromedp.Do(tab, chromedp.SendKeys(chromedp.ID(id), v)); err != nil {
				t.Fatalf("type into %s: %v", id, err)
			}
		}
	}
}
