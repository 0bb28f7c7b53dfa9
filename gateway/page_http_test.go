package gateway_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/gateway"
)

// pageGet requests a page with Accept-Language (and more header pairs).
func (e *apiEnv) pageGet(t testing.TB, path, acceptLanguage string, headers ...string) apiResponse {
	t.Helper()
	return e.do(t, "GET", path, "", nil, append([]string{"Accept-Language", acceptLanguage}, headers...)...)
}

// pageChangeStatus suspends, reinstates or revokes through the API.
func (e *apiEnv) pageChangeStatus(t testing.TB, id, action string, body map[string]string) {
	t.Helper()
	r := e.do(t, "POST", "/api/v1/credentials/"+url.PathEscape(id)+"/"+action, e.key("samr"), body)
	if r.Status != http.StatusOK {
		t.Fatalf("%s: %d %s", action, r.Status, r.Body)
	}
}

// pageUnknownID is a well-formed identifier that was never issued.
func pageUnknownID(t testing.TB, id string) string {
	t.Helper()
	p, err := credential.ParseIdentifier(id)
	if err != nil {
		t.Fatal(err)
	}
	p.Serial = "ZZZZZZZZZZZZZZZZ"
	return p.String()
}

// pageWrongCheck changes an identifier's check character.
func pageWrongCheck(id string) string {
	repl := "A"
	if strings.HasSuffix(id, "A") {
		repl = "B"
	}
	return id[:len(id)-1] + repl
}

type pageCase struct {
	name     string
	path     string
	lang     string
	status   int
	contains []string
	absent   []string
}

