package gateway

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/gateway/ledger/embedded"
	"github.com/gofiber/fiber/v2"
)

// signedInCookie signs zhangWei in through the provider and returns the
// session cookie's value.
func (e *citizenEnv) signedInCookie(t *testing.T) string {
	t.Helper()
	b := e.browser(t)
	e.signIn(t, b, zhangWei)
	return e.sessionCookie(t, b)
}

// TestSessionCookieAttributes: HttpOnly, SameSite=Lax, the whole site,
// kept until the absolute expiry; not Secure over plain HTTP.
func TestSessionCookieAttributes(t *testing.T) {
	e := newCitizenEnv(t, citizenOption{})
	b := e.browser(t)
	_, id := e.startSignIn(t, b, "")
	b.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, _ := e.postLogin(t, b, id, zhangWei.username, zhangWei.password) // the provider's 303 to its callback
	resp, err := b.Get(resp.Header.Get("Location"))                        // its 302 to the gateway
	if err != nil {
		t.Fatal(err)
	}
	readBody(t, resp)
	resp, err = b.Get(resp.Header.Get("Location")) // the gateway's callback
	if err != nil {
		t.Fatal(err)
	}
	readBody(t, resp)
	c, ok := setCookie(resp.Header, sessionCookieName)
	if !ok {
		t.Fatalf("callback %d set no session cookie: %v", resp.StatusCode, resp.Header)
	}
	if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure || c.Domain != "" ||
		c.MaxAge < int(DefaultSessionLifetime/time.Second)-2 || c.MaxAge > int(DefaultSessionLifetime/time.Second) {
		t.Fatalf("session cookie %+v", c)
	}
	if strings.Contains(c.Value, zhangWei.holder.IDNumber) || strings.Contains(c.Value, "350102") {
		t.Fatal("the cookie shows the holder")
	}
}

// TestSecureSessionCookieOverHTTPS: with an https public URL the cookies
// are Secure and take the __Host- and __Secure- prefixes.
func TestSecureSessionCookieOverHTTPS(t *testing.T) {
	e := newCitizenEnv(t, citizenOption{config: func(c *Config) {
		c.PublicURL = "https://verify.example.test"
		c.OIDC.RedirectURL = "https://verify.example.test/me/callback"
	}, routes: func(s *Server) {
		s.app.Get("/test/start", func(c *fiber.Ctx) error { return s.startSession(c, zhangWei.holder) })
	}})
	r := e.call(t, "GET", "/test/start", "")
	c, ok := setCookie(r.header, "__Host-"+sessionCookieName)
	if !ok || !c.Secure || !c.HttpOnly || c.Path != "/" {
		t.Fatalf("session cookie over https: %v %+v", r.header.Values("Set-Cookie"), c)
	}
	if e.srv.sessions.signinName != "__Secure-"+signinCookieName {
		t.Fatalf("sign-in cookie name %q", e.srv.sessions.signinName)
	}
	if got, a := e.holder(t, c.Value); a.status != http.StatusOK || got != zhangWei.holder {
		t.Fatalf("the secure cookie does not open: %d %s", a.status, a.body)
	}
}

