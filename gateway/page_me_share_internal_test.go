package gateway

import (
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
)

// postForm posts a form to path as a browser on this gateway's page would
// (origin "" sends no Origin header), with the session cookie value.
func (e *walletEnv) postForm(path, cookie, origin string, form url.Values) holderPage {
	e.t.Helper()
	return postPage(e.t, e.srv, path, cookie, origin, form)
}

const ownOrigin = "https://verify.example.test"

var (
	shareCardPattern = regexp.MustCompile(`<li class="share-card tone-line-[a-z]+" data-share="([^"]+)" data-state="([a-z]+)" data-opens="(\d+)">`)
	checkboxPattern  = regexp.MustCompile(`<input type="checkbox" name="field" value="([^"]+)" id="[^"]+"( checked)?>`)
)

// shareCards lists a page's shares in page order as "id state opens".
func shareCards(body string) []string {
	var out []string
	for _, m := range shareCardPattern.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1]+" "+m[2]+" "+m[3])
	}
	return out
}

// checkboxes lists the form's fields in order, "name" or "name+" when ticked.
func checkboxes(body string) string {
	var out []string
	for _, m := range checkboxPattern.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1]+strings.TrimSpace(strings.ReplaceAll(m[2], " checked", "+")))
	}
	return strings.Join(out, ",")
}

