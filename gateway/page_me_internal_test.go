package gateway

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
)

// sessionFor seals a session of h as the sign-in would, without the
// identity provider: the browser test goes through the real sign-in.
func (e *walletEnv) sessionFor(h credential.Holder) string {
	e.t.Helper()
	now := e.srv.now().Unix()
	sealed, err := e.srv.sessions.cookies.seal(session{ID: "s-" + h.IDNumber, Holder: h, IssuedAt: now, LastSeen: now})
	if err != nil {
		e.t.Fatal(err)
	}
	return sealed
}

// holderPage is a page answer read in full.
type holderPage struct {
	status int
	header http.Header
	body   string
}

// page requests path as a browser with the session cookie value (""
// for none) and Accept-Language.
func (e *walletEnv) page(path, cookie, lang string) holderPage {
	e.t.Helper()
	return getPage(e.t, e.srv, path, cookie, lang)
}

func getPage(t testing.TB, srv *Server, path, cookie, lang string) holderPage {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	req.Header.Set("Accept", "text/html")
	req.Header.Set("Accept-Language", lang)
	return pageAnswer(t, srv, req, cookie)
}

// postPage posts a form to path with the session cookie and origin ("":
// no Origin header), as a page's form or buttons do.
func postPage(t testing.TB, srv *Server, path, cookie, origin string, form url.Values) holderPage {
	t.Helper()
	req := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/html")
	req.Header.Set("Accept-Language", "zh-CN")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	return pageAnswer(t, srv, req, cookie)
}

// pageAnswer sends req with the session cookie value ("" for none) and
// reads the answer in full.
func pageAnswer(t testing.TB, srv *Server, req *http.Request, cookie string) holderPage {
	t.Helper()
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: srv.sessions.name, Value: cookie})
	}
	resp, err := srv.App().Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return holderPage{status: resp.StatusCode, header: resp.Header, body: string(raw)}
}

// expect checks a holder page: its status, the headers every holder page
// carries, and what it must and must not contain.
func (p holderPage) expect(t *testing.T, what string, status int, contains, absent []string) {
	t.Helper()
	if p.status != status {
		t.Fatalf("%s: status %d, want %d\n%s", what, p.status, status, p.body)
	}
	if !strings.HasPrefix(p.header.Get("Content-Type"), "text/html") || p.header.Get("Cache-Control") != "no-store" {
		t.Errorf("%s: Content-Type %q, Cache-Control %q", what, p.header.Get("Content-Type"), p.header.Get("Cache-Control"))
	}
	// Error pages keep no-referrer: they have no form to post.
	if (status == http.StatusOK || status == http.StatusUnauthorized) && (p.header.Get("Referrer-Policy") != "same-origin" || !strings.Contains(p.body, `<meta name="referrer" content="same-origin">`)) {
		t.Errorf("%s: Referrer-Policy %q", what, p.header.Get("Referrer-Policy"))
	}
	if !strings.Contains(p.body, `<meta name="robots" content="noindex, nofollow">`) {
		t.Errorf("%s: not marked noindex", what)
	}
	for _, s := range contains {
		if !strings.Contains(p.body, s) {
			t.Errorf("%s lacks %q", what, s)
		}
	}
	for _, s := range absent {
		if strings.Contains(p.body, s) {
			t.Errorf("%s shows %q", what, s)
		}
	}
}

var cardPattern = regexp.MustCompile(`<li class="cred-card tone-line-([a-z]+)" data-credential="([^"]+)" data-status="([^"]+)"`)

// cards lists the credential cards of a page: identifier -> status code.
func cards(body string) map[string]string {
	out := map[string]string{}
	for _, m := range cardPattern.FindAllStringSubmatch(body, -1) {
		out[m[2]] = m[3]
	}
	return out
}

var nextPage = regexp.MustCompile(`id="next-page" href="([^"]+)"`)

