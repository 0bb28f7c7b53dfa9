package gateway

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestCitizenSignInRoundTrip signs in through the demo provider as a
// browser would, the gateway reaching the provider over the network and
// in-process, for a person and for a company, and ends with signedInHolder
// answering the provider's holder.
func TestCitizenSignInRoundTrip(t *testing.T) {
	for _, backChannel := range []struct {
		name      string
		inProcess bool
	}{{"network", false}, {"in-process", true}} {
		t.Run(backChannel.name, func(t *testing.T) {
			e := newCitizenEnv(t, citizenOption{inProcess: backChannel.inProcess})
			for _, c := range []citizen{zhangWei, company} {
				b := e.browser(t)
				e.signIn(t, b, c)
				cookie := e.sessionCookie(t, b)
				if cookie == "" {
					t.Fatal("no session cookie after sign-in")
				}
				got, r := e.holder(t, cookie)
				if r.status != http.StatusOK || got != c.holder {
					t.Fatalf("signedInHolder = %+v (%d %s), want %+v", got, r.status, r.body, c.holder)
				}
			}
		})
	}
}

// TestSignInWithWrongPasswordStartsNoSession: the provider refuses the
// login, stays on its form and the gateway never sees an answer.
func TestSignInWithWrongPasswordStartsNoSession(t *testing.T) {
	e := newCitizenEnv(t, citizenOption{})
	b := e.browser(t)
	_, id := e.startSignIn(t, b, "")
	for _, wrong := range []citizen{{username: zhangWei.username, password: "wrong"}, {username: "nobody", password: zhangWei.password}} {
		resp, body := e.postLogin(t, b, id, wrong.username, wrong.password)
		if resp.StatusCode != http.StatusUnauthorized || resp.Request.URL.Path != "/demo-idp/login" || !authRequestField.MatchString(body) {
			t.Fatalf("wrong login %q ended at %s with %d", wrong.username, resp.Request.URL, resp.StatusCode)
		}
	}
	if c := e.sessionCookie(t, b); c != "" {
		t.Fatal("a wrong password got a session cookie")
	}
	// The same request still signs in with the right password.
	resp, body := e.postLogin(t, b, id, zhangWei.username, zhangWei.password)
	if resp.Request.URL.Path != "/me" || !strings.Contains(body, `data-signed-in="true"`) {
		t.Fatalf("right password after wrong ones ended at %s with %d", resp.Request.URL, resp.StatusCode)
	}
}

// TestSignInRefusesAnAnswerOfAnotherSignIn: an attacker completes a sign-in
// of their own at the provider and gets a victim's browser to open its
// answer (login CSRF). The state does not match the victim's sign-in
// cookie, or there is none, so no session starts.
func TestSignInRefusesAnAnswerOfAnotherSignIn(t *testing.T) {
	e := newCitizenEnv(t, citizenOption{})
	attacker := e.browser(t)
	attacker.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
		if req.URL.Path == "/me/callback" {
			return http.ErrUseLastResponse
		}
		return nil
	}
	_, id := e.startSignIn(t, attacker, "")
	resp, _ := e.postLogin(t, attacker, id, company.username, company.password)
	answer := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.Contains(answer, "/me/callback?code=") {
		t.Fatalf("the attacker's sign-in did not stop at the answer: %d %q", resp.StatusCode, answer)
	}

	for _, started := range []bool{false, true} {
		victim := e.browser(t)
		if started {
			e.startSignIn(t, victim, "")
		}
		resp, err := victim.Get(answer)
		if err != nil {
			t.Fatal(err)
		}
		body := readBody(t, resp)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `"reason":"sign_in_failed"`) {
			t.Fatalf("victim (sign-in started: %v) opening another sign-in's answer: %d %s", started, resp.StatusCode, body)
		}
		if c := e.sessionCookie(t, victim); c != "" {
			t.Fatalf("victim (sign-in started: %v) got a session", started)
		}
	}
	// The answer is still good in the browser that started it: the refusals
	// above came from the state, not from a spent code.
	resp, err := attacker.Get(answer)
	if err != nil {
		t.Fatal(err)
	}
	readBody(t, resp)
	if resp.Request.URL.Path != "/me" || e.sessionCookie(t, attacker) == "" {
		t.Fatalf("the answer in its own browser ended at %s, session %q", resp.Request.URL, e.sessionCookie(t, attacker))
	}
}