// TestTamperedSessionCookiesAreRefused: the cookie is sealed; any change,
// a value sealed for another purpose or by another gateway, is refused.
func TestTamperedSessionCookiesAreRefused(t *testing.T) {
	e := newCitizenEnv(t, citizenOption{})
	good := e.signedInCookie(t)
	signin, err := e.srv.sessions.signins.seal(session{ID: "x", Holder: zhangWei.holder, IssuedAt: e.clock.Now().Unix(), LastSeen: e.clock.Now().Unix()})
	if err != nil {
		t.Fatal(err)
	}
	other, err := newSealer([]byte("another gateway's session key..."), "session")
	if err != nil {
		t.Fatal(err)
	}
	foreign, _ := other.seal(session{ID: "x", Holder: company.holder, IssuedAt: e.clock.Now().Unix(), LastSeen: e.clock.Now().Unix()})
	flip := []byte(good)
	i := len(flip) / 2
	if flip[i] == 'A' {
		flip[i] = 'B'
	} else {
		flip[i] = 'A'
	}
	for name, v := range map[string]string{
		"one character changed": string(flip),
		"cut short":             good[:len(good)-4],
		"no version":            strings.TrimPrefix(good, sealVersion),
		"sign-in cookie":        signin,
		"another gateway's":     foreign,
		"garbage":               "v1.!!!",
	} {
		if _, r := e.holder(t, v); r.status != http.StatusUnauthorized || r.reason != string(credential.ReasonSessionExpired) {
			t.Errorf("%s: %d %s", name, r.status, r.body)
		} else if c, ok := setCookie(r.header, sessionCookieName); !ok || c.MaxAge >= 0 && !c.Expires.Before(time.Now()) {
			t.Errorf("%s: the refused cookie is not cleared: %v", name, r.header.Values("Set-Cookie"))
		}
	}
	if _, r := e.holder(t, ""); r.status != http.StatusUnauthorized || r.reason != string(credential.ReasonNotSignedIn) {
		t.Errorf("no cookie: %d %s", r.status, r.body)
	}
	if got, r := e.holder(t, good); r.status != http.StatusOK || got != zhangWei.holder {
		t.Errorf("the untouched cookie: %d %s", r.status, r.body)
	}
}

// TestSessionIdleAndAbsoluteExpiry moves the gateway's clock: a session
// unused for the idle timeout ends; one in use is resealed at most once a
// minute and keeps going, but never past its lifetime.
func TestSessionIdleAndAbsoluteExpiry(t *testing.T) {
	e := newCitizenEnv(t, citizenOption{})
	cookie := e.signedInCookie(t)

	e.clock.Advance(30 * time.Second)
	if _, r := e.holder(t, cookie); r.status != http.StatusOK || len(r.header.Values("Set-Cookie")) != 0 {
		t.Fatalf("within a minute: %d, Set-Cookie %v (no reseal wanted)", r.status, r.header.Values("Set-Cookie"))
	}
	// Used every 20 minutes, the session outlives the 30-minute idle timeout.
	for used := 0; used < 3; used++ {
		e.clock.Advance(20 * time.Minute)
		_, r := e.holder(t, cookie)
		c, resealed := setCookie(r.header, sessionCookieName)
		if r.status != http.StatusOK || !resealed {
			t.Fatalf("use %d: %d %s, resealed %v", used, r.status, r.body, resealed)
		}
		cookie = c.Value
	}
	// Left alone for the idle timeout, it ends.
	idle := cookie
	e.clock.Advance(DefaultSessionIdle)
	if _, r := e.holder(t, idle); r.status != http.StatusUnauthorized || r.reason != string(credential.ReasonSessionExpired) {
		t.Fatalf("after %s idle: %d %s", DefaultSessionIdle, r.status, r.body)
	}

	// A session used every 20 minutes still ends 12 hours after sign-in.
	// (A new gateway: the provider's ID tokens carry the real time.)
	e = newCitizenEnv(t, citizenOption{})
	cookie = e.signedInCookie(t)
	start := e.clock.Now()
	for e.clock.Now().Sub(start) < DefaultSessionLifetime-20*time.Minute {
		e.clock.Advance(20 * time.Minute)
		_, r := e.holder(t, cookie)
		if r.status != http.StatusOK {
			t.Fatalf("%s after sign-in: %d %s", e.clock.Now().Sub(start), r.status, r.body)
		}
		if c, ok := setCookie(r.header, sessionCookieName); ok {
			cookie = c.Value
		}
	}
	e.clock.Advance(20 * time.Minute)
	if _, r := e.holder(t, cookie); r.status != http.StatusUnauthorized || r.reason != string(credential.ReasonSessionExpired) {
		t.Fatalf("%s after sign-in: %d %s", e.clock.Now().Sub(start), r.status, r.body)
	}
}