func TestMyCredentialsPage(t *testing.T) {
	e := newWalletEnv(t, Config{}, nil)
	diploma, qual := e.issue("edu", personP, 1), e.issue("hrss", personP, 1)
	other := e.issue("edu", personQ, 2)
	var licences []string
	for i := range credential.MaxHolderPage + 2 {
		licences = append(licences, e.issue("samr", companyC, i))
	}
	p, q, c := e.sessionFor(personP), e.sessionFor(personQ), e.sessionFor(companyC)

	e.page("/me", p, "zh-CN").expect(t, "P's list in Chinese", http.StatusOK,
		[]string{`data-signed-in="true"`, "李四", "1101**********002X", "毕业证书", "教育局", "职业资格证书", "人力资源和社会保障局",
			`href="/me/credentials/` + diploma + `"`, `href="/me/shares"`, `href="/me/activity"`, `href="/me/logout"`, `aria-current="page">我的证照`,
			`href="/me?lang=en"`, `method="post" action="/me/logout"`},
		[]string{other, "11010519491231002X", `id="no-credentials"`, `id="next-page"`})
	if got := cards(e.page("/me", p, "zh-CN").body); len(got) != 2 || got[diploma] != "valid" || got[qual] != "valid" {
		t.Fatalf("P's cards: %v", got)
	}
	e.page("/me?lang=en", p, "zh-CN").expect(t, "P's list in English", http.StatusOK,
		[]string{"My credentials", "Diploma", "Education Bureau", "Professional Qualification", "Resident identity card", ">Valid<"}, []string{"毕业证书"})
	if got := cards(e.page("/me", q, "zh-CN").body); len(got) != 1 || got[other] != "valid" {
		t.Fatalf("Q's cards: %v", got)
	}
	e.page("/me", e.sessionFor(credential.Holder{Name: "赵六", IDType: credential.IDPassport, IDNumber: "E12345678"}), "zh-CN").expect(t, "a holder without credentials",
		http.StatusOK, []string{`id="no-credentials"`, "暂无证照"}, []string{`class="cred-card `})

	// A suspension shows on the card, in words and colour.
	if _, err := e.ledger.ChangeStatus(context.Background(), e.keys["edu"].MSPID, diploma, credential.StatusChange{Action: credential.ActionSuspend, Reason: "核查学籍"}); err != nil {
		t.Fatal(err)
	}
	e.page("/me", p, "zh-CN").expect(t, "a suspended diploma", http.StatusOK,
		[]string{`<li class="cred-card tone-line-warn" data-credential="` + diploma + `" data-status="suspended"`, `<span class="badge tone-warn">暂扣</span>`}, nil)

	// Over a page: a link to the next, which lists the rest and links back.
	first := e.page("/me", c, "zh-CN")
	m := nextPage.FindStringSubmatch(first.body)
	if n := len(cards(first.body)); n != credential.MaxHolderPage || m == nil {
		t.Fatalf("the company's first page: %d cards, next link %v", n, m)
	}
	second := e.page(html.UnescapeString(m[1]), c, "zh-CN")
	// The language switch stays on this page.
	second.expect(t, "the second page", http.StatusOK, []string{`id="first-page" href="/me"`, `href="` + m[1] + `&amp;lang=en"`}, []string{`id="next-page"`})
	seen := cards(second.body)
	for id := range cards(first.body) {
		seen[id] = "valid"
	}
	if len(seen) != len(licences) {
		t.Fatalf("two pages list %d licences, want %d", len(seen), len(licences))
	}
	e.page("/me?after=nobody%2FX", c, "zh-CN").expect(t, "a cursor this gateway did not give", http.StatusBadRequest, []string{`data-status="citizen"`}, nil)

}

func TestMyCredentialPage(t *testing.T) {
	e := newWalletEnv(t, Config{}, nil)
	diploma, qual := e.issue("edu", personP, 1), e.issue("hrss", personP, 1)
	p, q := e.sessionFor(personP), e.sessionFor(personQ)
	path := "/me/credentials/" + diploma

	page := e.page(path, p, "zh-CN")
	page.expect(t, "P's diploma", http.StatusOK,
		[]string{`data-status="valid"`, "毕业证书 · 教育局", "<dt>学校</dt><dd>福州大学</dd>", "<dt>专业</dt><dd>软件工程</dd>", "<dt>持证者名称</dt><dd>李四</dd>",
			`data-check="signature"`, `id="share" href="/me/credentials/` + diploma + `/share"`, `id="verify-link" href="https://verify.example.test/v/` + diploma + `?t=`,
			`href="/me/credentials/` + diploma + `?lang=en"`, `href="/me"`},
		[]string{"11010519491231002X", `class="check fail"`})
	src := regexp.MustCompile(`id="credential-qr" src="([^"]+)"`).FindStringSubmatch(page.body)
	if src == nil || !strings.HasPrefix(src[1], "/api/v1/credentials/"+diploma+"/qr.png?t=") {
		t.Fatalf("QR image %v: not a same-origin path with the token", src)
	}
	img := e.page(html.UnescapeString(src[1]), "", "zh-CN")
	if img.status != http.StatusOK || img.header.Get("Content-Type") != "image/png" {
		t.Fatalf("the QR image answers %d %s", img.status, img.header.Get("Content-Type"))
	}
	e.page(path+"?lang=en", p, "zh-CN").expect(t, "P's diploma in English", http.StatusOK,
		[]string{"<dt>School</dt>", "Diploma · Education Bureau", ">Share<", "My shares"}, []string{"<dt>学校</dt>"})

	// The issuer's reason for a revocation is the holder's to read.
	if _, err := e.ledger.ChangeStatus(context.Background(), e.keys["hrss"].MSPID, qual, credential.StatusChange{Action: credential.ActionRevoke, Reason: "证书信息有误", Code: credential.RevokedCancelled}); err != nil {
		t.Fatal(err)
	}
	e.page("/me/credentials/"+qual, p, "zh-CN").expect(t, "a cancelled qualification", http.StatusOK,
		[]string{`data-status="revoked-cancelled"`, "证书信息有误", `class="banner tone-bad"`}, nil)

	// Someone else's credential, one never issued and no identifier at all
	// are the same page.
	notMine := e.page(path, q, "zh-CN")
	notMine.expect(t, "P's diploma to Q", http.StatusNotFound, []string{`data-status="mine_notfound"`}, []string{"福州大学", "李四"})
	never, err := credential.ParseIdentifier(diploma)
	if err != nil {
		t.Fatal(err)
	}
	never.Serial = "ZZZZZZZZZZZZZZZZ"
	for _, other := range []string{"/me/credentials/" + never.String(), "/me/credentials/nonsense"} {
		got := e.page(other, q, "zh-CN")
		got.expect(t, other, http.StatusNotFound, []string{`data-status="mine_notfound"`}, nil)
		if strip := func(s string) string { return regexp.MustCompile(`href="[^"]*lang=[a-z]+"`).ReplaceAllString(s, "") }; strip(got.body) != strip(notMine.body) {
			t.Errorf("%s differs from someone else's credential", other)
		}
	}
}