// TestSignInRefusesAnIDTokenWithAnotherNonce: something between the gateway
// and the provider swaps the nonce of the authorization request, so the ID
// token is valid and signed, but not for this sign-in. The same sign-in
// without the swap succeeds, so the refusal is the nonce check's.
func TestSignInRefusesAnIDTokenWithAnotherNonce(t *testing.T) {
	var swap atomic.Bool
	e := newCitizenEnv(t, citizenOption{wrap: func(idp http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if swap.Load() && r.URL.Path == "/demo-idp/authorize" {
				q := r.URL.Query()
				q.Set("nonce", "a-nonce-of-someone-else")
				r.URL.RawQuery = q.Encode()
			}
			idp.ServeHTTP(w, r)
		})
	}})
	for _, swapped := range []bool{true, false} {
		swap.Store(swapped)
		b := e.browser(t)
		_, id := e.startSignIn(t, b, "")
		resp, body := e.postLogin(t, b, id, zhangWei.username, zhangWei.password)
		signedIn := resp.Request.URL.Path == "/me" && e.sessionCookie(t, b) != ""
		if swapped && (signedIn || resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `"reason":"sign_in_failed"`)) {
			t.Fatalf("swapped nonce: signed in %v, %d %s", signedIn, resp.StatusCode, body)
		}
		if !swapped && !signedIn {
			t.Fatalf("the same sign-in without the swap failed: %d %s", resp.StatusCode, body)
		}
	}
}

// TestSignInTakesAtMostTenMinutes: the sign-in cookie carries its own
// expiry, checked on the gateway's clock.
func TestSignInTakesAtMostTenMinutes(t *testing.T) {
	e := newCitizenEnv(t, citizenOption{})
	b := e.browser(t)
	_, id := e.startSignIn(t, b, "")
	e.clock.Advance(signinTimeout + time.Second)
	resp, body := e.postLogin(t, b, id, zhangWei.username, zhangWei.password)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `"reason":"sign_in_failed"`) || e.sessionCookie(t, b) != "" {
		t.Fatalf("a sign-in answered after %s: %d %s", signinTimeout, resp.StatusCode, body)
	}
}

// TestSignInRefusesClaimsThatNameNoValidHolder: the provider vouches for
// an ID number whose check digit is wrong; the gateway refuses to make it
// a session holder.
func TestSignInRefusesClaimsThatNameNoValidHolder(t *testing.T) {
	e := newCitizenEnv(t, citizenOption{})
	b := e.browser(t)
	_, id := e.startSignIn(t, b, "")
	resp, body := e.postLogin(t, b, id, badID.username, badID.password)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, `"reason":"identity_claims_invalid"`) || e.sessionCookie(t, b) != "" {
		t.Fatalf("a holder with a wrong check digit: %d %s", resp.StatusCode, body)
	}
	if strings.Contains(body, badID.holder.IDNumber) {
		t.Fatal("the refusal echoes the ID number")
	}
}

// TestSignInReturnsToNext: a safe next parameter is where the sign-in ends.
func TestSignInReturnsToNext(t *testing.T) {
	e := newCitizenEnv(t, citizenOption{})
	b := e.browser(t)
	_, id := e.startSignIn(t, b, "/me?from=wallet")
	resp, _ := e.postLogin(t, b, id, zhangWei.username, zhangWei.password)
	if resp.Request.URL.String() != e.base+"/me?from=wallet" {
		t.Fatalf("sign-in ended at %s", resp.Request.URL)
	}
}

