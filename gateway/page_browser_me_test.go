package gateway_test

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/gateway"
	"github.com/certledger/certledger/gateway/demoidp"
	"github.com/chromedp/chromedp"
)

// demoCitizen is an account at the demo identity provider, password in
// clear for the login form.
type demoCitizen struct {
	username, password string
	holder             credential.Holder
}

var (
	meZhang = demoCitizen{"zhangwei", "correct horse 1", credential.Holder{Name: "张伟", IDType: credential.IDResidentCard, IDNumber: "350102199003071234"}}
	meLi    = demoCitizen{"lina", "correct horse 2", credential.Holder{Name: "李娜", IDType: credential.IDResidentCard, IDNumber: "350103198511224569"}}
)

// newSignInBrowserEnv is a browser gateway that signs citizens in through
// the demo identity provider it serves under /demo-idp, as `serve --demo`
// does, over the real listener.
func newSignInBrowserEnv(t *testing.T, citizens ...demoCitizen) *browserEnv {
	t.Helper()
	var accounts []demoidp.Account
	for _, c := range citizens {
		accounts = append(accounts, demoidp.Account{Username: c.username, PasswordHash: hashPassword(t, c.password),
			Name: c.holder.Name, IDType: c.holder.IDType, IDNumber: c.holder.IDNumber})
	}
	return newDemoIdPBrowserEnv(t, accounts)
}

func hashPassword(t *testing.T, password string) string {
	t.Helper()
	h, err := demoidp.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// newDemoIdPBrowserEnv is a browser gateway over the real listener with the
// demo identity provider under /demo-idp knowing accounts.
func newDemoIdPBrowserEnv(t *testing.T, accounts []demoidp.Account) *browserEnv {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	const clientID, secret = "certledger-gateway", "a-test-client-secret-of-32-bytes"
	idp, err := demoidp.New(demoidp.Config{Issuer: base + "/demo-idp", ClientID: clientID, ClientSecret: secret,
		RedirectURIs: []string{base + "/me/callback"}, Accounts: accounts})
	if err != nil {
		t.Fatal(err)
	}
	e := newAPIEnv(t, func(c *gateway.Config, _ *ledgerWrap) {
		c.PublicURL = base
		c.OIDC = gateway.OIDCConfig{Issuer: idp.Issuer(), ClientID: clientID, ClientSecret: secret,
			ClaimIDType: demoidp.ClaimIDType, ClaimIDNumber: demoidp.ClaimIDNumber, ClaimName: demoidp.ClaimName}
		c.Handlers = map[string]http.Handler{idp.PathPrefix(): idp}
		c.StateDir = t.TempDir()
	})
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

// issueTo issues a credential of typ to h as dept through the API.
func (b *browserEnv) issueTo(t *testing.T, dept, typ string, h credential.Holder, fields map[string]any) string {
	t.Helper()
	r := b.do(t, "POST", "/api/v1/credentials", b.key(dept), map[string]any{"type": typ, "holder": h, "fields": fields})
	var out issuedAnswer
	if r.Status != http.StatusCreated {
		t.Fatalf("issue %s: %d %s", typ, r.Status, r.Body)
	}
	r.decode(t, &out)
	return out.ID
}

// signInAs goes from the signed-out /me through the provider's login form
// and back to the holder's list.
func signInAs(t *testing.T, tab context.Context, base string, c demoCitizen) {
	t.Helper()
	open(t, tab, base+"/me")
	if _, err := chromedp.RunResponse(tab, chromedp.Click(chromedp.ID("sign-in"))); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab, chromedp.WaitVisible(chromedp.ID("username"))); err != nil {
		t.Fatalf("no login form at the provider: %v", err)
	}
	fill(t, tab, map[string]string{"username": c.username, "password": c.password})
	if _, err := chromedp.RunResponse(tab, chromedp.Click(chromedp.CSS(`form button[type="submit"]`))); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab, chromedp.WaitVisible(chromedp.ID("my-credentials"))); err != nil {
		screenshot(t, tab, "failure-me-signin")
		t.Fatalf("sign-in of %s did not land on the list: %v", c.username, err)
	}
	if loc, _ := chromedp.Run(tab, chromedp.Location()); !strings.HasSuffix(loc, "/me") {
		t.Fatalf("sign-in ended at %s", loc)
	}
}

