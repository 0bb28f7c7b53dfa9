// Package demoidp is the demonstration identity provider of `certledger
// serve --demo`: a real OpenID provider (zitadel/oidc's op package) with
// the authorization code flow, PKCE and RS256 ID tokens, whose accounts are
// the demo citizens and the demo company. Everything it knows lives in
// memory: the accounts with Argon2id password hashes, the gateway as its
// one client, sign-ins under way, and an RSA key generated at start. Its
// pages say on every view that it is a demonstration.
package demoidp

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/op"
)

// The claims the provider puts the holder in, with scope profile: the
// standard name, and the ID type (resident_id, uscc, ...) and number.
const (
	ClaimName     = "name"
	ClaimIDType   = "id_type"
	ClaimIDNumber = "id_number"
	// A member of a department's staff: the department's registry ID and
	// the staff roles, with scope profile too.
	ClaimDept  = "dept"
	ClaimRoles = "certledger_roles"
)

// subjectPrefix makes the subject of an account, which is not its ID number.
const subjectPrefix = "demo:"

// Account is one person or company that can sign in.
type Account struct {
	Username string
	// PasswordHash is from HashPassword; no password is kept in clear.
	PasswordHash string
	Name         string
	IDType       string
	IDNumber     string
	// Dept and Roles make the account a member of that department's
	// staff; such an account names no holder.
	Dept  string
	Roles []string
}

// Config configures a Provider.
type Config struct {
	// Issuer is the URL the provider is served at, its path included
	// ("http://127.0.0.1:8080/demo-idp"): discovery, tokens and pages all
	// name it, so it must be what a browser reaches.
	Issuer string
	// The relying party: the gateway, with its client secret and the
	// redirect URIs it may use.
	ClientID, ClientSecret string
	RedirectURIs           []string
	Accounts               []Account
	// PasswordsFile names where the demo passwords are written; the login
	// page points there.
	PasswordsFile string
	// Now is the clock of sign-ins under way (default time.Now).
	Now func() time.Time
}

// Provider serves the demo OpenID provider under its issuer's path.
type Provider struct {
	issuer   string
	prefix   string // the issuer URL's path, stripped before routing
	op       *op.Provider
	store    *storage
	handler  http.Handler
	page     *pageRenderer
	checks   chan struct{} // password checks at once: each takes 19 MiB
	dummy    string        // a hash checked for unknown usernames, so timing tells nothing
	passFile string
}

// New builds a provider. Each one has a fresh signing key, so tokens of an
// earlier run never verify.
func New(cfg Config) (*Provider, error) {
	u, err := url.Parse(cfg.Issuer)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("demoidp: issuer %q must be an http(s) URL without query or fragment", cfg.Issuer)
	}
	if cfg.ClientID == "" || len(cfg.ClientSecret) < 16 || len(cfg.RedirectURIs) == 0 {
		return nil, errors.New("demoidp: a client ID, a client secret of at least 16 characters and a redirect URI are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	issuer := strings.TrimRight(cfg.Issuer, "/")
	p := &Provider{issuer: issuer, prefix: strings.TrimRight(u.Path, "/"), checks: make(chan struct{}, 2), passFile: cfg.PasswordsFile}
	for _, a := range cfg.Accounts {
		if a.Username == "" || strings.ContainsAny(a.Username, " \t\r\n") {
			return nil, fmt.Errorf("demoidp: account username %q is empty or has spaces", a.Username)
		}
		if _, err := parseHash(a.PasswordHash); err != nil {
			return nil, fmt.Errorf("demoidp: account %s: %w", a.Username, err)
		}
	}
	c := &client{id: cfg.ClientID, redirectURIs: cfg.RedirectURIs,
		loginURL: func(id string) string { return issuer + "/login?authRequestID=" + url.QueryEscape(id) }}
	if p.store, err = newStorage(c, cfg.ClientSecret, cfg.Accounts, cfg.Now); err != nil {
		return nil, err
	}
	if p.dummy, err = HashPassword(randomID()); err != nil {
		return nil, err
	}
	var cryptoKey [32]byte // encrypts codes and access tokens
	if _, err := rand.Read(cryptoKey[:]); err != nil {
		return nil, err
	}
	// No CORS: only the gateway's server calls the token and key
	// endpoints; no script in a browser needs them.
	opts := []op.Option{op.WithCORSOptions(nil)}
	if u.Scheme == "http" {
		opts = append(opts, op.WithAllowInsecure())
	}
	p.op, err = op.NewProvider(&op.Config{CryptoKey: cryptoKey, CodeMethodS256: true}, p.store, op.StaticIssuer(issuer), opts...)
	if err != nil {
		return nil, fmt.Errorf("demoidp: %w", err)
	}
	if p.page, err = newPageRenderer(p.prefix, cfg.RedirectURIs); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", p.loginPage)
	mux.HandleFunc("POST /login", p.login)
	mux.HandleFunc("GET /style.css", p.page.style)
	mux.HandleFunc("GET /{$}", p.home)
	mux.Handle("/", p.op)
	p.handler = mux
	if p.prefix != "" {
		p.handler = http.StripPrefix(p.prefix, mux)
	}
	return p, nil
}

// ServeHTTP serves requests whose path starts with the issuer's path.
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) { p.handler.ServeHTTP(w, r) }

// Issuer returns the issuer URL.
func (p *Provider) Issuer() string { return p.issuer }

// PathPrefix returns the issuer URL's path, under which the provider is
// mounted ("/demo-idp").
func (p *Provider) PathPrefix() string { return p.prefix }

// callbackURL is where a completed login sends the browser: the library's
// authorize callback, which answers the relying party with a code.
func (p *Provider) callbackURL(requestID string) string {
	return p.op.AuthorizationEndpoint().Absolute(p.issuer) + "/callback?id=" + url.QueryEscape(requestID)
}

func cutSubject(subject string) (username string, ok bool) {
	return strings.CutPrefix(subject, subjectPrefix)
}
