package gateway

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/gateway/atrest"
	"github.com/certledger/certledger/gateway/demoidp"
	"github.com/certledger/certledger/gateway/keystore"
	"github.com/certledger/certledger/gateway/ledger/embedded"
	"github.com/certledger/certledger/gateway/provision"
	"github.com/gofiber/fiber/v2"
)

// testClock is the gateway's clock in sign-in tests: it starts at the real
// time, because the demo provider stamps its ID tokens with the real time,
// and moves only when a test moves it.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

// signinKEK seals every sign-in test's data folder, so a restart on the
// same folder opens it again.
var signinKEK = atrest.Generate()

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// citizen is a demo provider account with its password in clear.
type citizen struct {
	username, password string
	holder             credential.Holder
}

var (
	zhangWei = citizen{"zhangwei", "correct horse 1", credential.Holder{Name: "张伟", IDType: credential.IDResidentCard, IDNumber: "350102199003071234"}}
	company  = citizen{"digital-future", "correct horse 2", credential.Holder{Name: "福州数字未来科技有限公司", IDType: credential.IDUSCC, IDNumber: "91350100M000100Y43"}}
	// A provider account whose ID number fails its check digit.
	badID = citizen{"bad-id", "correct horse 3", credential.Holder{Name: "错号", IDType: credential.IDResidentCard, IDNumber: "350102199003071235"}}
)

// citizenEnv is a gateway on a real embedded ledger with the demo
// departments, serving the demo identity provider under /demo-idp on a
// real listener, as `serve --demo` does.
type citizenEnv struct {
	srv   *Server
	base  string // the gateway's public URL, which is also where it listens
	idp   *demoidp.Provider
	clock *testClock
	keys  map[string]provision.DemoKey
	dir   string
}

type citizenOption struct {
	inProcess bool                            // the gateway reaches the provider in-process
	noState   bool                            // no state folder: ended sessions in memory
	wrap      func(http.Handler) http.Handler // put something in front of the provider
	config    func(*Config)                   // change the gateway's configuration
	dir       string                          // reuse this data folder (a restart)
	clock     *testClock                      // share a clock across a restart
	ledger    *embedded.Ledger                // reuse an open ledger (a restart)
	routes    func(*Server)                   // add test routes before the gateway serves
}

func newCitizenEnv(t *testing.T, o citizenOption) *citizenEnv {
	t.Helper()
	dir := o.dir
	l := o.ledger
	if dir == "" {
		dir = t.TempDir()
	}
	if l == nil {
		var err error
		if l, err = embedded.Open(dir, signinKEK, embedded.WithNoSync()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
	}
	ks, err := keystore.Open(dir, signinKEK)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := provision.Demo(context.Background(), l, ks, dir, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	keys, err := provision.ReadDemoKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	var accounts []demoidp.Account
	for _, c := range []citizen{zhangWei, company, badID} {
		h, err := demoidp.HashPassword(c.password)
		if err != nil {
			t.Fatal(err)
		}
		accounts = append(accounts, demoidp.Account{Username: c.username, PasswordHash: h, Name: c.holder.Name, IDType: c.holder.IDType, IDNumber: c.holder.IDNumber})
	}
	for _, m := range testStaff {
		h, err := demoidp.HashPassword(m.password)
		if err != nil {
			t.Fatal(err)
		}
		accounts = append(accounts, demoidp.Account{Username: m.username, PasswordHash: h, Dept: m.dept, Roles: m.roles})
	}
	const clientID, secret = "certledger-gateway", "a-test-client-secret-of-32-bytes"
	idp, err := demoidp.New(demoidp.Config{Issuer: base + "/demo-idp", ClientID: clientID, ClientSecret: secret,
		RedirectURIs: []string{base + "/me/callback"}, Accounts: accounts, PasswordsFile: "demo-keys.json"})
	if err != nil {
		t.Fatal(err)
	}
	var provider http.Handler = idp
	if o.wrap != nil {
		provider = o.wrap(idp)
	}
	clock := o.clock
	if clock == nil {
		clock = &testClock{t: time.Now().UTC()}
	}
	cfg := Config{PublicURL: base, Now: clock.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		OIDC: OIDCConfig{Issuer: idp.Issuer(), ClientID: clientID, ClientSecret: secret,
			ClaimIDType: demoidp.ClaimIDType, ClaimIDNumber: demoidp.ClaimIDNumber, ClaimName: demoidp.ClaimName},
		Handlers: map[string]http.Handler{idp.PathPrefix(): provider}, StateDir: dir}
	if o.inProcess {
		cfg.OIDC.HTTPClient = idp.Client()
	}
	if o.noState {
		cfg.StateDir = ""
	}
	if o.config != nil {
		o.config(&cfg)
	}
	srv, err := New(cfg, l, ks)
	if err != nil {
		t.Fatal(err)
	}
	// What the wallet endpoints will call, exposed for the tests.
	srv.app.Get("/test/holder", func(c *fiber.Ctx) error {
		h, err := srv.signedInHolder(c)
		if err != nil {
			return err
		}
		return c.JSON(h)
	})
	if o.routes != nil {
		o.routes(srv)
	}
	go srv.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return &citizenEnv{srv: srv, base: base, idp: idp, clock: clock, keys: keys, dir: dir}
}

// browser is a client with a cookie jar that follows redirects, as a
// browser does (without the Origin header, which tests set themselves).
func (e *citizenEnv) browser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 30 * time.Second}
}