func TestSafeNext(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "/me"},
		{"/me", "/me"},
		{"/v/1.2.156?t=x", "/v/1.2.156?t=x"},
		{"https://evil.example/", "/me"},
		{"//evil.example/x", "/me"},
		{"/\\evil.example", "/me"},
		{"/ok\\..", "/me"},
		{"javascript:alert(1)", "/me"},
		{"me", "/me"},
		{"/a\r\nSet-Cookie: x=y", "/me"},
		{"/\t/evil.example", "/me"},
		{"/me/login", "/me"},
		{"/ME/Callback/", "/me"},
		{"/me/logout?x=1", "/me"},
		{"/" + strings.Repeat("a", 1100), "/me"},
	} {
		if got := safeNext(tc.in); got != tc.want {
			t.Errorf("safeNext(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestSignInNotConfigured: a gateway without an issuer says so, as a page
// to a browser and as a problem to a program.
func TestSignInNotConfigured(t *testing.T) {
	e := newCitizenEnv(t, citizenOption{config: func(c *Config) { c.OIDC = OIDCConfig{} }})
	r := e.call(t, "GET", "/me/login", "")
	if r.status != http.StatusNotFound || r.reason != "sign_in_not_configured" {
		t.Fatalf("problem: %d %s", r.status, r.body)
	}
	r = e.call(t, "GET", "/me/login", "", "Accept", "text/html,application/xhtml+xml")
	if r.status != http.StatusNotFound || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(string(r.body), `data-status="sign_in_not_configured"`) {
		t.Fatalf("page: %d %s", r.status, r.body)
	}
	if r := e.call(t, "GET", "/me", ""); r.status != http.StatusOK || !strings.Contains(string(r.body), `data-signed-in="false"`) || strings.Contains(string(r.body), `href="/me/login"`) {
		t.Fatalf("/me without sign-in: %d", r.status)
	}
}

func TestSignInConfigValidation(t *testing.T) {
	ok := OIDCConfig{Issuer: "https://id.example.gov.cn", ClientID: "gw"}
	for _, tc := range []struct {
		name   string
		change func(*Config)
		valid  bool
	}{
		{"https issuer", func(c *Config) {}, true},
		{"off", func(c *Config) { c.OIDC = OIDCConfig{} }, true},
		{"http issuer elsewhere", func(c *Config) { c.OIDC.Issuer = "http://id.example.gov.cn" }, false},
		{"http issuer on loopback", func(c *Config) { c.OIDC.Issuer = "http://127.0.0.1:9000/idp" }, true},
		{"http issuer at the own origin", func(c *Config) {
			c.PublicURL = "http://gw.example:8080"
			c.OIDC.Issuer = "http://gw.example:8080/demo-idp"
		}, true},
		{"issuer with a query", func(c *Config) { c.OIDC.Issuer = "https://id.example.gov.cn/?x=1" }, false},
		{"no client ID", func(c *Config) { c.OIDC.ClientID = "" }, false},
		{"redirect URL not http", func(c *Config) { c.OIDC.RedirectURL = "ftp://gw/me/callback" }, false},
		{"idle longer than lifetime", func(c *Config) { c.SessionIdle, c.SessionLifetime = 2*time.Hour, time.Hour }, false},
		{"handler prefix without slash", func(c *Config) { c.Handlers = map[string]http.Handler{"demo-idp": http.NotFoundHandler()} }, false},
		{"handler prefix with trailing slash", func(c *Config) { c.Handlers = map[string]http.Handler{"/demo-idp/": http.NotFoundHandler()} }, false},
		{"nil handler", func(c *Config) { c.Handlers = map[string]http.Handler{"/demo-idp": nil} }, false},
	} {
		c := Config{PublicURL: "https://verify.example.test", OIDC: ok}
		tc.change(&c)
		err := c.WithDefaults().Validate()
		if (err == nil) != tc.valid {
			t.Errorf("%s: Validate() = %v, want valid %v", tc.name, err, tc.valid)
		}
	}
	c := Config{PublicURL: "https://verify.example.test/", OIDC: ok}.WithDefaults()
	if c.OIDC.RedirectURL != "https://verify.example.test/me/callback" || c.OIDC.ClaimIDType != "id_type" || c.OIDC.ClaimIDNumber != "id_number" ||
		c.OIDC.ClaimName != "name" || c.SessionIdle != 30*time.Minute || c.SessionLifetime != 12*time.Hour {
		t.Fatalf("defaults: %+v", c.OIDC)
	}
}

// TestSignInWhileTheProviderIsDown: the gateway starts and serves without
// its provider; sign-in answers 503 until the provider is back.
func TestSignInWhileTheProviderIsDown(t *testing.T) {
	e := newCitizenEnv(t, citizenOption{config: func(c *Config) { c.OIDC.Issuer = "http://127.0.0.1:1/idp" }})
	if r := e.call(t, "GET", "/me/login", ""); r.status != http.StatusServiceUnavailable || r.reason != "unavailable" {
		t.Fatalf("problem: %d %s", r.status, r.body)
	}
	r := e.call(t, "GET", "/me/login", "", "Accept", "text/html")
	if r.status != http.StatusServiceUnavailable || !strings.Contains(string(r.body), `data-status="idp_unavailable"`) {
		t.Fatalf("page: %d %s", r.status, r.body)
	}
	if r := e.call(t, "GET", "/healthz", ""); r.status != http.StatusOK {
		t.Fatalf("health without the provider: %d", r.status)
	}
}
