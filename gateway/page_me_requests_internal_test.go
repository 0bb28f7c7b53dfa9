package gateway

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
)

var requestCardPattern = regexp.MustCompile(`<li class="share-card request-card tone-line-[a-z]*" data-request="([0-9a-f]+)" data-state="([a-z]+)" data-reads="(\d+)">`)

// requestCards lists a page's requests in page order as "id state reads".
func requestCards(body string) []string {
	var out []string
	for _, m := range requestCardPattern.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1]+" "+m[2]+" "+m[3])
	}
	return out
}

// The holder's request pages on the embedded ledger: the empty inbox; a
// request showing the department, service, purpose, exactly the fields
// per type and the expiry; the choice between two diplomas; a post
// without a choice, a cross-site post and another holder refused; the
// approval, the department's read counted on the page, the withdrawal;
// refusal and expiry; pending first.
func TestMyRequestPages(t *testing.T) {
	e := newClockedEnv(t)
	fields := map[string]any{"school": "福州大学", "major": "软件工程", "level": "本科", "graduatedOn": "2024-06-30", "certificateNumber": "103861202405000001"}
	first := e.issueTo(t, "edu", "diploma", zhangWei.holder, fields)
	fields["level"], fields["certificateNumber"] = "硕士", "103861202705000002"
	second := e.issueTo(t, "edu", "diploma", zhangWei.holder, fields)
	qual := e.issueTo(t, "hrss", "professional-qualification", zhangWei.holder, map[string]any{"occupation": "软件工程师", "grade": "二级", "certificateNumber": "2001"})
	b := e.browser(t)
	e.signIn(t, b, zhangWei)
	person := e.sessionCookie(t, b)
	b2 := e.browser(t)
	e.signIn(t, b2, company)
	other := e.sessionCookie(t, b2)
	reg, err := e.srv.registry.get(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	hrss, _ := reg.Department(demo.HumanRes)

	getPage(t, e.srv, "/me/requests", person, "zh-CN").expect(t, "the empty inbox", http.StatusOK,
		[]string{`id="no-requests"`, "暂无授权请求", `aria-current="page">授权请求`, `href="/me/requests?lang=en"`}, []string{`request-card`})

	ask := func(purpose string) string {
		e.clock.Advance(time.Second) // newest first needs distinct times
		var expires *int64
		if purpose == "过期测试" {
			expires = new(int64)
			*expires = 60
		}
		r, err := e.srv.createRequest(t.Context(), hrss, requestInput{Service: demo.ServiceProfessionalRank, Purpose: purpose, ExpiresIn: expires,
			Holder: &requestHolderInput{IDType: zhangWei.holder.IDType, IDNumber: zhangWei.holder.IDNumber}})
		if err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	id := ask("2026年度职称评审")
	one := "/me/requests/" + id

	inbox := getPage(t, e.srv, "/me/requests", person, "zh-CN")
	inbox.expect(t, "the inbox", http.StatusOK,
		[]string{"专业技术职称评审", "请求部门：人力资源和社会保障局", "用途：2026年度职称评审", ">待处理<", "有 1 个请求等待您处理",
			`<span class="request-field">学历层次</span>`, `<span class="request-field">职业（工种）</span>`, "请在此前处理", "同意后 30 天",
			`href="` + one + `"`, "查看并处理"},
		[]string{`id="no-requests"`, "福州大学", "350102199003071234"})
	if got := requestCards(inbox.body); len(got) != 1 || got[0] != id+" pending 0" {
		t.Fatalf("the inbox shows %v", got)
	}

	page := getPage(t, e.srv, one, person, "zh-CN")
	page.expect(t, "the request", http.StatusOK,
		[]string{`method="post" action="` + one + `/approve"`, `method="post" action="` + one + `/refuse"`,
			`<input type="radio" name="cred.diploma" value="` + first + `"`, `<input type="radio" name="cred.diploma" value="` + second + `"`,
			`<input type="hidden" name="cred.professional-qualification" value="` + qual + `">`, "选择要使用的毕业证书",
			"将使用：", "同意后，人力资源和社会保障局 可在 30 天内读取", `aria-current="page">授权请求`},
		[]string{" checked", `id="withdraw"`, "福州大学"})
	getPage(t, e.srv, one+"?lang=en", person, "zh-CN").expect(t, "the request in English", http.StatusOK,
		[]string{"Professional title evaluation", "If you approve, they receive exactly", "Choose which", "Approve", "Refuse", "Decide by"}, []string{"同意"})

	// Another holder, an unknown or malformed ID: one 404 page.
	for _, c := range []struct{ path, cookie string }{{one, other}, {"/me/requests/" + strings.Repeat("0", 32), person}, {"/me/requests/nope", person}} {
		getPage(t, e.srv, c.path, c.cookie, "zh-CN").expect(t, c.path, http.StatusNotFound, []string{`data-status="myreq_notfound"`}, []string{"2026年度职称评审"})
	}
	postPage(t, e.srv, one+"/approve", other, e.base, url.Values{"cred.diploma": {first}}).expect(t, "another holder approving", http.StatusNotFound,
		[]string{`data-status="myreq_notfound"`}, nil)
	for _, origin := range []string{"https://evil.example", ""} {
		if r := postPage(t, e.srv, one+"/approve", person, origin, url.Values{"cred.diploma": {first}}); r.status != http.StatusForbidden {
			t.Fatalf("a post from origin %q: %d", origin, r.status)
		}
	}
	// Signed out: the sign-in, which returns to the request.
	for _, m := range []string{"GET", "POST"} {
		var r holderPage
		if m == "GET" {
			r = getPage(t, e.srv, one, "", "zh-CN")
		} else {
			r = postPage(t, e.srv, one+"/refuse", "", "", nil)
		}
		r.expect(t, m+" signed out", http.StatusUnauthorized, []string{`id="sign-in" href="/me/login?next=` + url.QueryEscape(one) + `"`}, []string{"2026年度职称评审"})
	}

	// Two diplomas and none chosen: the page again, saying why.
	r := postPage(t, e.srv, one+"/approve", person, e.base, url.Values{"cred.professional-qualification": {qual}})
	r.expect(t, "no diploma chosen", http.StatusBadRequest, []string{`id="request-problem" role="alert">请为每种证照选择一张`, `id="approve-form"`}, nil)
	r = postPage(t, e.srv, one+"/approve", person, e.base, url.Values{"cred.diploma": {qual}})
	r.expect(t, "a qualification as the diploma", http.StatusBadRequest, []string{`id="request-problem" role="alert"`}, nil)

	r = postPage(t, e.srv, one+"/approve", person, e.base, url.Values{"cred.diploma": {second}, "cred.professional-qualification": {qual}})
	var got credential.ConsentRequest
	if r.status != http.StatusSeeOther || r.header.Get("Location") != one+"?done=approved" {
		t.Fatalf("approve: %d to %q\n%s", r.status, r.header.Get("Location"), r.body)
	}
	got, err = e.srv.ledger.Request(t.Context(), id)
	if err != nil || got.Status != credential.RequestApproved || len(got.Credentials) != 2 || got.Credentials[0].ID != second {
		t.Fatalf("recorded %+v (%v)", got, err)
	}
	if _, err := e.srv.departmentRequest(t.Context(), hrss, id); err != nil {
		t.Fatal(err)
	}
	page = getPage(t, e.srv, one+"?done=approved", person, "zh-CN")
	page.expect(t, "approved", http.StatusOK,
		[]string{`data-notice="approved"`, ">已同意<", "对方获得的内容", "所用证照：", second, qual, "授权有效至", "1 次，最近一次",
			`method="post" action="` + one + `/withdraw"`, "撤回授权"},
		[]string{`id="approve-form"`, `/refuse"`, first})
	if cards := requestCards(page.body); len(cards) != 1 || cards[0] != id+" approved 1" {
		t.Fatalf("the approved request shows %v", cards)
	}
	// Approving again is refused with the ledger's word.
	postPage(t, e.srv, one+"/approve", person, e.base, url.Values{"cred.diploma": {second}}).expect(t, "approved twice", http.StatusConflict,
		[]string{`id="request-problem"`}, nil)

	r = postPage(t, e.srv, one+"/withdraw", person, e.base, nil)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != one+"?done=withdrawn" {
		t.Fatalf("withdraw: %d to %q\n%s", r.status, r.header.Get("Location"), r.body)
	}
	getPage(t, e.srv, one+"?done=withdrawn", person, "zh-CN").expect(t, "withdrawn", http.StatusOK,
		[]string{`data-notice="withdrawn"`, ">已撤回<", "撤回时间", "1 次"}, []string{`/withdraw"`, `id="approve-form"`})
	if v, err := e.srv.departmentRequest(t.Context(), hrss, id); err != nil || len(v.Presentations) != 0 {
		t.Fatalf("after withdrawal the department gets %d presentations (%v)", len(v.Presentations), err)
	}

	refused := ask("")
	r = postPage(t, e.srv, "/me/requests/"+refused+"/refuse", person, e.base, nil)
	if r.status != http.StatusSeeOther {
		t.Fatalf("refuse: %d %s", r.status, r.body)
	}
	getPage(t, e.srv, "/me/requests/"+refused+"?done=refused", person, "zh-CN").expect(t, "refused", http.StatusOK,
		[]string{`data-notice="refused"`, ">已拒绝<", "请求的内容"}, []string{`/withdraw"`, `id="approve-form"`, "对方读取"})

	expiring := ask("过期测试")
	e.clock.Advance(61 * time.Second)
	pending := ask("最新")
	inbox = getPage(t, e.srv, "/me/requests", person, "zh-CN")
	inbox.expect(t, "the inbox after all that", http.StatusOK, []string{">已过期<", "有 1 个请求等待您处理"}, nil)
	if got, want := strings.Join(requestCards(inbox.body), ","), pending+" pending 0,"+expiring+" expired 0,"+refused+" refused 0,"+id+" withdrawn 1"; got != want {
		t.Fatalf("the inbox order\n got %s\nwant %s", got, want)
	}
	// A late approval is the ledger's refusal, shown on the page.
	postPage(t, e.srv, "/me/requests/"+expiring+"/approve", person, e.base, url.Values{"cred.diploma": {first}}).expect(t, "approving an expired request",
		http.StatusConflict, []string{`id="request-problem"`, ">已过期<"}, nil)
}
