package gateway

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/gofiber/fiber/v2"
	"golang.org/x/oauth2"
)

// signinState is what the sign-in cookie holds while the browser is at the
// identity provider: the values the answer must match, and where to go
// afterwards.
type signinState struct {
	State    string `json:"state"`
	Nonce    string `json:"nonce"`
	Verifier string `json:"pkce"` // PKCE code verifier; the provider saw only its S256 hash
	Next     string `json:"next"`
	Expires  int64  `json:"exp"` // Unix seconds
	// Staff marks a sign-in to the console, whose answer makes a staff
	// session instead of a citizen's.
	Staff bool `json:"staff,omitempty"`
}

// signinTimeout is how long a started sign-in may take at the provider.
const signinTimeout = 10 * time.Minute

// defaultNext is where a sign-in returns to without a next parameter.
const defaultNext = "/me"

var kindSignInOff = problemKind{http.StatusNotFound, "sign-in-not-configured", "Citizen sign-in is not configured", "sign_in_not_configured"}

// signInRoutes registers the citizen sign-in: start, the provider's
// answer, and sign-out (POST only; GET asks to confirm, so a link or an
// image elsewhere cannot sign anyone out).
func (s *Server) signInRoutes() {
	s.app.Get("/me/login", s.handleSignIn)
	s.app.Get("/me/callback", s.handleSignInCallback)
	s.app.Post("/me/logout", s.handleSignOut)
	s.app.Get("/me/logout", s.handleSignOutPage)
	s.app.Get("/me", s.handleMePage)
	s.app.Get("/me/credentials/:id", s.handleMyCredentialPage)
	s.app.Get("/me/activity", s.handleMyActivityPage)
	s.app.Get("/me/credentials/:id/share", s.handleShareFormPage)
	s.app.Post("/me/credentials/:id/share", s.handleShareFormPost)
	s.app.Get("/me/shares", s.handleMySharesPage)
	s.app.Get("/me/shares/:id", s.handleMySharePage)
	s.app.Post("/me/shares/:id/withdraw", s.handleWithdrawSharePage)
	s.app.Get("/me/requests", s.handleMyRequestsPage)
	s.app.Get("/me/requests/:id", s.handleMyRequestPage)
	s.app.Post("/me/requests/:id/approve", s.handleDecideRequestPage(credential.DecisionApprove))
	s.app.Post("/me/requests/:id/refuse", s.handleDecideRequestPage(credential.DecisionRefuse))
	s.app.Post("/me/requests/:id/withdraw", s.handleDecideRequestPage(credential.DecisionWithdraw))
}

// handleSignIn starts the authorization code flow with PKCE (S256), a
// fresh state and nonce, kept sealed in a cookie only the callback sees.
func (s *Server) handleSignIn(c *fiber.Ctx) error {
	return s.startSignIn(c, false, safeNext(c.Query("next")))
}

// startSignIn sends the browser to the provider, for a citizen's session
// or, with staff, for a staff session; next is where it returns to.
func (s *Server) startSignIn(c *fiber.Ctx, staff bool, next string) error {
	if s.rp == nil {
		return s.citizenError(c, newAPIError(kindSignInOff, "citizen sign-in is not configured on this gateway; its operator sets --oidc-issuer (docs/operations.md)"))
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	oc, _, err := s.rp.endpoints(ctx)
	if err != nil {
		s.logError(c, "citizen sign-in: identity provider unavailable", err)
		return s.citizenError(c, newAPIError(kindUnavailable, "the identity provider cannot be reached; try again later"))
	}
	st := signinState{State: randomText(), Nonce: randomText(), Verifier: oauth2.GenerateVerifier(),
		Next: next, Expires: s.now().Add(signinTimeout).Unix(), Staff: staff}
	sealed, err := s.sessions.signins.seal(st)
	if err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{Name: s.sessions.signinName, Value: sealed, Path: s.sessions.signinPath, MaxAge: int(signinTimeout / time.Second),
		Secure: s.sessions.secure, HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode})
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Redirect(oc.AuthCodeURL(st.State, oidc.Nonce(st.Nonce), oauth2.S256ChallengeOption(st.Verifier)), fiber.StatusFound)
}

