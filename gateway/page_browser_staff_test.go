package gateway_test

import (
	"context"
	"strings"
	"testing"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/gateway/demoidp"
	"github.com/chromedp/chromedp"
)

// demoStaff is a department's member of staff at the demo identity
// provider, password in clear for the login form.
type demoStaff struct {
	username, password, dept string
	roles                    []string
}

var (
	consoleClerk    = demoStaff{"samr-clerk", "staff horse 1", "samr", []string{"clerk"}}
	consoleApprover = demoStaff{"samr-approver", "staff horse 2", "samr", []string{"approver"}}
)

// newStaffBrowserEnv is a browser gateway whose demo identity provider,
// served under /demo-idp over the real listener as `serve --demo` does,
// knows the given members of staff.
func newStaffBrowserEnv(t *testing.T, staff ...demoStaff) *browserEnv {
	t.Helper()
	var accounts []demoidp.Account
	for _, m := range staff {
		accounts = append(accounts, demoidp.Account{Username: m.username, PasswordHash: hashPassword(t, m.password), Dept: m.dept, Roles: m.roles})
	}
	return newDemoIdPBrowserEnv(t, accounts)
}

// staffSignInAt goes from the signed-out console through the provider's
// login form and back to the console's workspace.
func staffSignInAt(t *testing.T, tab context.Context, base string, m demoStaff) {
	t.Helper()
	open(t, tab, base+"/console")
	if err := chromedp.Do(tab, chromedp.WaitVisible(chromedp.ID("staff-sign-in"))); err != nil {
		t.Fatalf("no staff sign-in button: %v", err)
	}
	if _, err := chromedp.RunResponse(tab, chromedp.Click(chromedp.ID("staff-sign-in"))); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab, chromedp.WaitVisible(chromedp.ID("username"))); err != nil {
		t.Fatalf("no login form at the provider: %v", err)
	}
	fill(t, tab, map[string]string{"username": m.username, "password": m.password})
	if _, err := chromedp.RunResponse(tab, chromedp.Click(chromedp.CSS(`form button[type="submit"]`))); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab, chromedp.WaitVisible(chromedp.ID("workspace"))); err != nil {
		screenshot(t, tab, "failure-staff-signin")
		t.Fatalf("staff sign-in of %s did not open the workspace: %v", m.username, err)
	}
	if got := text(t, tab, "#staff-subject"); got != "demo:"+m.username {
		t.Fatalf("the console says %q is signed in, want demo:%s", got, m.username)
	}
}