// cardIDs lists the credential cards on the page.
func cardIDs(t *testing.T, tab context.Context) []string {
	t.Helper()
	ids, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("li.cred-card")).map(function (li) { return li.dataset.credential; })`))
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// noSideScroll fails when the page is wider than a 360 px phone's screen.
func noSideScroll(t *testing.T, tab context.Context, what string) {
	t.Helper()
	if err := chromedp.Do(tab, chromedp.EmulateViewport(360, 740, chromedp.EmulateScale(2), chromedp.EmulateMobile)); err != nil {
		t.Fatal(err)
	}
	widths, err := chromedp.Run(tab, chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, document.documentElement.clientWidth, window.innerWidth]`))
	if err != nil {
		t.Fatal(err)
	}
	if widths[1] != 360 || widths[0] > widths[1] {
		screenshot(t, tab, "failure-360-"+what)
		t.Fatalf("%s at 360 px: scroll width %d, client width %d, inner width %d", what, widths[0], widths[1], widths[2])
	}
}

func TestBrowserMeSignInListAndOpen(t *testing.T) {
	requireChromium(t)
	b := newSignInBrowserEnv(t, meZhang, meLi)
	browser := newBrowser(t)
	diploma := b.issueTo(t, "edu", "diploma", meZhang.holder, map[string]any{"school": "福州大学", "major": "计算机科学与技术",
		"level": "本科", "graduatedOn": "2012-06-30", "certificateNumber": "103861201205000123"})
	qual := b.issueTo(t, "hrss", "professional-qualification", meZhang.holder, map[string]any{"occupation": "软件设计师", "grade": "中级",
		"certificateNumber": "S3501201511080042"})
	liDiploma := b.issueTo(t, "edu", "diploma", meLi.holder, map[string]any{"school": "福建师范大学", "major": "汉语言文学",
		"level": "本科", "graduatedOn": "2007-06-30", "certificateNumber": "103941200705000456"})
	tab := newTab(t, browser, "zh-CN,zh;q=0.9")

	step(t, "signed out, then through the provider's login form", func(t *testing.T) {
		open(t, tab, b.base+"/me")
		sees(t, tab, []string{"登录", "在这里您可以"}, []string{"张伟"})
		signInAs(t, tab, b.base, meZhang)
		screenshot(t, tab, "me-list-zh")
	})

	step(t, "the list shows the holder's cards", func(t *testing.T) {
		if got := text(t, tab, "#holder-name"); got != "张伟" {
			t.Fatalf("signed in as %q", got)
		}
		if got := text(t, tab, "#holder-id"); got != "3501**********1234" {
			t.Fatalf("the ID number shows as %q", got)
		}
		ids := cardIDs(t, tab)
		if len(ids) != 2 || !(ids[0] == diploma || ids[1] == diploma) || !(ids[0] == qual || ids[1] == qual) {
			t.Fatalf("cards %v, want the diploma %s and the qualification %s", ids, diploma, qual)
		}
		sees(t, tab, []string{"毕业证书", "教育局", "职业资格证书", "人力资源和社会保障局", "有效"}, []string{liDiploma, "福建师范大学"})
		noSideScroll(t, tab, "me-zh")
		phone(t, tab)
	})

	step(t, "the activity, from the navigation, lists the issuances newest first", func(t *testing.T) {
		if _, err := chromedp.RunResponse(tab, chromedp.Click(chromedp.CSS(`.holder-nav a[href="/me/activity"]`))); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(tab, chromedp.WaitVisible(chromedp.ID("my-activity"))); err != nil {
			screenshot(t, tab, "failure-me-activity")
			t.Fatalf("the activity page did not open: %v", err)
		}
		if got := text(t, tab, `.holder-nav a[aria-current="page"]`); got != "用证记录" {
			t.Fatalf("the navigation marks %q as current", got)
		}
		items, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("li.activity-item")).map(function (li) { return li.dataset.event + " " + li.dataset.credential; })`))
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"issued " + qual, "issued " + diploma}; strings.Join(items, ",") != strings.Join(want, ",") {
			t.Fatalf("the timeline %v, want %v", items, want)
		}
		sees(t, tab, []string{"用证记录", "签发", "毕业证书", "教育局", "职业资格证书", "不按人记录"}, []string{liDiploma, "福建师范大学", "350102199003071234"})
		noSideScroll(t, tab, "me-activity-zh")
		screenshot(t, tab, "me-activity-zh-360")
		phone(t, tab)
		// Each event leads to its credential.
		if _, err := chromedp.RunResponse(tab, chromedp.Click(chromedp.CSS(`li[data-credential="`+diploma+`"] .activity-cred a`))); err != nil {
			t.Fatal(err)
		}
		if loc, _ := chromedp.Run(tab, chromedp.Location()); !strings.HasSuffix(loc, "/me/credentials/"+diploma) {
			t.Fatalf("the diploma's event led to %s", loc)
		}
		open(t, tab, b.base+"/me")
	})

	step(t, "a credential opens in full with its QR code", func(t *testing.T) {
		if _, err := chromedp.RunResponse(tab, chromedp.Click(chromedp.CSS(`li[data-credential="`+diploma+`"] a.cred-card-main`))); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(tab, chromedp.WaitVisible(chromedp.ID("credential-qr"))); err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.Run(tab, chromedp.Poll[bool](`(function () { var i = document.getElementById("credential-qr"); return i.complete && i.naturalWidth > 0; })()`,
			chromedp.WithPollingTimeout(10*time.Second))); err != nil {
			screenshot(t, tab, "failure-me-qr")
			t.Fatalf("the QR image did not load: %v", err)
		}
		if got := text(t, tab, ".banner-title"); got != "有效" {
			t.Fatalf("the banner says %q", got)
		}
		sees(t, tab, []string{"学校", "福州大学", "专业", "计算机科学与技术", "证书编号", "103861201205000123", "签发机关签名", "分享"}, []string{"350102199003071234"})
		share, err := chromedp.Run(tab, chromedp.AttributeValue(chromedp.ID("share"), "href"))
		if err != nil || share.Value != "/me/credentials/"+diploma+"/share" {
			t.Fatalf("the share button leads to %q (%v)", share.Value, err)
		}
		verify, err := chromedp.Run(tab, chromedp.AttributeValue(chromedp.ID("verify-link"), "href"))
		if err != nil || !strings.HasPrefix(verify.Value, b.base+"/v/"+diploma+"?t=") {
			t.Fatalf("the verification link is %q (%v)", verify.Value, err)
		}
		screenshot(t, tab, "me-credential-zh")
	})

	step(t, "in English, and on a 360 px phone", func(t *testing.T) {
		if _, err := chromedp.RunResponse(tab, chromedp.Click(chromedp.CSS(`.langs a[hreflang="en"]`))); err != nil {
			t.Fatal(err)
		}
		sees(t, tab, []string{"School", "Major", "Diploma", "Education Bureau", "Share", "Checks"}, []string{"学校"})
		if got := text(t, tab, ".holder-nav"); !strings.Contains(got, "My shares") || !strings.Contains(got, "Activity") {
			t.Fatalf("the navigation says %q", got)
		}
		noSideScroll(t, tab, "me-credential-en")
		screenshot(t, tab, "me-credential-en-360")
		open(t, tab, b.base+"/me")
		sees(t, tab, []string{"My credentials", "Professional Qualification", "Valid"}, nil)
		noSideScroll(t, tab, "me-en")
		phone(t, tab)
	})

	step(t, "signed out, another citizen sees other cards", func(t *testing.T) {
		open(t, tab, b.base+"/me/logout")
		if _, err := chromedp.RunResponse(tab, chromedp.Click(chromedp.CSS(`form[action="/me/logout"] button[type="submit"]`))); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(tab, chromedp.WaitVisible(chromedp.ID("sign-in"))); err != nil {
			t.Fatalf("not signed out: %v", err)
		}
		signInAs(t, tab, b.base, meLi)
		if ids := cardIDs(t, tab); len(ids) != 1 || ids[0] != liDiploma {
			t.Fatalf("Li Na's cards %v, want only %s", ids, liDiploma)
		}
		sees(t, tab, []string{"李娜", "Diploma"}, []string{"张伟", "Professional Qualification"})
		// Zhang Wei's diploma is not hers to open.
		open(t, tab, b.base+"/me/credentials/"+diploma)
		sees(t, tab, []string{"You hold no credential with this identifier"}, []string{"福州大学", "张伟"})
	})
}