// A gateway that does not act as the issuing department sends the holder
// to the issuer's gateway for the document, when the deployment names it.
func TestMyCredentialPagesKeptElsewhere(t *testing.T) {
	cfg := Config{DepartmentGateways: map[string]string{"edu": "https://edu.example.test"}}
	e := newWalletEnv(t, cfg, func(l credential.Ledger) credential.Ledger {
		return scopedLedger{Ledger: l, t: t, msps: []string{"GovMSP", "HrssMSP"}}
	})
	diploma, qual := e.issue("edu", personP, 1), e.issue("hrss", personP, 1)
	licence := e.issue("samr", companyC, 1)
	p := e.sessionFor(personP)
	there := "https://edu.example.test/me/credentials/" + diploma
	e.page("/me", p, "zh-CN").expect(t, "P's list", http.StatusOK,
		[]string{`class="issuer-gateway" href="` + there + `"`, `href="/me/credentials/` + qual + `"`}, nil)
	e.page("/me/credentials/"+diploma, p, "zh-CN").expect(t, "the diploma kept elsewhere", http.StatusOK,
		[]string{`data-note="elsewhere"`, `href="` + there + `"`, `data-status="valid"`}, []string{`id="credential-qr"`, `id="share"`, "福州大学"})
	e.page("/me", e.sessionFor(companyC), "zh-CN").expect(t, "the company's list, no samr gateway configured", http.StatusOK,
		[]string{`data-credential="` + licence + `"`, `data-note="elsewhere"`}, []string{`class="issuer-gateway"`})
}

// Signed out, a holder page offers the sign-in, which comes back to it;
// a session that ended says so.
func TestMyPagesSignedOut(t *testing.T) {
	e := newCitizenEnv(t, citizenOption{})
	cookie := e.signedInCookie(t)
	diploma := e.issueTo(t, "edu", "diploma", zhangWei.holder, map[string]any{"school": "福州大学", "major": "软件工程",
		"level": "本科", "graduatedOn": "2024-06-30", "certificateNumber": "103861202405000001"})
	path := "/me/credentials/" + diploma
	getPage(t, e.srv, path, cookie, "zh-CN").expect(t, "signed in", http.StatusOK, []string{"福州大学"}, nil)
	getPage(t, e.srv, "/me", "", "zh-CN").expect(t, "/me signed out", http.StatusOK,
		[]string{`data-signed-in="false"`, `id="sign-in" href="/me/login"`, "在这里您可以"}, []string{`data-signed-in="true"`, "张伟", `role="alert"`})
	getPage(t, e.srv, path, "", "zh-CN").expect(t, "a credential signed out", http.StatusUnauthorized,
		[]string{`data-signed-in="false"`, `id="sign-in" href="/me/login?next=` + url.QueryEscape(path) + `"`}, []string{"福州大学", "张伟"})
	e.clock.Advance(e.srv.sessions.idle + time.Minute)
	for _, p := range []string{"/me", path} {
		got := getPage(t, e.srv, p, cookie, "zh-CN")
		if got.status != http.StatusOK && got.status != http.StatusUnauthorized {
			t.Fatalf("%s after the session ended: %d", p, got.status)
		}
		got.expect(t, p+" after the session ended", got.status, []string{`data-signed-in="false"`, "您的登录已失效"}, []string{"张伟", "福州大学"})
	}
}