// The share form offers every field of the holder's own credential, none
// ticked; refuses what a holder can get wrong with the form's own words;
// and creates the share, which its page, the list and the link show.
func TestMyShareFormPages(t *testing.T) {
	e := newWalletEnv(t, Config{}, nil)
	diploma := e.issue("edu", personP, 1)
	other := e.issue("edu", personQ, 2)
	p, q := e.sessionFor(personP), e.sessionFor(personQ)
	form := "/me/credentials/" + diploma + "/share"

	e.page("/me/shares", p, "zh-CN").expect(t, "no shares yet", http.StatusOK,
		[]string{`id="no-shares"`, "暂无分享", `aria-current="page">我的分享`, `href="/me/shares?lang=en"`}, []string{`class="share-card `})

	zh := e.page(form, p, "zh-CN")
	zh.expect(t, "the form in Chinese", http.StatusOK,
		[]string{`method="post" action="` + form + `"`, "分享证照", "毕业证书", "教育局", `<span class="choice-label">学校</span><span class="choice-value">福州大学</span>`,
			`<span class="choice-label">证件号码</span><span class="choice-value mono">1101**********002X</span>`, "默认一项都不勾选",
			`name="purpose" maxlength="200"`, `<input type="radio" name="expires" value="600" checked><span>10 分钟</span>`,
			`value="2592000"><span>30 天</span>`, `aria-current="page">我的分享`, `href="` + form + `?lang=en"`},
		[]string{"11010519491231002X", `role="alert"`, `id="elsewhere"`})
	if got, want := checkboxes(zh.body), "holder.name,holder.idType,holder.idNumber,school,major,level,graduatedOn,certificateNumber"; got != want {
		t.Fatalf("the form's fields %s, want %s", got, want)
	}
	e.page(form+"?lang=en", p, "zh-CN").expect(t, "the form in English", http.StatusOK,
		[]string{"Share a credential", ">School<", ">Certificate number<", "Nothing is ticked for you", ">10 minutes<", ">7 days<"}, []string{"学校"})

	// Anything not P's is the credential page's 404.
	for _, path := range []string{"/me/credentials/" + other + "/share", "/me/credentials/not-an-id/share"} {
		e.page(path, p, "zh-CN").expect(t, path, http.StatusNotFound, []string{`data-status="mine_notfound"`, "您没有这张证照"}, []string{"福州大学"})
	}
	e.page(form, q, "zh-CN").expect(t, "Q opening P's form", http.StatusNotFound, []string{`data-status="mine_notfound"`}, []string{"福州大学", "李四"})
	if r := e.postForm(form, q, ownOrigin, url.Values{"field": {"school"}}); r.status != http.StatusNotFound {
		t.Fatalf("Q posting P's form: %d", r.status)
	}
	// Signed out (TestMySharePagesSignedOut follows the sign-in link).
	e.page(form, "", "zh-CN").expect(t, "the form signed out", http.StatusUnauthorized, []string{`data-signed-in="false"`}, []string{"福州大学"})

	for name, c := range map[string]struct {
		form     url.Values
		contains []string
		ticked   string
	}{
		"no field": {url.Values{"purpose": {"入职核验"}, "expires": {"3600"}},
			[]string{`id="fields-problem" role="alert">请至少勾选一项要分享的内容。`, `value="入职核验"`, `value="3600" checked`}, ""},
		"long purpose": {url.Values{"field": {"school"}, "purpose": {strings.Repeat("长", 201)}},
			[]string{`id="purpose-problem" role="alert">用途最多 200 个字`, `aria-invalid="true"`, `value="600" checked`}, "school+"},
		"a line break": {url.Values{"field": {"school", "major"}, "purpose": {"入职\n核验"}},
			[]string{`id="purpose-problem"`}, "school+,major+"},
		"a field it lacks": {url.Values{"field": {"salary"}}, []string{`id="fields-problem" role="alert">所选内容不属于这张证照`}, ""},
		"another expiry":   {url.Values{"field": {"school"}, "expires": {"5"}}, []string{`id="form-problem" role="alert">请从列出的有效时长中选择一个。`}, "school+"},
	} {
		r := e.postForm(form, p, ownOrigin, c.form)
		r.expect(t, name, http.StatusBadRequest, append(c.contains, `id="share-form"`), nil)
		var ticked []string
		for _, f := range strings.Split(checkboxes(r.body), ",") {
			if strings.HasSuffix(f, "+") {
				ticked = append(ticked, f)
			}
		}
		if strings.Join(ticked, ",") != c.ticked {
			t.Errorf("%s: ticked %v, want %s", name, ticked, c.ticked)
		}
	}
	if shares, _ := e.srv.holderShares(t.Context(), personP); len(shares) != 0 {
		t.Fatalf("a refused post created %d shares", len(shares))
	}

	// The cross-site check holds for the form: another origin, or none.
	for _, origin := range []string{"https://evil.example", ""} {
		if r := e.postForm(form, p, origin, url.Values{"field": {"school"}}); r.status != http.StatusForbidden {
			t.Errorf("a post from origin %q: %d", origin, r.status)
		}
	}

	r := e.postForm(form, p, ownOrigin, url.Values{"field": {"school", "major"}, "purpose": {"入职核验"}, "expires": {"3600"}})
	loc := r.header.Get("Location")
	if r.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/me/shares/edu.") || !strings.HasSuffix(loc, "?created=1") {
		t.Fatalf("created: %d to %q\n%s", r.status, loc, r.body)
	}
	id, _ := url.PathUnescape(strings.TrimSuffix(strings.TrimPrefix(loc, "/me/shares/"), "?created=1"))
	shares, err := e.srv.holderShares(t.Context(), personP)
	if err != nil || len(shares) != 1 || shares[0].ID != id || strings.Join(shares[0].Fields, ",") != "school,major" ||
		shares[0].Purpose != "入职核验" || !shares[0].ExpiresAt.Equal(shares[0].CreatedAt.Add(time.Hour)) {
		t.Fatalf("the share recorded: %+v (%v)", shares, err)
	}
	L := e.srv.pages.r.catalog(langZh)
	page := e.page(loc, p, "zh-CN")
	page.expect(t, "the new share's page", http.StatusOK,
		[]string{`data-notice="created"`, "分享已创建", `id="share-url" readonly value="https://verify.example.test/s/` + id + `"`,
			`id="share-qr" src="/s/` + id + `/qr.png"`, `href="/api/v1/me/shares/` + id + `/offline-qr.png" download="share-offline-`,
			`method="post" action="/me/shares/` + id + `/withdraw"`, `<span class="share-field">学校</span>、<span class="share-field">专业</span>`,
			"入职核验", "尚未被打开", `>有效<`, `href="/me/credentials/` + diploma + `"`},
		[]string{"福州大学", "软件工程", "11010519491231002X"})
	if at := L.Time(shares[0].ExpiresAt); !strings.Contains(html.UnescapeString(page.body), at) {
		t.Errorf("the share's page does not say it expires at %s", at)
	}
	if got := shareCards(page.body); len(got) != 1 || got[0] != id+" active 0" {
		t.Fatalf("the share's page shows %v", got)
	}

	// Opened once by a stranger: the list counts it.
	if r := getPage(t, e.srv, "/s/"+id, "", "zh-CN"); r.status != http.StatusOK || !strings.Contains(r.body, "福州大学") || strings.Contains(r.body, "2024-06-30") {
		t.Fatalf("the stranger's page: %d", r.status)
	}
	list := e.page("/me/shares", p, "zh-CN")
	list.expect(t, "P's shares", http.StatusOK, []string{"1 次，最近一次", `href="/me/shares/` + id + `"`, "毕业证书", "入职核验"}, []string{`id="no-shares"`, `id="share-notice"`})
	if got := shareCards(list.body); len(got) != 1 || got[0] != id+" active 1" {
		t.Fatalf("P's list %v", got)
	}
	e.page("/me/shares?lang=en", p, "zh-CN").expect(t, "P's shares in English", http.StatusOK,
		[]string{"My shares", ">Active<", "School", "Major", "Withdraw", "Download the offline QR code"}, []string{"学校"})

	// Q neither sees nor withdraws it.
	e.page("/me/shares", q, "zh-CN").expect(t, "Q's shares", http.StatusOK, []string{`id="no-shares"`}, []string{id})
	e.page("/me/shares/"+id, q, "zh-CN").expect(t, "Q opening P's share", http.StatusNotFound, []string{`data-status="myshare_notfound"`}, []string{"入职核验"})
	e.postForm("/me/shares/"+id+"/withdraw", q, ownOrigin, nil).expect(t, "Q withdrawing P's share", http.StatusNotFound, []string{`data-status="myshare_notfound"`}, nil)
	if r := e.postForm("/me/shares/"+id+"/withdraw", p, "https://evil.example", nil); r.status != http.StatusForbidden {
		t.Fatalf("a cross-site withdrawal: %d", r.status)
	}

	// P withdraws it: the list says so, the link is gone.
	r = e.postForm("/me/shares/"+id+"/withdraw", p, ownOrigin, nil)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/me/shares?withdrawn="+url.QueryEscape(id) {
		t.Fatalf("withdrawn: %d to %q", r.status, r.header.Get("Location"))
	}
	list = e.page(r.header.Get("Location"), p, "zh-CN")
	list.expect(t, "after the withdrawal", http.StatusOK, []string{`data-notice="withdrawn"`, "分享已撤回", ">已撤回<", "撤回时间"},
		[]string{`action="/me/shares/` + id + `/withdraw"`, `/offline-qr.png"`})
	if got := shareCards(list.body); len(got) != 1 || got[0] != id+" withdrawn 1" {
		t.Fatalf("P's list after the withdrawal %v", got)
	}
	if r := getPage(t, e.srv, "/s/"+id, "", "zh-CN"); r.status != http.StatusGone {
		t.Fatalf("the withdrawn link: %d", r.status)
	}
	e.page("/me/shares/"+id+"?created=1", p, "zh-CN").expect(t, "the withdrawn share's page", http.StatusOK,
		[]string{">已撤回<"}, []string{`id="share-qr"`, `id="share-url"`, `data-notice="created"`, `/withdraw"`})

	// Newest first; one past its expiry shows as expired.
	r = e.postForm(form, p, ownOrigin, url.Values{"field": {"holder.name"}})
	second := strings.TrimSuffix(strings.TrimPrefix(r.header.Get("Location"), "/me/shares/"), "?created=1")
	e.advance(11 * time.Minute)
	list = e.page("/me/shares", p, "zh-CN")
	list.expect(t, "an expired share", http.StatusOK, []string{">已过期<", "已于此时到期", `<span class="share-field">持证者名称</span>`}, nil)
	if got := shareCards(list.body); len(got) != 2 || got[0] != second+" expired 0" || got[1] != id+" withdrawn 1" {
		t.Fatalf("P's list %v", got)
	}
}