// handleSignInCallback takes the provider's answer: the state must be the
// one this browser's sign-in cookie holds, the code is exchanged with the
// PKCE verifier, the ID token must verify against the provider's keys
// (issuer, audience, expiry) and carry the nonce, and its claims must name
// a valid holder. Only then does a session start.
func (s *Server) handleSignInCallback(c *fiber.Ctx) error {
	if s.rp == nil {
		return s.citizenError(c, newAPIError(kindSignInOff, "citizen sign-in is not configured on this gateway"))
	}
	raw := c.Cookies(s.sessions.signinName)
	s.clearCookie(c, s.sessions.signinName, s.sessions.signinPath) // one answer per sign-in
	c.Set(fiber.HeaderCacheControl, "no-store")
	var st signinState
	if raw == "" || s.sessions.signins.open(raw, &st) != nil || s.now().Unix() > st.Expires {
		return s.signInFailed(c, "no sign-in cookie, or an expired one", "this sign-in was not started in this browser, or took longer than %s; start again", signinTimeout)
	}
	if e := c.Query("error"); e != "" {
		return s.signInFailed(c, "the provider answered an error", "the identity provider ended the sign-in (%s); start again", truncate(e, 64))
	}
	if subtle.ConstantTimeCompare([]byte(c.Query("state")), []byte(st.State)) != 1 {
		return s.signInFailed(c, "state mismatch", "this answer belongs to another sign-in than the one started in this browser; start again")
	}
	code := c.Query("code")
	if code == "" {
		return s.signInFailed(c, "no code", "the identity provider's answer has no code; start again")
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	oc, verifier, err := s.rp.endpoints(ctx)
	if err != nil {
		s.logError(c, "citizen sign-in: identity provider unavailable", err)
		return s.citizenError(c, newAPIError(kindUnavailable, "the identity provider cannot be reached; try again later"))
	}
	ctx = s.rp.clientContext(ctx)
	tok, err := oc.Exchange(ctx, code, oauth2.VerifierOption(st.Verifier))
	if err != nil {
		var refused *oauth2.RetrieveError
		if !errors.As(err, &refused) {
			s.logError(c, "citizen sign-in: code exchange failed", err)
			return s.citizenError(c, newAPIError(kindUnavailable, "the identity provider cannot be reached; try again later"))
		}
		return s.signInFailed(c, "code exchange refused: "+err.Error(), "the identity provider did not accept the sign-in code; start again")
	}
	rawID, _ := tok.Extra("id_token").(string)
	if rawID == "" {
		return s.signInFailed(c, "no ID token", "the identity provider sent no ID token")
	}
	idt, err := verifier.Verify(ctx, rawID)
	if err != nil {
		return s.signInFailed(c, "ID token does not verify: "+err.Error(), "the identity provider's ID token does not verify; start again")
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(st.Nonce)) != 1 {
		return s.signInFailed(c, "nonce mismatch", "the ID token was not issued for this sign-in; start again")
	}
	if st.Staff {
		var claims map[string]any
		if err := idt.Claims(&claims); err != nil {
			return s.citizenError(c, credential.Errorf(credential.ReasonStaffClaims, "the ID token's claims are not a JSON object"))
		}
		return s.finishStaffSignIn(c, idt.Subject, claims)
	}
	holder, err := s.holderFromClaims(idt)
	if err != nil {
		s.log.Warn("citizen sign-in refused", slog.String("requestId", requestIDOf(c)), slog.String("reason", string(credential.ErrorReason(err))),
			slog.String("why", credential.ErrorMessage(err)))
		return s.citizenError(c, err)
	}
	// A session already in this browser ends: one browser, one holder.
	if err := s.endSession(c); err != nil && credential.ErrorCode(err) == credential.CodeInternal {
		return err
	}
	if err := s.startSession(c, holder); err != nil {
		return err
	}
	s.log.Info("citizen signed in", slog.String("requestId", requestIDOf(c)), slog.String("idType", holder.IDType))
	return c.Redirect(st.Next, fiber.StatusSeeOther)
}

// holderFromClaims reads the holder from the configured claims of a
// verified ID token, normalized and checked as an issued credential's
// holder is (a resident ID's or USCC's check character included).
func (s *Server) holderFromClaims(idt *oidc.IDToken) (credential.Holder, error) {
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return credential.Holder{}, credential.Errorf(credential.ReasonIdentityClaims, "the ID token's claims are not a JSON object")
	}
	o := s.cfg.OIDC
	str := func(name string) string { v, _ := claims[name].(string); return v }
	h := credential.Holder{Name: str(o.ClaimName), IDType: str(o.ClaimIDType), IDNumber: str(o.ClaimIDNumber)}.Normalize()
	if err := h.Validate(); err != nil {
		return credential.Holder{}, credential.Errorf(credential.ReasonIdentityClaims,
			"the identity provider signed you in, but its claims %s, %s and %s name no valid holder: %s",
			o.ClaimIDType, o.ClaimIDNumber, o.ClaimName, credential.ErrorMessage(err))
	}
	return h, nil
}

