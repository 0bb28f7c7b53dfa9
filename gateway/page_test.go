package gateway

import (
	"errors"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
)

func TestCatalogsHaveTheSameKeys(t *testing.T) {
	cats, err := loadCatalogs(webFS)
	if err != nil {
		t.Fatal(err)
	}
	zh, en := catalogKeys(cats[langZh]), catalogKeys(cats[langEn])
	if strings.Join(zh, "\n") != strings.Join(en, "\n") {
		t.Fatalf("zh and en catalogs differ:\nzh: %v\nen: %v", zh, en)
	}
	for _, k := range zh {
		if strings.TrimSpace(cats[langZh].msgs[k]) == "" || strings.TrimSpace(cats[langEn].msgs[k]) == "" {
			t.Errorf("message %s is empty", k)
		}
		if strings.Count(cats[langZh].msgs[k], "%") != strings.Count(cats[langEn].msgs[k], "%") {
			t.Errorf("message %s has different placeholders in zh and en", k)
		}
	}
}

// TestTemplatesAndScriptUseKnownKeys catches a typo in a message key, which
// would otherwise show the raw key on a page.
func TestTemplatesAndScriptUseKnownKeys(t *testing.T) {
	cats, err := loadCatalogs(webFS)
	if err != nil {
		t.Fatal(err)
	}
	patterns := map[string]*regexp.Regexp{
		"web/templates/": regexp.MustCompile(`\.L\.T "([a-zA-Z0-9_.]+)"`),
		"web/static/":    regexp.MustCompile(`\bt\("([a-zA-Z0-9_.]+)"`),
	}
	found := 0
	for dir, re := range patterns {
		entries, err := webFS.ReadDir(strings.TrimSuffix(dir, "/"))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			b, err := webFS.ReadFile(dir + e.Name())
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				if strings.HasSuffix(m[1], ".") {
					continue // a prefix completed at run time; the page tests cover those
				}
				found++
				if _, ok := cats[langZh].msgs[m[1]]; !ok {
					t.Errorf("%s%s uses unknown message %q", dir, e.Name(), m[1])
				}
			}
		}
	}
	if found < 50 {
		t.Fatalf("found only %d message uses; the patterns no longer match the sources", found)
	}
}

func TestPickLang(t *testing.T) {
	cases := []struct {
		name, query, cookie, accept, want string
	}{
		{"default is Chinese", "", "", "", langZh},
		{"browser prefers English", "", "", "en-US,en;q=0.9", langEn},
		{"browser prefers Chinese", "", "", "zh-CN,zh;q=0.9,en;q=0.8", langZh},
		{"quality decides", "", "", "en;q=0.5, zh-TW;q=0.8", langZh},
		{"unsupported languages fall back", "", "", "fr-FR, de;q=0.9", langZh},
		{"unsupported first, English later", "", "", "fr, en;q=0.4", langEn},
		{"q=0 refuses", "", "", "en;q=0, fr", langZh},
		{"cookie beats browser", "", "en", "zh-CN", langEn},
		{"query beats cookie", "zh", "en", "en", langZh},
		{"garbage query is ignored", "xx", "", "en", langEn},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := pickLang(tc.query, tc.cookie, tc.accept); got != tc.want {
				t.Fatalf("pickLang(%q, %q, %q) = %q, want %q", tc.query, tc.cookie, tc.accept, got, tc.want)
			}
		})
	}
}

func TestMaskIDNumber(t *testing.T) {
	cases := []struct{ idType, in, want string }{
		{credential.IDResidentCard, "11010519491231002X", "1101**********002X"},
		{credential.IDPassport, "E12345678", "E1*****78"},
		{credential.IDUSCC, "91350100M000100Y43", "91350100M000100Y43"},
		{credential.IDOther, "AB12", "AB12"},
	}
	for _, tc := range cases {
		if got := maskIDNumber(tc.idType, tc.in); got != tc.want {
			t.Errorf("maskIDNumber(%s, %s) = %s, want %s", tc.idType, tc.in, got, tc.want)
		}
	}
}