// visible says whether the element with id is shown (it and its
// ancestors not hidden).
func visible(t *testing.T, tab context.Context, id string) bool {
	t.Helper()
	v, err := chromedp.Run(tab, chromedp.Evaluate[bool](`(function () { var e = document.getElementById("`+id+`"); return !!e && e.getClientRects().length > 0; })()`))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestBrowserStaffConsoleRoles: a clerk signs in at the console through
// the identity provider and issues, without being offered a status
// change (and is refused one plainly when forcing it); after the clerk
// signs out, an approver suspends; the history names both.
func TestBrowserStaffConsoleRoles(t *testing.T) {
	requireChromium(t)
	b := newStaffBrowserEnv(t, consoleClerk, consoleApprover)
	browser := newBrowser(t)
	tab := newTab(t, browser, "zh-CN,zh;q=0.9")
	desktop(t, tab)

	var id string
	step(t, "the clerk signs in and sees who and what roles", func(t *testing.T) {
		staffSignInAt(t, tab, b.base, consoleClerk)
		if got := text(t, tab, "#dept-name"); got != "市场监督管理局" {
			t.Fatalf("signed in for %q", got)
		}
		if got := text(t, tab, "#staff-roles"); got != "经办人" {
			t.Fatalf("roles shown %q", got)
		}
		if stored, err := chromedp.Run(tab, chromedp.Evaluate[bool](`sessionStorage.getItem("certledger.apiKey") !== null`)); err != nil || stored {
			t.Fatalf("a staff sign-in stored an API key (%v)", err)
		}
	})

	step(t, "the clerk issues through the form", func(t *testing.T) {
		fill(t, tab, map[string]string{
			"holder-name": "闽江数据服务有限公司", "holder-idType": "uscc", "holder-idNumber": "91350100M000100Y43",
			"f-companyName": "闽江数据服务有限公司", "f-entityType": "有限责任公司", "f-legalRepresentative": "李四",
			"f-registeredCapital": "100", "f-establishedOn": "2021-06-01", "f-address": "福建省福州市仓山区金山大道1号",
		})
		if err := chromedp.Do(tab, chromedp.Click(chromedp.ID("issue-submit"))); err != nil {
			t.Fatal(err)
		}
		await(t, tab, "credential", "issue-error")
		id = text(t, tab, "#cred-id")
		if got := text(t, tab, "#cred-status"); got != "有效" {
			t.Fatalf("status badge %q", got)
		}
		for _, btn := range []string{"act-suspend", "act-reinstate", "act-revoke"} {
			if visible(t, tab, btn) {
				t.Fatalf("the clerk is offered %s", btn)
			}
		}
		if !visible(t, tab, "req-form") || !visible(t, tab, "history-load") {
			t.Fatal("the clerk is not offered consent requests or the history")
		}
		screenshot(t, tab, "console-staff-clerk-zh")
	})

	step(t, "a status change forced by the clerk is refused plainly", func(t *testing.T) {
		if _, err := chromedp.Run(tab, chromedp.Evaluate[bool](`(document.getElementById("status-form").hidden = false, true)`)); err != nil {
			t.Fatal(err)
		}
		fill(t, tab, map[string]string{"status-reason": "经办人越权暂扣"})
		if err := chromedp.Do(tab, chromedp.Click(chromedp.ID("act-suspend"))); err != nil {
			t.Fatal(err)
		}
		await(t, tab, "status-error", "status-ok")
		if msg := text(t, tab, "#status-error"); !strings.Contains(msg, reasonText(t, credential.ReasonRoleRequired, "zh", false)) {
			t.Fatalf("the refusal says %q", msg)
		}
		if got := text(t, tab, "#cred-status"); got != "有效" {
			t.Fatalf("status badge %q after the refusal", got)
		}
	})

	step(t, "the clerk signs out for good", func(t *testing.T) {
		if err := chromedp.Do(tab, chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("login"))); err != nil {
			t.Fatal(err)
		}
		// A reload finds no session: the sign-in form, no workspace.
		if err := chromedp.Do(tab, chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("staff-sign-in"))); err != nil {
			t.Fatal(err)
		}
		if visible(t, tab, "workspace") || visible(t, tab, "login-error") {
			t.Fatal("after signing out, a reload shows the workspace or an error")
		}
	})

	step(t, "the approver signs in, is not offered issuing, and suspends", func(t *testing.T) {
		staffSignInAt(t, tab, b.base, consoleApprover)
		if got := text(t, tab, "#staff-roles"); got != "审批人" {
			t.Fatalf("roles shown %q", got)
		}
		if visible(t, tab, "issue") || visible(t, tab, "req-form") {
			t.Fatal("the approver is offered issuing or consent requests")
		}
		fill(t, tab, map[string]string{"open-id": id})
		if err := chromedp.Do(tab, chromedp.Click(chromedp.CSS("#open-form button"))); err != nil {
			t.Fatal(err)
		}
		await(t, tab, "credential", "open-error")
		fill(t, tab, map[string]string{"status-reason": "年报未按期公示，暂扣"})
		if err := chromedp.Do(tab, chromedp.Click(chromedp.ID("act-suspend"))); err != nil {
			t.Fatal(err)
		}
		await(t, tab, "status-ok", "status-error")
		if got := text(t, tab, "#cred-status"); got != "暂扣" {
			t.Fatalf("status badge %q after suspending", got)
		}
	})

	step(t, "the history names both members of staff", func(t *testing.T) {
		if err := chromedp.Do(tab, chromedp.Click(chromedp.ID("history-load")), chromedp.WaitVisible(chromedp.ID("history"))); err != nil {
			t.Fatal(err)
		}
		shown, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#history .tl-staff")).map(function (e) { return e.textContent; })`))
		if err != nil {
			t.Fatal(err)
		}
		if len(shown) != 2 || !strings.HasSuffix(shown[0], "demo:samr-clerk") || !strings.HasSuffix(shown[1], "demo:samr-approver") {
			t.Fatalf("the history shows staff %q, want the clerk then the approver", shown)
		}
		r := b.do(t, "GET", "/api/v1/credentials/"+id+"/history", b.key("samr"), nil)
		var h struct {
			History []credential.Change `json:"history"`
		}
		r.decode(t, &h)
		if len(h.History) != 2 || h.History[0].Staff != "demo:samr-clerk" || h.History[1].Staff != "demo:samr-approver" || h.History[1].APIKeyID != "" {
			t.Fatalf("the ledger's history %+v", h.History)
		}
		for _, m := range []demoStaff{consoleClerk, consoleApprover} {
			if strings.Contains(string(r.Body), m.password) {
				t.Fatalf("the history carries %s's password", m.username)
			}
		}
		screenshot(t, tab, "console-staff-approver-zh")
	})
}