func (c pageCase) run(t *testing.T, e *apiEnv) apiResponse {
	t.Helper()
	r := e.pageGet(t, c.path, c.lang)
	if r.Status != c.status {
		t.Fatalf("%s: status %d, want %d\n%s", c.path, r.Status, c.status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("content type %q, want an HTML page", ct)
	}
	body := string(r.Body)
	for _, s := range c.contains {
		if !strings.Contains(body, s) {
			t.Errorf("page lacks %q", s)
		}
	}
	for _, s := range c.absent {
		if strings.Contains(body, s) {
			t.Errorf("page shows %q", s)
		}
	}
	return r
}

func TestVerificationPageThroughALifecycle(t *testing.T) {
	e := newAPIEnv(t)
	lic := e.mustIssue(t, "福州数字未来科技有限公司")
	withToken := relative(t, lic.VerifyURL)
	plain := "/v/" + url.PathEscape(lic.ID)
	tok := lic.VerifyURL[strings.Index(lic.VerifyURL, "?t=")+3:]

	steps := []struct {
		before func(t *testing.T)
		cases  []pageCase
	}{
		{nil, []pageCase{
			{name: "valid with token in Chinese", path: withToken, lang: "zh-CN,zh;q=0.9", status: 200,
				contains: []string{`data-status="valid"`, "有效", "福州数字未来科技有限公司", "法定代表人", "注册资本（万元）", "营业执照", "市场监督管理局", lic.Record.IssueTxID, `lang="zh-CN"`, `data-check="signature"`},
				absent:   []string{"Legal representative", "未通过"}},
			{name: "valid with token in English", path: withToken + "&lang=en", lang: "zh-CN", status: 200,
				contains: []string{"Valid", "福州数字未来科技有限公司", "Legal representative", "Business Licence", "Market Regulation Administration", `lang="en"`},
				absent:   []string{"法定代表人"}},
			{name: "without token no personal data", path: plain, lang: "en", status: 200,
				contains: []string{`data-status="valid"`, "Business Licence", "Market Regulation Administration", `data-note="missing"`, "this page does not show who holds it", "share code"},
				absent:   []string{"福州数字未来科技有限公司", "91350100M000100Y43", "张三", lic.Record.IssueTxID, "tone-ok", ">Valid<"}},
			{name: "wrong token is no token, with a note", path: plain + "?t=AAAAAAAAAAAAAAAAAAAAAA", lang: "zh", status: 200,
				contains: []string{"访问令牌无效", `data-note="wrong"`},
				absent:   []string{"福州数字未来科技有限公司", "AAAAAAAAAAAAAAAAAAAAAA"}},
			{name: "unknown identifier is not found", path: "/v/" + url.PathEscape(pageUnknownID(t, lic.ID)) + "?t=" + tok, lang: "zh", status: 404,
				contains: []string{`data-status="not_found"`, "未找到或伪造"},
				absent:   []string{tok}},
			{name: "wrong check character is a friendly 400", path: "/v/" + url.PathEscape(pageWrongCheck(lic.ID)), lang: "en", status: 400,
				contains: []string{"Invalid identifier", "check character", "<html"}},
			{name: "garbage identifier is a friendly 400", path: "/v/hello", lang: "zh", status: 400,
				contains: []string{"证照标识无效"}},
		}},
		{func(t *testing.T) {
			e.pageChangeStatus(t, lic.ID, "suspend", map[string]string{"reason": "涉嫌虚假登记，暂扣待查"})
		}, []pageCase{
			{name: "suspended without token shows the code and date, not the reason", path: plain, lang: "zh", status: 200,
				contains: []string{`data-status="suspended"`, "暂扣", `data-since=`, "起"},
				absent:   []string{"福州数字未来科技有限公司", "涉嫌虚假登记"}},
			{name: "suspended in English with token", path: withToken, lang: "en", status: 200,
				contains: []string{"Suspended", "涉嫌虚假登记，暂扣待查", "failed", `data-since=`}},
		}},
		{func(t *testing.T) {
			e.pageChangeStatus(t, lic.ID, "reinstate", map[string]string{"reason": "核查无误，发还"})
			e.pageChangeStatus(t, lic.ID, "revoke", map[string]string{"reason": "严重违法，吊销营业执照", "code": "penalty"})
		}, []pageCase{
			{name: "revoked as a penalty with reason", path: withToken, lang: "zh", status: 200,
				contains: []string{`data-status="revoked-penalty"`, "已吊销", "严重违法，吊销营业执照", "未通过"}},
			{name: "revoked in English without token", path: plain, lang: "en", status: 200,
				contains: []string{"Revoked as a penalty", "Since "},
				absent:   []string{"严重违法"}},
		}},
	}
	for _, st := range steps {
		if st.before != nil {
			st.before(t)
		}
		for _, c := range st.cases {
			t.Run(c.name, func(t *testing.T) { c.run(t, e) })
		}
	}
	if strings.Contains(e.logs.String(), tok) {
		t.Error("the access token appears in the gateway log")
	}
}

func TestVerificationPageValidityStatuses(t *testing.T) {
	var shift atomic.Int64 // added to the real clock, in days
	e := newAPIEnv(t, func(c *gateway.Config, _ *ledgerWrap) {
		c.Now = func() time.Time { return time.Now().AddDate(0, 0, int(shift.Load())) }
	})
	future := licenceBody("将来生效有限公司")
	future["validFrom"] = time.Now().UTC().AddDate(1, 0, 0).Format(time.RFC3339)
	future["validUntil"] = time.Now().UTC().AddDate(3, 0, 0).Format(time.RFC3339)
	later, r := e.issue(t, "samr", future)
	if r.Status != http.StatusCreated {
		t.Fatalf("issue: %d %s", r.Status, r.Body)
	}
	pageCase{name: "not yet valid", path: relative(t, later.VerifyURL), lang: "zh", status: 200,
		contains: []string{`data-status="not_yet_valid"`, "尚未生效", "将来生效有限公司"}}.run(t, e)

	shift.Store(5 * 366)
	pageCase{name: "expired", path: relative(t, later.VerifyURL), lang: "en", status: 200,
		contains: []string{`data-status="expired"`, "Expired"}}.run(t, e)
}

// pageFailingRecords makes every record read fail as an unreachable ledger does.
type pageFailingRecords struct {
	credential.Ledger
	fail atomic.Bool
}

func (l *pageFailingRecords) Record(ctx context.Context, id string) (credential.Record, error) {
	if l.fail.Load() {
		return credential.Record{}, errors.New("peer0.samr: connection refused")
	}
	return l.Ledger.Record(ctx, id)
}

func TestVerificationPageWhenTheLedgerIsDown(t *testing.T) {
	fl := &pageFailingRecords{}
	e := newAPIEnv(t, func(_ *gateway.Config, w *ledgerWrap) {
		w.wrap = func(l credential.Ledger) credential.Ledger { fl.Ledger = l; return fl }
	})
	lic := e.mustIssue(t, "账本故障测试有限公司")
	fl.fail.Store(true)
	pageCase{name: "ledger down", path: relative(t, lic.VerifyURL), lang: "en", status: 503,
		contains: []string{"Ledger unavailable", "does not mean the credential is invalid"},
		absent:   []string{"connection refused", "账本故障测试有限公司"}}.run(t, e)
	if !strings.Contains(e.logs.String(), "connection refused") {
		t.Error("the ledger error behind the friendly page was not logged for the operator")
	}
}

func TestVerificationPageHeadersAndTokenPlacement(t *testing.T) {
	e := newAPIEnv(t)
	lic := e.mustIssue(t, "安全头测试有限公司")
	tok := lic.VerifyURL[strings.Index(lic.VerifyURL, "?t=")+3:]
	r := e.pageGet(t, relative(t, lic.VerifyURL), "zh")
	for k, v := range map[string]string{
		"Referrer-Policy":        "no-referrer",
		"X-Content-Type-Options": "nosniff",
		"X-Frame-Options":        "DENY",
		"Cache-Control":          "no-store",
	} {
		if got := r.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	csp := r.Header.Get("Content-Security-Policy")
	for _, d := range []string{"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"} {
		if !strings.Contains(csp, d) {
			t.Errorf("CSP %q lacks %q", csp, d)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("CSP allows inline code: %q", csp)
	}
	body := string(r.Body)
	if regexp.MustCompile(`<script(\s[^>]*)?>\s*[^<\s]`).MatchString(body) && !strings.Contains(body, `type="application/json"`) {
		t.Error("the verification page carries an inline script")
	}
	// The token may appear only in links back to this very page: the
	// language switch.
	links := regexp.MustCompile(`(?:href|src|action)="([^"]*)"`).FindAllStringSubmatch(body, -1)
	withToken := 0
	for _, l := range links {
		if !strings.Contains(l[1], tok) {
			continue
		}
		withToken++
		u, err := url.Parse(strings.ReplaceAll(l[1], "&amp;", "&"))
		if err != nil || u.Host != "" || u.Path != "/v/"+lic.ID {
			t.Errorf("token leaks into %q", l[1])
		}
	}
	if withToken != 2 || strings.Count(body, tok) != withToken {
		t.Errorf("token in %d same-page links and %d times in all; want exactly the 2 language links", withToken, strings.Count(body, tok))
	}
}

func TestLanguageChoice(t *testing.T) {
	e := newAPIEnv(t)
	cases := []struct {
		name, path, accept, cookie, want string
	}{
		{"Accept-Language English", "/", "en-GB,en;q=0.9", "", `lang="en"`},
		{"Accept-Language Chinese", "/", "zh-CN,zh;q=0.9,en;q=0.5", "", `lang="zh-CN"`},
		{"no preference is Chinese", "/", "", "", `lang="zh-CN"`},
		{"switch beats the browser", "/?lang=en", "zh-CN", "", `lang="en"`},
		{"cookie keeps the switch", "/console", "zh-CN", "certledger_lang=en", `lang="en"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var hs []string
			if c.cookie != "" {
				hs = []string{"Cookie", c.cookie}
			}
			r := e.pageGet(t, c.path, c.accept, hs...)
			if !strings.Contains(string(r.Body), c.want) {
				t.Fatalf("page is not %s", c.want)
			}
		})
	}
	r := e.pageGet(t, "/?lang=en", "zh")
	if sc := r.Header.Get("Set-Cookie"); !strings.Contains(sc, "certledger_lang=en") || !strings.Contains(strings.ToLower(sc), "samesite=lax") {
		t.Fatalf("the switch sets no language cookie: %q", sc)
	}
}

func TestHomeConsoleAndAssets(t *testing.T) {
	e := newAPIEnv(t)
	home := pageCase{name: "home", path: "/", lang: "zh-CN", status: 200,
		contains: []string{"营业执照", "毕业证书", "市场监督管理局", `href="/console"`, "/api/v1/openapi.json", `action="/v"`}}.run(t, e)
	if home.Header.Get("Content-Security-Policy") == "" {
		t.Error("home page without CSP")
	}
	con := pageCase{name: "console", path: "/console", lang: "en", status: 200,
		contains: []string{`id="console-messages"`, `"console.login.button":"Sign in"`, `id="issue-form"`}}.run(t, e)
	js := regexp.MustCompile(`<script src="(/assets/console\.js\?v=[0-9a-f]+)"`).FindStringSubmatch(string(con.Body))
	if js == nil {
		t.Fatal("the console does not load console.js from /assets")
	}
	for _, a := range []struct{ path, ctype string }{
		{js[1], "text/javascript"},
		{"/assets/style.css", "text/css"},
		{"/assets/icon.svg", "image/svg+xml"},
	} {
		r := e.do(t, "GET", a.path, "", nil)
		if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), a.ctype) {
			t.Errorf("%s: %d %q", a.path, r.Status, r.Header.Get("Content-Type"))
		}
	}
	if r := e.do(t, "GET", js[1], "", nil); !strings.Contains(r.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("a versioned asset is not cacheable: %q", r.Header.Get("Cache-Control"))
	}
	if r := e.do(t, "GET", "/assets/style.css", "", nil); strings.Contains(r.Header.Get("Cache-Control"), "immutable") {
		t.Error("an unversioned asset URL is cached for good")
	}
	if r := e.do(t, "GET", "/assets/nothing.js", "", nil); r.Status != 404 {
		t.Errorf("unknown asset: %d", r.Status)
	}
}

func TestLookupRedirectsToTheVerificationPage(t *testing.T) {
	e := newAPIEnv(t)
	lic := e.mustIssue(t, "查询跳转有限公司")
	cases := []struct{ q, location string }{
		{lic.ID, "/v/" + lic.ID},
		{"  " + lic.ID + " ", "/v/" + lic.ID},
		{lic.VerifyURL, relative(t, lic.VerifyURL)},
	}
	lookup := func(q string) apiResponse {
		return e.do(t, "POST", "/v", "", "id="+url.QueryEscape(q), "Content-Type", "application/x-www-form-urlencoded", "Accept-Language", "en")
	}
	for _, c := range cases {
		r := lookup(c.q)
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != c.location {
			t.Errorf("lookup %q: %d to %q, want 303 to %q", c.q, r.Status, r.Header.Get("Location"), c.location)
		}
	}
	if r := lookup("nonsense"); r.Status != 400 || !strings.Contains(string(r.Body), "Invalid identifier") {
		t.Errorf("bad lookup: %d %s", r.Status, r.Body)
	}
	tok := lic.VerifyURL[strings.Index(lic.VerifyURL, "?t=")+3:]
	if strings.Contains(e.logs.String(), tok) {
		t.Error("a looked-up verification URL's token reached the log")
	}
}

// A QR code that points at another site verifies against this ledger, but
// the page must say where a phone scanning it would have gone.
func TestLookupOfAForeignQRNamesItsHost(t *testing.T) {
	e := newAPIEnv(t)
	lic := e.mustIssue(t, "外站二维码有限公司")
	foreign := strings.Replace(lic.VerifyURL, publicURL, "https://evil.example", 1)
	cases := []struct {
		name     string
		lang     string
		contains []string
	}{
		{"English", "en", []string{`data-note="foreign-host"`, "evil.example", "not this verification service", "verify.example.test", "外站二维码有限公司"}},
		{"Chinese", "zh", []string{`data-note="foreign-host"`, "evil.example", "不是本核验服务"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(t, "POST", "/v", "", "id="+url.QueryEscape(foreign), "Content-Type", "application/x-www-form-urlencoded", "Accept-Language", tc.lang)
			if r.Status != http.StatusOK {
				t.Fatalf("%d %s, want the page itself, not a redirect that forgets the host", r.Status, r.Header.Get("Location"))
			}
			for _, s := range tc.contains {
				if !strings.Contains(string(r.Body), s) {
					t.Errorf("page lacks %q", s)
				}
			}
		})
	}
	if r := e.paste(t, lic.VerifyURL); r.Status != http.StatusSeeOther || strings.Contains(string(r.Body), "foreign-host") {
		t.Errorf("this gateway's own URL: %d, want a plain redirect", r.Status)
	}
}