func TestVerifyPageShowsStatusAndContent(t *testing.T) {
	f := newFixture(t)
	id := f.issueLicence(t, "福州数字未来科技有限公司")
	tok := f.ledger.tokens[id]
	path := "/v/" + url.PathEscape(id)

	cases := []struct {
		name     string
		setup    func()
		path     string
		headers  []string
		status   int
		contains []string
		absent   []string
	}{
		{"valid with token in Chinese", nil, path + "?t=" + tok, []string{"Accept-Language", "zh-CN,zh;q=0.9"}, 200,
			[]string{`data-status="valid"`, "有效", "福州数字未来科技有限公司", "法定代表人", "注册资本（万元）", "营业执照", "市场监督管理局", "tx-0001", "区块 7", `lang="zh-CN"`},
			[]string{"Legal representative", "verify.", "status."}},
		{"valid with token in English", nil, path + "?t=" + tok + "&lang=en", nil, 200,
			[]string{"Valid", "福州数字未来科技有限公司", "Legal representative", "Business Licence", "Market Regulation Administration", `lang="en"`},
			[]string{"法定代表人"}},
		{"no token shows no personal data", nil, path, []string{"Accept-Language", "en"}, 200,
			[]string{"Valid", "Business Licence", "Public information only", `data-note="missing"`},
			[]string{"福州数字未来科技有限公司", "91350100M000100Y43", "张三", "tx-0001"}},
		{"wrong token is like no token, with a note", nil, path + "?t=AAAAAAAAAAAAAAAAAAAAAA", []string{"Accept-Language", "zh"}, 200,
			[]string{"访问令牌无效", `data-note="wrong"`},
			[]string{"福州数字未来科技有限公司", "AAAAAAAAAAAAAAAAAAAAAA"}},
		{"suspended with reason", func() { f.setStatus(id, credential.StatusSuspended, "", "涉嫌虚假登记，暂扣待查") }, path, []string{"Accept-Language", "zh"}, 200,
			[]string{`data-status="suspended"`, "暂扣", "涉嫌虚假登记，暂扣待查"}, nil},
		{"revoked as a penalty with reason", func() { f.setStatus(id, credential.StatusRevoked, credential.RevokedPenalty, "严重违法") }, path + "?t=" + tok, []string{"Accept-Language", "zh"}, 200,
			[]string{`data-status="revoked-penalty"`, "已吊销", "严重违法", "未通过"}, nil},
		{"cancelled in English", func() { f.setStatus(id, credential.StatusRevoked, credential.RevokedCancelled, "business closed") }, path, []string{"Accept-Language", "en"}, 200,
			[]string{`data-status="revoked-cancelled"`, "Cancelled", "business closed"}, nil},
		{"expired", func() { f.setStatus(id, credential.StatusValid, "", ""); f.ledger.now = f.ledger.now.AddDate(11, 0, 0) }, path, []string{"Accept-Language", "zh"}, 200,
			[]string{`data-status="expired"`, "已过期"}, nil},
		{"unknown identifier is not found", func() { f.ledger.now = f.ledger.now.AddDate(-11, 0, 0) }, "/v/" + url.PathEscape(unknownIdentifier(t, id)), []string{"Accept-Language", "zh"}, 404,
			[]string{`data-status="not_found"`, "未找到或伪造"}, nil},
		{"wrong check character is a friendly 400", nil, "/v/" + url.PathEscape(flipLast(id)), []string{"Accept-Language", "en"}, 400,
			[]string{"Invalid identifier", "check character", "<html"}, nil},
		{"garbage identifier is a friendly 400", nil, "/v/hello", []string{"Accept-Language", "zh"}, 400,
			[]string{"证照标识无效"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setup != nil {
				tc.setup()
			}
			r := f.get(t, tc.path, tc.headers...)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d\n%s", r.status, tc.status, r.body)
			}
			if ct := r.header["Content-Type"]; !strings.HasPrefix(ct, "text/html") {
				t.Fatalf("content type %q", ct)
			}
			for _, s := range tc.contains {
				if !strings.Contains(r.body, s) {
					t.Errorf("page lacks %q", s)
				}
			}
			for _, s := range tc.absent {
				if strings.Contains(r.body, s) {
					t.Errorf("page shows %q", s)
				}
			}
		})
	}
}