// TestSignOutEndsTheSessionForGood: after sign-out, a copy of the cookie
// is refused, also by a gateway restarted on the same state folder; in
// memory, by the same gateway.
func TestSignOutEndsTheSessionForGood(t *testing.T) {
	e := newCitizenEnv(t, citizenOption{})
	cookie := e.signedInCookie(t)
	r := e.call(t, "POST", "/me/logout", cookie, "Origin", e.base)
	if r.status != http.StatusNoContent {
		t.Fatalf("sign-out: %d %s", r.status, r.body)
	}
	if c, ok := setCookie(r.header, sessionCookieName); !ok || c.Value != "" {
		t.Fatalf("sign-out does not clear the cookie: %v", r.header.Values("Set-Cookie"))
	}
	if _, r := e.holder(t, cookie); r.status != http.StatusUnauthorized || r.reason != string(credential.ReasonSessionExpired) {
		t.Fatalf("replayed after sign-out: %d %s", r.status, r.body)
	}
	other := e.signedInCookie(t)
	if _, r := e.holder(t, other); r.status != http.StatusOK {
		t.Fatalf("another session ended with the first: %d %s", r.status, r.body)
	}

	// Restarted on the same folder, the gateway still refuses the copy.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	again := newCitizenEnv(t, citizenOption{dir: e.dir, ledger: e.srv.ledger.(*embedded.Ledger), clock: e.clock})
	if _, r := again.holder(t, cookie); r.status != http.StatusUnauthorized || r.reason != string(credential.ReasonSessionExpired) {
		t.Fatalf("replayed after a restart: %d %s", r.status, r.body)
	}
	if got, r := again.holder(t, other); r.status != http.StatusOK || got != zhangWei.holder {
		t.Fatalf("a live session after a restart: %d %s", r.status, r.body)
	}

	mem := newCitizenEnv(t, citizenOption{noState: true})
	cookie = mem.signedInCookie(t)
	if r := mem.call(t, "POST", "/me/logout", cookie, "Origin", mem.base); r.status != http.StatusNoContent {
		t.Fatalf("sign-out in memory: %d %s", r.status, r.body)
	}
	if _, r := mem.holder(t, cookie); r.status != http.StatusUnauthorized {
		t.Fatalf("replayed after sign-out in memory: %d %s", r.status, r.body)
	}
}

// TestSignOutPageAsksFirst: GET /me/logout changes nothing; it shows a
// form that posts, from a page whose referrer policy keeps Origin.
func TestSignOutPageAsksFirst(t *testing.T) {
	e := newCitizenEnv(t, citizenOption{})
	cookie := e.signedInCookie(t)
	r := e.call(t, "GET", "/me/logout", cookie)
	body := string(r.body)
	if r.status != http.StatusOK || !strings.Contains(body, `method="post" action="/me/logout"`) || r.header.Get("Referrer-Policy") != "same-origin" ||
		!strings.Contains(body, `<meta name="referrer" content="same-origin">`) {
		t.Fatalf("sign-out page: %d %v\n%s", r.status, r.header, body)
	}
	if _, r := e.holder(t, cookie); r.status != http.StatusOK {
		t.Fatal("GET /me/logout ended the session")
	}
	// A browser's form post is sent back to /me, signed out.
	r = e.call(t, "POST", "/me/logout", cookie, "Origin", e.base, "Accept", "text/html")
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/me" {
		t.Fatalf("form sign-out: %d %v", r.status, r.header)
	}
}

// TestSignInAgainEndsTheEarlierSession: one browser, one holder; the
// session from before is over, and the new one has another ID.
func TestSignInAgainEndsTheEarlierSession(t *testing.T) {
	e := newCitizenEnv(t, citizenOption{})
	b := e.browser(t)
	e.signIn(t, b, zhangWei)
	first := e.sessionCookie(t, b)
	e.signIn(t, b, company)
	second := e.sessionCookie(t, b)
	if _, r := e.holder(t, first); r.status != http.StatusUnauthorized || r.reason != string(credential.ReasonSessionExpired) {
		t.Fatalf("the earlier session after a new sign-in: %d %s", r.status, r.body)
	}
	if got, r := e.holder(t, second); r.status != http.StatusOK || got != company.holder {
		t.Fatalf("the new session: %d %s", r.status, r.body)
	}
	var s1, s2 session
	if e.srv.sessions.cookies.open(first, &s1) != nil || e.srv.sessions.cookies.open(second, &s2) != nil || s1.ID == s2.ID {
		t.Fatal("the new session kept the old ID")
	}
}