// signInFailed logs why a sign-in answer was refused (never its values)
// and answers sign_in_failed.
func (s *Server) signInFailed(c *fiber.Ctx, why, format string, args ...any) error {
	s.log.Warn("citizen sign-in refused", slog.String("requestId", requestIDOf(c)), slog.String("reason", string(credential.ReasonSignInFailed)), slog.String("why", why))
	return s.citizenError(c, credential.Errorf(credential.ReasonSignInFailed, format, args...))
}

// handleSignOut ends the session for good and clears its cookie. A form
// post gets the /me page back; a script gets 204.
func (s *Server) handleSignOut(c *fiber.Ctx) error {
	if err := s.endSession(c); err != nil {
		return s.citizenError(c, err)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	if wantsHTML(c) {
		return c.Redirect(defaultNext, fiber.StatusSeeOther)
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// safeNext keeps a next parameter that is a path on this gateway, and
// falls back to /me for anything else: another site ("//evil", a scheme),
// control characters, or the sign-in routes themselves.
func safeNext(v string) string {
	if v == "" || len(v) > 1024 || v[0] != '/' || strings.HasPrefix(v, "//") || strings.HasPrefix(v, "/\\") {
		return defaultNext
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] == 0x7f || v[i] == '\\' {
			return defaultNext
		}
	}
	u, err := url.Parse(v)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || u.User != nil {
		return defaultNext
	}
	switch strings.ToLower(strings.TrimSuffix(u.Path, "/")) {
	case "/me/login", "/me/callback", "/me/logout":
		return defaultNext
	}
	return v
}

// wantsHTML tells a browser navigation (its Accept names text/html) from
// a script or API client, which gets problem+json.
func wantsHTML(c *fiber.Ctx) bool {
	return strings.Contains(c.Get(fiber.HeaderAccept), "text/html")
}

// citizenError answers err on a browser route: the error page in the
// visitor's language for a browser, problem+json for anything else.
func (s *Server) citizenError(c *fiber.Ctx, err error) error {
	if !wantsHTML(c) {
		return err
	}
	p, _ := problemFor(err, s.cfg.OtherBodyLimit)
	if p.Status == http.StatusInternalServerError {
		return err // observe logs it and answers with the request ID to quote
	}
	kind := p.Reason
	switch kind {
	case string(credential.ReasonSignInFailed), string(credential.ReasonIdentityClaims), string(credential.ReasonStaffClaims), kindSignInOff.reason:
	case kindUnavailable.reason:
		kind = "idp_unavailable"
	default:
		kind = "citizen"
	}
	L := s.pages.lang(c)
	return s.pages.sendError(c, L, p.Status, kind, p.Detail, defaultNext)
}

func requestIDOf(c *fiber.Ctx) string {
	rid, _ := c.Locals(localRequestID).(string)
	return rid
}

// randomText is 32 random bytes in URL-safe text: a state or nonce.
func randomText() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("gateway: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}