func TestVerifyPageLedgerDown(t *testing.T) {
	f := newFixture(t)
	id := f.issueLicence(t, "某公司")
	f.ledger.fail = errors.New("connection refused")
	r := f.get(t, "/v/"+url.PathEscape(id), "Accept-Language", "en")
	if r.status != 503 || !strings.Contains(r.body, "Ledger unavailable") || strings.Contains(r.body, "connection refused") {
		t.Fatalf("status %d; want 503 with a friendly page and no internals:\n%s", r.status, r.body)
	}
}

func TestVerifyPageHeadersAndTokenPlacement(t *testing.T) {
	f := newFixture(t)
	id := f.issueLicence(t, "某公司")
	tok := f.ledger.tokens[id]
	r := f.get(t, "/v/"+url.PathEscape(id)+"?t="+tok, "Accept-Language", "zh")
	want := map[string]string{
		"Referrer-Policy":        "no-referrer",
		"X-Content-Type-Options": "nosniff",
		"Cache-Control":          "no-store",
	}
	for k, v := range want {
		if r.header[k] != v {
			t.Errorf("%s = %q, want %q", k, r.header[k], v)
		}
	}
	csp := r.header["Content-Security-Policy"]
	for _, d := range []string{"frame-ancestors 'none'", "script-src 'self'", "default-src 'none'"} {
		if !strings.Contains(csp, d) {
			t.Errorf("CSP %q lacks %q", csp, d)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP allows inline code: %q", csp)
	}
	if strings.Contains(r.body, "<script>") || regexp.MustCompile(`<script(\s[^>]*)?>[^<]`).MatchString(r.body) {
		t.Error("the verification page carries an inline script")
	}
	// The token may appear only in links back to this same page (the
	// language switch).
	hrefs := regexp.MustCompile(`(?:href|src|action)="([^"]*)"`).FindAllStringSubmatch(r.body, -1)
	withToken := 0
	for _, h := range hrefs {
		if !strings.Contains(h[1], tok) {
			continue
		}
		withToken++
		u, err := url.Parse(strings.ReplaceAll(h[1], "&amp;", "&"))
		if err != nil || u.Host != "" || u.Path != "/v/"+id {
			t.Errorf("token leaks into %q", h[1])
		}
	}
	if withToken != 2 {
		t.Errorf("%d same-page links keep the token, want the 2 language links", withToken)
	}
	if n := strings.Count(r.body, tok); n != withToken {
		t.Errorf("token appears %d times, only in %d links", n, withToken)
	}
}

func TestLanguageSwitchSetsCookie(t *testing.T) {
	f := newFixture(t)
	r := f.get(t, "/?lang=en", "Accept-Language", "zh-CN")
	if !strings.Contains(r.header["Set-Cookie"], langCookie+"=en") {
		t.Fatalf("no language cookie: %q", r.header["Set-Cookie"])
	}
	if !strings.Contains(r.body, `lang="en"`) {
		t.Fatal("?lang=en did not switch the page to English")
	}
	r = f.get(t, "/", "Accept-Language", "zh-CN", "Cookie", langCookie+"=en")
	if !strings.Contains(r.body, `lang="en"`) {
		t.Fatal("the cookie did not keep English")
	}
}

func TestHomeConsoleAndAssets(t *testing.T) {
	f := newFixture(t)
	home := f.get(t, "/", "Accept-Language", "zh-CN")
	for _, s := range []string{"营业执照", "市场监督管理局", `href="/console"`, "/api/v1/openapi.json", `action="/v"`} {
		if !strings.Contains(home.body, s) {
			t.Errorf("home page lacks %q", s)
		}
	}
	con := f.get(t, "/console", "Accept-Language", "en")
	if con.status != 200 || !strings.Contains(con.body, `id="console-messages"`) || !strings.Contains(con.body, `"console.login.button":"Sign in"`) {
		t.Fatalf("console page: %d\n%s", con.status, con.body)
	}
	js := regexp.MustCompile(`<script src="(/assets/console\.js\?v=[0-9a-f]+)"`).FindStringSubmatch(con.body)
	if js == nil {
		t.Fatal("console page does not load console.js from /assets")
	}
	for _, a := range []struct{ path, ctype string }{
		{strings.ReplaceAll(js[1], "&amp;", "&"), "text/javascript"},
		{"/assets/style.css", "text/css"},
		{"/assets/icon.svg", "image/svg+xml"},
	} {
		r := f.get(t, a.path)
		if r.status != 200 || !strings.HasPrefix(r.header["Content-Type"], a.ctype) {
			t.Errorf("%s: %d %q", a.path, r.status, r.header["Content-Type"])
		}
	}
	if r := f.get(t, js[1]); !strings.Contains(r.header["Cache-Control"], "immutable") {
		t.Errorf("versioned asset not cacheable: %q", r.header["Cache-Control"])
	}
	if r := f.get(t, "/assets/nothing.js"); r.status != 404 {
		t.Errorf("unknown asset: %d", r.status)
	}
}

func TestLookupRedirects(t *testing.T) {
	f := newFixture(t)
	id := f.issueLicence(t, "某公司")
	cases := []struct{ q, location string }{
		{id, "/v/" + id},
		{"  " + id + " ", "/v/" + id},
		{"http://192.168.1.5:8080/v/" + id + "?t=abc_DEF-123", "/v/" + id + "?t=abc_DEF-123"},
	}
	for _, tc := range cases {
		r := f.get(t, "/v?id="+url.QueryEscape(tc.q))
		if r.status != 303 || r.header["Location"] != tc.location {
			t.Errorf("lookup %q: %d to %q, want 303 to %q", tc.q, r.status, r.header["Location"], tc.location)
		}
	}
	if r := f.get(t, "/v?id=nonsense", "Accept-Language", "en"); r.status != 400 || !strings.Contains(r.body, "Invalid identifier") {
		t.Errorf("bad lookup: %d", r.status)
	}
}

func TestBuildVerifyViewNotYetValid(t *testing.T) {
	cats, err := loadCatalogs(webFS)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rec := credential.Record{ID: "x", Status: credential.StatusValid, ValidFrom: now.AddDate(0, 1, 0)}
	v := buildVerifyView(cats[langEn], verifyFacts{ID: "x", Record: &rec, Now: now})
	if v.Status.Code != string(credential.StatusNotYetValid) || !strings.Contains(v.Status.Detail, "2026-02-01") || v.Status.Tone != "info" {
		t.Fatalf("not-yet-valid view: %+v", v.Status)
	}
}

// unknownIdentifier returns a well-formed identifier that was never issued:
// id with another serial and a recomputed check character.
func unknownIdentifier(t *testing.T, id string) string {
	t.Helper()
	p, err := credential.ParseIdentifier(id)
	if err != nil {
		t.Fatal(err)
	}
	p.Serial = "ZZZZZZZZZZZZZZZZ"
	return p.String()
}

// flipLast changes an identifier's check character.
func flipLast(id string) string {
	last := id[len(id)-1]
	repl := byte('A')
	if last == 'A' {
		repl = 'B'
	}
	return id[:len(id)-1] + string(repl)
}
