package gateway

import (
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/gofiber/fiber/v2"
)

// meView is the data of the citizen's page at /me.
type meView struct {
	pageMeta
	SignInOn bool // citizen sign-in is configured
	Expired  bool // the request carried a session that no longer holds
	SignedIn bool
	Name     string
	IDType   string
	IDNumber string // masked
	Until    string // the session's absolute end
	IdleMin  int    // minutes without use that end it
}

// handleMePage serves GET /me: the signed-in holder, or the way to sign in.
func (s *Server) handleMePage(c *fiber.Ctx) error {
	L := s.pages.lang(c)
	v := meView{pageMeta: s.pages.meta(L, "me", L.T("me.title"), "/me"), SignInOn: s.rp != nil}
	v.NoIndex, v.SameOriginReferrer = true, true
	sess, err := s.currentSession(c)
	switch {
	case err == nil:
		v.SignedIn = true
		v.Name, v.IDType = sess.Holder.Name, L.T("idtype."+sess.Holder.IDType)
		v.IDNumber = maskIDNumber(sess.Holder.IDType, sess.Holder.IDNumber)
		v.Until = L.Time(time.Unix(sess.IssuedAt, 0).Add(s.sessions.lifetime))
		v.IdleMin = int(s.sessions.idle / time.Minute)
	case credential.ErrorReason(err) == credential.ReasonSessionExpired:
		v.Expired = true
	case credential.ErrorReason(err) != credential.ReasonNotSignedIn:
		return err
	}
	return s.pages.send(c, fiber.StatusOK, "me", v)
}

// handleSignOutPage serves GET /me/logout: a form that posts the sign-out,
// since a GET must change nothing.
func (s *Server) handleSignOutPage(c *fiber.Ctx) error {
	L := s.pages.lang(c)
	v := meView{pageMeta: s.pages.meta(L, "logout", L.T("logout.title"), "/me/logout"), SignInOn: s.rp != nil}
	v.NoIndex, v.SameOriginReferrer = true, true
	return s.pages.send(c, fiber.StatusOK, "logout", v)
}