var authRequestField = regexp.MustCompile(`name="authRequestID" value="([^"]+)"`)

// startSignIn opens /me/login (with next when given) and returns the
// provider's login page and its authorization request ID.
func (e *citizenEnv) startSignIn(t *testing.T, b *http.Client, next string) (page string, requestID string) {
	t.Helper()
	u := e.base + "/me/login"
	if next != "" {
		u += "?next=" + url.QueryEscape(next)
	}
	resp, err := b.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Request.URL.Path, "/demo-idp/login") {
		t.Fatalf("sign-in start ended at %s with %d:\n%s", resp.Request.URL, resp.StatusCode, body)
	}
	m := authRequestField.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no login form:\n%s", body)
	}
	return body, m[1]
}

// postLogin posts the provider's login form and follows the redirects:
// back to the gateway's callback and on to where the sign-in returns.
func (e *citizenEnv) postLogin(t *testing.T, b *http.Client, requestID, username, password string) (*http.Response, string) {
	t.Helper()
	form := url.Values{"authRequestID": {requestID}, "username": {username}, "password": {password}}
	req, err := http.NewRequest("POST", e.base+"/demo-idp/login", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", e.base) // as a browser sends with a form post
	resp, err := b.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp, readBody(t, resp)
}

// signIn runs the whole sign-in in browser b and fails unless it ends on
// /me signed in.
func (e *citizenEnv) signIn(t *testing.T, b *http.Client, c citizen) {
	t.Helper()
	_, id := e.startSignIn(t, b, "")
	resp, body := e.postLogin(t, b, id, c.username, c.password)
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/me" || !strings.Contains(body, `data-signed-in="true"`) {
		t.Fatalf("sign-in of %s ended at %s with %d:\n%s", c.username, resp.Request.URL, resp.StatusCode, body)
	}
}

// sessionCookie is the session cookie's value in browser b.
func (e *citizenEnv) sessionCookie(t *testing.T, b *http.Client) string {
	t.Helper()
	u, _ := url.Parse(e.base + "/")
	for _, c := range b.Jar.Cookies(u) {
		if c.Name == e.srv.sessions.name {
			return c.Value
		}
	}
	return ""
}

// holder asks the test route for the session's holder with the session
// cookie value given (empty: none).
func (e *citizenEnv) holder(t *testing.T, cookie string) (credential.Holder, apiAnswer) {
	t.Helper()
	r := e.call(t, "GET", "/test/holder", cookie)
	var h credential.Holder
	if r.status == http.StatusOK {
		if err := json.Unmarshal(r.body, &h); err != nil {
			t.Fatal(err)
		}
	}
	return h, r
}

// apiAnswer is an answer read in full.
type apiAnswer struct {
	status int
	header http.Header
	body   []byte
	reason string
}

// call sends a request through the app with a session cookie value and
// header pairs, at the test clock's time.
func (e *citizenEnv) call(t *testing.T, method, path, cookie string, headers ...string) apiAnswer {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: e.srv.sessions.name, Value: cookie})
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return e.do(t, req)
}

// do sends req through the app and reads the answer, with the reason of
// a problem+json body.
func (e *citizenEnv) do(t *testing.T, req *http.Request) apiAnswer {
	t.Helper()
	resp, err := e.srv.App().Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	a := apiAnswer{status: resp.StatusCode, header: resp.Header, body: []byte(readBody(t, resp))}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), ProblemContentType) {
		var p Problem
		if err := json.Unmarshal(a.body, &p); err != nil {
			t.Fatal(err)
		}
		a.reason = p.Reason
	}
	return a
}

// setCookie returns the Set-Cookie of name in an answer.
func setCookie(h http.Header, name string) (*http.Cookie, bool) {
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == name {
			return c, true
		}
	}
	return nil, false
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