// A gateway that does not read the document cannot share it: the form
// page says where it is kept.
func TestMyShareFormKeptElsewhere(t *testing.T) {
	cfg := Config{DepartmentGateways: map[string]string{"edu": "https://edu.example.test"}}
	e := newWalletEnv(t, cfg, func(l credential.Ledger) credential.Ledger {
		return scopedLedger{Ledger: l, t: t, msps: []string{"GovMSP", "HrssMSP"}}
	})
	diploma := e.issue("edu", personP, 1)
	p := e.sessionFor(personP)
	form := "/me/credentials/" + diploma + "/share"
	e.page(form, p, "zh-CN").expect(t, "the form kept elsewhere", http.StatusOK,
		[]string{`data-note="elsewhere"`, `href="https://edu.example.test` + form + `"`, "只能在那里分享"}, []string{`id="share-form"`, "福州大学"})
	e.postForm(form, p, ownOrigin, url.Values{"field": {"school"}}).expect(t, "a post kept elsewhere", http.StatusOK,
		[]string{`data-note="elsewhere"`}, []string{`id="share-form"`})
}

// Signed out, each share page offers the sign-in, which returns to it; a
// form post without a session returns to the page that shows the form.
func TestMySharePagesSignedOut(t *testing.T) {
	e := newCitizenEnv(t, citizenOption{})
	form := "/me/credentials/1.2.3/share"
	for _, c := range []struct{ method, path, next string }{
		{"GET", form, form},
		{"POST", form, form},
		{"GET", "/me/shares", "/me/shares"},
		{"GET", "/me/shares/edu.abc", "/me/shares/edu.abc"},
		{"POST", "/me/shares/edu.abc/withdraw", "/me/shares"},
	} {
		var got holderPage
		if c.method == "GET" {
			got = getPage(t, e.srv, c.path, "", "zh-CN")
		} else {
			req := httptest.NewRequest("POST", c.path, strings.NewReader("field=school"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := e.srv.App().Test(req, -1)
			if err != nil {
				t.Fatal(err)
			}
			got = holderPage{status: resp.StatusCode, header: resp.Header, body: readBody(t, resp)}
		}
		got.expect(t, c.method+" "+c.path, http.StatusUnauthorized,
			[]string{`data-signed-in="false"`, `id="sign-in" href="/me/login?next=` + url.QueryEscape(c.next) + `"`}, nil)
	}
}
