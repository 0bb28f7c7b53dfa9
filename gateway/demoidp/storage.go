package demoidp

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"slices"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// Lifetimes and bounds of what the provider keeps in memory.
const (
	authRequestTTL  = 10 * time.Minute // from /authorize to the code exchange
	codeTTL         = 2 * time.Minute  // from the login to the code exchange
	accessTokenTTL  = 5 * time.Minute
	maxAuthRequests = 10_000 // pending at once; more are refused until some expire
	maxAccessTokens = 10_000
)

var errNotFound = errors.New("demoidp: not found")

// storage is the provider's state, all in memory: the one client, the
// accounts, the authorization requests under way, their codes, the access
// tokens, and the RSA key generated at start. A restart forgets sign-ins
// under way, which the gateway then refuses and the citizen starts again.
type storage struct {
	client   *client
	secret   string
	accounts map[string]Account // by username
	key      *rsa.PrivateKey
	keyID    string
	now      func() time.Time

	mu       sync.Mutex
	requests map[string]*authRequest
	codes    map[string]codeEntry
	tokens   map[string]accessToken
}

type codeEntry struct {
	requestID string
	issued    time.Time
}

type accessToken struct {
	subject string
	expires time.Time
}

func newStorage(c *client, secret string, accounts []Account, now func() time.Time) (*storage, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	s := &storage{client: c, secret: secret, accounts: map[string]Account{}, key: key, keyID: randomID(), now: now,
		requests: map[string]*authRequest{}, codes: map[string]codeEntry{}, tokens: map[string]accessToken{}}
	for _, a := range accounts {
		s.accounts[a.Username] = a
	}
	return s, nil
}

func randomID() string {
	var b [18]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("demoidp: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// pruneLocked drops what has outlived its use. Callers hold s.mu.
func (s *storage) pruneLocked(now time.Time) {
	for id, r := range s.requests {
		if now.Sub(r.created) > authRequestTTL {
			delete(s.requests, id)
		}
	}
	for c, e := range s.codes {
		if now.Sub(e.issued) > codeTTL {
			delete(s.codes, c)
		}
	}
	for id, t := range s.tokens {
		if now.After(t.expires) {
			delete(s.tokens, id)
		}
	}
}

// CreateAuthRequest keeps a validated authorization request. The demo
// provider insists on what the gateway always sends: PKCE with S256 and a
// nonce.
func (s *storage) CreateAuthRequest(_ context.Context, req *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	if req.CodeChallenge == "" || req.CodeChallengeMethod != oidc.CodeChallengeMethodS256 {
		return nil, oidc.ErrInvalidRequest().WithDescription("this provider requires PKCE with code_challenge_method S256")
	}
	if req.Nonce == "" {
		return nil, oidc.ErrInvalidRequest().WithDescription("this provider requires a nonce")
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pruneLocked(now)
	if len(s.requests) >= maxAuthRequests {
		return nil, oidc.ErrServerError().WithDescription("too many sign-ins under way; try again in a few minutes")
	}
	r := &authRequest{id: randomID(), created: now, req: *req}
	s.requests[r.id] = r
	c := *r
	return &c, nil
}

func (s *storage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.requests[id]
	if !ok || s.now().Sub(r.created) > authRequestTTL {
		return nil, errNotFound
	}
	c := *r
	return &c, nil
}

// AuthRequestByCode redeems a code: the first lookup consumes it, so a
// code works once even when its exchange fails.
func (s *storage) AuthRequestByCode(_ context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.codes[code]
	delete(s.codes, code)
	if !ok || s.now().Sub(e.issued) > codeTTL {
		return nil, errNotFound
	}
	r, ok := s.requests[e.requestID]
	if !ok || !r.done {
		return nil, errNotFound
	}
	c := *r
	return &c, nil
}

func (s *storage) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.requests[id]; !ok {
		return errNotFound
	}
	s.codes[code] = codeEntry{requestID: id, issued: s.now()}
	return nil
}

func (s *storage) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.requests, id)
	for c, e := range s.codes {
		if e.requestID == id {
			delete(s.codes, c)
		}
	}
	return nil
}

