package demoidp_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/certledger/certledger/gateway/demoidp"
	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

const (
	clientID    = "certledger-gateway"
	secret      = "a-test-client-secret-of-32-bytes"
	redirectURI = "http://rp.example.test/me/callback"
)

type env struct {
	srv   *httptest.Server
	idp   *demoidp.Provider
	oauth *oauth2.Config
}

func newEnv(t *testing.T) *env {
	t.Helper()
	hash, err := demoidp.HashPassword("s3cret-pass")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	idp, err := demoidp.New(demoidp.Config{Issuer: srv.URL + "/demo-idp", ClientID: clientID, ClientSecret: secret,
		RedirectURIs: []string{redirectURI}, PasswordsFile: "certledger-data/demo-keys.json",
		Accounts: []demoidp.Account{{Username: "zhangwei", PasswordHash: hash, Name: "张伟", IDType: "resident_id", IDNumber: "350102199003071234"}}})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/demo-idp/", idp)
	ctx := oidc.ClientContext(context.Background(), srv.Client())
	p, err := oidc.NewProvider(ctx, idp.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	return &env{srv: srv, idp: idp, oauth: &oauth2.Config{ClientID: clientID, ClientSecret: secret, Endpoint: p.Endpoint(),
		RedirectURL: redirectURI, Scopes: []string{oidc.ScopeOpenID, "profile"}}}
}

var requestIDField = regexp.MustCompile(`name="authRequestID" value="([^"]+)"`)

// authorize opens an authorization URL and logs in, and returns where the
// provider sends the browser back to the relying party.
func (e *env) authorize(t *testing.T, authURL, password string) (*url.URL, string) {
	t.Helper()
	c := &http.Client{CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if req.URL.Host != e.srv.Listener.Addr().String() {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	resp, err := c.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	page := read(t, resp)
	if resp.StatusCode == http.StatusFound {
		u, _ := url.Parse(resp.Header.Get("Location"))
		return u, page
	}
	m := requestIDField.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no login form (%d at %s):\n%s", resp.StatusCode, resp.Request.URL, page)
	}
	resp, err = c.PostForm(e.srv.URL+"/demo-idp/login", url.Values{"authRequestID": {m[1]}, "username": {"zhangwei"}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	page = read(t, resp)
	if resp.StatusCode != http.StatusFound {
		return nil, page
	}
	u, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return u, page
}

func read(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestCodeFlowWithPKCE: the ID token names the holder, and a code works
// once, for the client that holds the verifier and the secret.
func TestCodeFlowWithPKCE(t *testing.T) {
	e := newEnv(t)
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, e.srv.Client())
	verifier := oauth2.GenerateVerifier()
	back, page := e.authorize(t, e.oauth.AuthCodeURL("st", oidc.Nonce("n1"), oauth2.S256ChallengeOption(verifier)), "s3cret-pass")
	if back == nil || back.Query().Get("state") != "st" || back.Query().Get("code") == "" {
		t.Fatalf("no code: %v\n%s", back, page)
	}
	code := back.Query().Get("code")
	if _, err := e.oauth.Exchange(ctx, code, oauth2.VerifierOption(oauth2.GenerateVerifier())); !refused(err) {
		t.Fatalf("exchange with another verifier: %v", err)
	}
	// The failed exchange spent the code.
	if _, err := e.oauth.Exchange(ctx, code, oauth2.VerifierOption(verifier)); !refused(err) {
		t.Fatalf("a code after a failed exchange: %v", err)
	}

	back, _ = e.authorize(t, e.oauth.AuthCodeURL("st", oidc.Nonce("n2"), oauth2.S256ChallengeOption(verifier)), "s3cret-pass")
	wrongSecret := *e.oauth
	wrongSecret.ClientSecret = "not-the-secret"
	if _, err := wrongSecret.Exchange(ctx, back.Query().Get("code"), oauth2.VerifierOption(verifier)); !refused(err) {
		t.Fatalf("exchange with a wrong secret: %v", err)
	}

	back, _ = e.authorize(t, e.oauth.AuthCodeURL("st", oidc.Nonce("n3"), oauth2.S256ChallengeOption(verifier)), "s3cret-pass")
	code = back.Query().Get("code")
	tok, err := e.oauth.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	p, err := oidc.NewProvider(oidc.ClientContext(context.Background(), e.srv.Client()), e.idp.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: clientID}).Verify(ctx, tok.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if idt.Nonce != "n3" || claims[demoidp.ClaimName] != "张伟" || claims[demoidp.ClaimIDType] != "resident_id" ||
		claims[demoidp.ClaimIDNumber] != "350102199003071234" || idt.Subject == "350102199003071234" {
		t.Fatalf("ID token: nonce %q, subject %q, claims %v", idt.Nonce, idt.Subject, claims)
	}
	if _, err := e.oauth.Exchange(ctx, code, oauth2.VerifierOption(verifier)); !refused(err) {
		t.Fatalf("a code used twice: %v", err)
	}
}

func refused(err error) bool {
	var re *oauth2.RetrieveError
	return errors.As(err, &re) && re.Response.StatusCode >= 400 && re.Response.StatusCode < 500
}

// TestAuthorizationRequiresPKCEAndNonce: without an S256 challenge or a
// nonce the provider answers the client with an error, before any login.
func TestAuthorizationRequiresPKCEAndNonce(t *testing.T) {
	e := newEnv(t)
	for name, opts := range map[string][]oauth2.AuthCodeOption{
		"no PKCE":    {oidc.Nonce("n")},
		"plain PKCE": {oidc.Nonce("n"), oauth2.SetAuthURLParam("code_challenge", "abc"), oauth2.SetAuthURLParam("code_challenge_method", "plain")},
		"no nonce":   {oauth2.S256ChallengeOption(oauth2.GenerateVerifier())},
	} {
		back, page := e.authorize(t, e.oauth.AuthCodeURL("st", opts...), "s3cret-pass")
		if back == nil || back.Query().Get("error") == "" || back.Query().Get("code") != "" {
			t.Errorf("%s: %v\n%s", name, back, page)
		}
	}
}

// TestWrongPasswordStaysOnTheForm.
func TestWrongPasswordStaysOnTheForm(t *testing.T) {
	e := newEnv(t)
	back, page := e.authorize(t, e.oauth.AuthCodeURL("st", oidc.Nonce("n"), oauth2.S256ChallengeOption(oauth2.GenerateVerifier())), "wrong")
	if back != nil || !requestIDField.MatchString(page) || !strings.Contains(page, `role="alert"`) {
		t.Fatalf("wrong password: %v\n%s", back, page)
	}
}

// TestPagesSayItIsADemo in both languages, with the headers of a page.
func TestPagesSayItIsADemo(t *testing.T) {
	e := newEnv(t)
	for lang, words := range map[string]string{"zh": "演示系统", "en": "Demonstration"} {
		resp, err := e.srv.Client().Get(e.srv.URL + "/demo-idp/?lang=" + lang)
		if err != nil {
			t.Fatal(err)
		}
		page := read(t, resp)
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, words) {
			t.Errorf("%s: %d\n%s", lang, resp.StatusCode, page)
		}
		if resp.Header.Get("Referrer-Policy") != "same-origin" || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "form-action 'self' http://rp.example.test") ||
			resp.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: headers %v", lang, resp.Header)
		}
	}
}

// TestInProcessClient reaches the provider without the network, and
// nothing else.
func TestInProcessClient(t *testing.T) {
	e := newEnv(t)
	c := e.idp.Client()
	resp, err := c.Get(e.idp.Issuer() + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Issuer  string   `json:"issuer"`
		Methods []string `json:"code_challenge_methods_supported"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || doc.Issuer != e.idp.Issuer() || len(doc.Methods) == 0 {
		t.Fatalf("discovery in-process: %v %+v", err, doc)
	}
	resp.Body.Close()
	if _, err := c.Get("http://example.com/"); err == nil {
		t.Fatal("the in-process client reached another host")
	}
}

func TestPasswordHash(t *testing.T) {
	h, err := demoidp.HashPassword("pässwörd")
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := demoidp.HashPassword("pässwörd")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") || h == h2 || strings.Contains(h, "pässwörd") {
		t.Fatalf("hash %q (again %q)", h, h2)
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdA$a2V5", "$argon2id$v=19$m=99999999,t=2,p=1$c2FsdHNhbHQ$" + strings.Repeat("A", 43)} {
		if _, err := demoidp.New(demoidp.Config{Issuer: "http://127.0.0.1/demo-idp", ClientID: clientID, ClientSecret: secret,
			RedirectURIs: []string{redirectURI}, Accounts: []demoidp.Account{{Username: "u", PasswordHash: bad}}}); err == nil {
			t.Errorf("an account with hash %q was accepted", bad)
		}
	}
}
