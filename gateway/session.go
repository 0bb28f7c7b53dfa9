package gateway

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// session is what a citizen's session cookie holds, sealed: nothing in the
// browser can read or change it, and the gateway keeps no copy.
type session struct {
	ID       string            `json:"sid"`
	Holder   credential.Holder `json:"holder"`
	IssuedAt int64             `json:"iat"`  // Unix seconds of the sign-in
	LastSeen int64             `json:"seen"` // Unix seconds of the request that last resealed it
}

// Cookie names. Over HTTPS they take the __Host- prefix (and the sign-in
// cookie, which has a narrower path, __Secure-), so the browser refuses
// them from plain HTTP or from another subdomain.
const (
	sessionCookieName = "certledger_session"
	signinCookieName  = "certledger_signin"
)

// sessionReseal is how often a session in use gets a fresh LastSeen: the
// idle expiry slides with use, to the minute, without a new cookie on
// every request.
const sessionReseal = time.Minute

// sessionKeeper holds what sessions need: the sealers, the ended set, the
// expiries and the cookie attributes.
type sessionKeeper struct {
	cookies        *sealer // session cookies
	signins        *sealer // the state of a sign-in under way
	staff          *sealer // staff session cookies (staffsession.go)
	ended          endedSessions
	idle, lifetime time.Duration
	secure         bool
	name           string // session cookie
	staffName      string // staff session cookie
	signinName     string
	signinPath     string // the redirect URL's path: the sign-in cookie goes only there
}

func newSessionKeeper(cfg Config, secret []byte, tlsOn bool) (*sessionKeeper, error) {
	k := &sessionKeeper{idle: cfg.SessionIdle, lifetime: cfg.SessionLifetime, name: sessionCookieName, staffName: staffCookieName,
		signinName: signinCookieName, signinPath: "/me/callback"}
	var err error
	if k.cookies, err = newSealer(secret, "session"); err != nil {
		return nil, err
	}
	if k.signins, err = newSealer(secret, "sign-in"); err != nil {
		return nil, err
	}
	if k.staff, err = newSealer(secret, "staff-session"); err != nil {
		return nil, err
	}
	if u, err := url.Parse(cfg.PublicURL); tlsOn || (err == nil && u.Scheme == "https") {
		k.secure = true
		k.name = "__Host-" + sessionCookieName
		k.staffName = "__Host-" + staffCookieName
		k.signinName = "__Secure-" + signinCookieName
	}
	if u, err := url.Parse(cfg.OIDC.RedirectURL); cfg.OIDC.Enabled() && err == nil && u.Path != "" {
		k.signinPath = u.Path
	}
	if k.ended, err = openEndedSessions(cfg.StateDir, cfg.Now); err != nil {
		return nil, err
	}
	return k, nil
}

// signedInHolder returns the holder of the request's session, normalized
// as at sign-in, or a 401 problem: not_signed_in without a session cookie,
// session_expired for one past its idle or absolute expiry, ended by
// signing out, or not sealed by this gateway. A department API key is no
// session: only the cookie counts.
func (s *Server) signedInHolder(c *fiber.Ctx) (credential.Holder, error) {
	sess, err := s.currentSession(c)
	if err != nil {
		return credential.Holder{}, err
	}
	return sess.Holder, nil
}

// currentSession opens and checks the request's session cookie, and
// reseals it when its LastSeen is more than sessionReseal old.
func (s *Server) currentSession(c *fiber.Ctx) (session, error) {
	raw := c.Cookies(s.sessions.name)
	if raw == "" {
		return session{}, credential.Errorf(credential.ReasonNotSignedIn, "sign in at /me/login first")
	}
	var sess session
	if err := s.sessions.cookies.open(raw, &sess); err != nil || sess.ID == "" {
		return session{}, s.refuseSession(c, "the session cookie is not valid")
	}
	now := s.now()
	issued, seen := time.Unix(sess.IssuedAt, 0), time.Unix(sess.LastSeen, 0)
	switch {
	case now.Sub(issued) >= s.sessions.lifetime || issued.After(now.Add(sessionReseal)):
		return session{}, s.refuseSession(c, "the session ended %s after sign-in", s.sessions.lifetime)
	case now.Sub(seen) >= s.sessions.idle:
		return session{}, s.refuseSession(c, "the session ended after %s without use", s.sessions.idle)
	}
	ended, err := s.sessions.ended.ended(sess.ID)
	if err != nil {
		return session{}, fmt.Errorf("reading the ended sessions: %w", err)
	}
	if ended {
		return session{}, s.refuseSession(c, "the session was ended by signing out")
	}
	if now.Sub(seen) >= sessionReseal {
		sess.LastSeen = now.Unix()
		if err := s.setSessionCookie(c, sess); err != nil {
			return session{}, err
		}
	}
	return sess, nil
}

// refuseSession clears a cookie that no longer opens a session and says
// why, so the browser stops sending it.
func (s *Server) refuseSession(c *fiber.Ctx, format string, args ...any) error {
	s.clearCookie(c, s.sessions.name, "/")
	return credential.Errorf(credential.ReasonSessionExpired, format+"; sign in again at /me/login", args...)
}

// startSession signs holder in with a new session ID, so a cookie from
// before the sign-in (a planted one included) never becomes this session.
func (s *Server) startSession(c *fiber.Ctx, holder credential.Holder) error {
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return err
	}
	now := s.now().Unix()
	return s.setSessionCookie(c, session{ID: base64.RawURLEncoding.EncodeToString(id[:]), Holder: holder, IssuedAt: now, LastSeen: now})
}

// setSessionCookie seals sess into the session cookie, which the browser
// keeps until the session's absolute expiry.
func (s *Server) setSessionCookie(c *fiber.Ctx, sess session) error {
	v, err := s.sessions.cookies.seal(sess)
	if err != nil {
		return err
	}
	left := time.Unix(sess.IssuedAt, 0).Add(s.sessions.lifetime).Sub(s.now())
	c.Cookie(&fiber.Cookie{Name: s.sessions.name, Value: v, Path: "/", MaxAge: max(int(left/time.Second), 1),
		Secure: s.sessions.secure, HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode})
	return nil
}

// endSession ends the request's session, if it has a valid one, for good:
// its ID goes to the ended set until its absolute expiry, so a copy of the
// cookie is refused from now on. The cookie is cleared either way.
func (s *Server) endSession(c *fiber.Ctx) error {
	sess, err := s.currentSession(c)
	if err == nil {
		until := time.Unix(sess.IssuedAt, 0).Add(s.sessions.lifetime)
		if err := s.sessions.ended.end(sess.ID, until); err != nil {
			if err == errTooManyEnded {
				s.log.Warn("a sign-out was refused: the memory set of ended sessions is full", slog.String("requestId", requestIDOf(c)))
				return newAPIError(kindUnavailable, "the gateway cannot end more sessions right now; try again later")
			}
			return fmt.Errorf("recording the ended session: %w", err)
		}
	} else if credential.ErrorCode(err) == credential.CodeInternal {
		return err
	}
	s.clearCookie(c, s.sessions.name, "/")
	return nil
}

// clearCookie tells the browser to drop a cookie, with the attributes it
// was set with (a __Host- cookie is only replaced by a Secure one).
func (s *Server) clearCookie(c *fiber.Ctx, name, path string) {
	c.Cookie(&fiber.Cookie{Name: name, Value: "", Path: path, Expires: fasthttp.CookieExpireDelete,
		Secure: s.sessions.secure, HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode})
}