// completeLogin marks a pending request as authenticated for subject.
func (s *storage) completeLogin(id, subject string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.requests[id]
	if !ok || r.done || s.now().Sub(r.created) > authRequestTTL {
		return errNotFound
	}
	r.subject, r.authTime, r.done = subject, s.now(), true
	return nil
}

// pendingRequest reports whether id is a request still waiting for a login.
func (s *storage) pendingRequest(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.requests[id]
	return ok && !r.done && s.now().Sub(r.created) <= authRequestTTL
}

func (s *storage) CreateAccessToken(_ context.Context, req op.TokenRequest) (string, time.Time, error) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pruneLocked(now)
	if len(s.tokens) >= maxAccessTokens {
		return "", time.Time{}, oidc.ErrServerError()
	}
	id, exp := randomID(), now.Add(accessTokenTTL)
	s.tokens[id] = accessToken{subject: req.GetSubject(), expires: exp}
	return id, exp, nil
}

func (s *storage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, oidc.ErrUnsupportedGrantType().WithDescription("this provider issues no refresh tokens")
}

func (s *storage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, op.ErrInvalidRefreshToken
}

func (s *storage) TerminateSession(context.Context, string, string) error { return nil }

func (s *storage) RevokeToken(_ context.Context, tokenOrID, _, _ string) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tokens, tokenOrID)
	return nil
}

func (s *storage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

func (s *storage) SigningKey(context.Context) (op.SigningKey, error) {
	return signingKey{id: s.keyID, key: s.key}, nil
}

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *storage) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{publicKey{id: s.keyID, key: &s.key.PublicKey}}, nil
}

func (s *storage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	if id != s.client.id {
		return nil, errNotFound
	}
	return s.client, nil
}

func (s *storage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	ok := subtle.ConstantTimeCompare([]byte(id), []byte(s.client.id)) & subtle.ConstantTimeCompare([]byte(secret), []byte(s.secret))
	if ok != 1 {
		return errors.New("demoidp: wrong client credentials")
	}
	return nil
}

// SetUserinfoFromScopes is deprecated in the library; the claims are set
// by SetUserinfoFromRequest.
func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest puts the holder into the ID token: the standard
// name, and the ID type and number in claims of their own.
func (s *storage) SetUserinfoFromRequest(_ context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	return s.setUserinfo(info, req.GetSubject(), scopes)
}

func (s *storage) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	s.mu.Lock()
	t, ok := s.tokens[tokenID]
	s.mu.Unlock()
	if !ok || t.subject != subject || s.now().After(t.expires) {
		return errNotFound
	}
	return s.setUserinfo(info, subject, []string{oidc.ScopeOpenID, oidc.ScopeProfile})
}

func (s *storage) setUserinfo(info *oidc.UserInfo, subject string, scopes []string) error {
	a, ok := s.accountBySubject(subject)
	if !ok {
		return errNotFound
	}
	info.Subject = subject
	if slices.Contains(scopes, oidc.ScopeProfile) {
		info.Name = a.Name
		if a.IDType != "" {
			info.AppendClaims(ClaimIDType, a.IDType)
			info.AppendClaims(ClaimIDNumber, a.IDNumber)
		}
		if a.Dept != "" {
			info.AppendClaims(ClaimDept, a.Dept)
			info.AppendClaims(ClaimRoles, a.Roles)
		}
	}
	return nil
}

func (s *storage) accountBySubject(subject string) (Account, bool) {
	username, ok := cutSubject(subject)
	if !ok {
		return Account{}, false
	}
	a, ok := s.accounts[username]
	return a, ok
}

func (s *storage) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return errors.New("demoidp: introspection is not offered")
}

func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("demoidp: JWT client authentication is not offered")
}

func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("demoidp: the JWT profile grant is not offered")
}

func (s *storage) Health(context.Context) error { return nil }

// signingKey is the provider's RSA key as the library signs with it.
type signingKey struct {
	id  string
	key *rsa.PrivateKey
}

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k signingKey) Key() any                                    { return k.key }
func (k signingKey) ID() string                                  { return k.id }

// publicKey is its public half as the JWKS lists it.
type publicKey struct {
	id  string
	key *rsa.PublicKey
}

func (k publicKey) ID() string                         { return k.id }
func (k publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return k.key }
