package gateway

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/gofiber/fiber/v2"
)

// staffSession is what a member of staff's session cookie holds, sealed
// under its own purpose: a citizen's cookie never opens as one, nor the
// other way round, so no claim left out of an ID token turns one into the
// other (docs/decisions/0020-staff-roles.md).
type staffSession struct {
	ID       string                 `json:"sid"`
	Subject  string                 `json:"sub"`
	Dept     string                 `json:"dept"`
	Roles    []credential.StaffRole `json:"roles"`
	IssuedAt int64                  `json:"iat"`
	LastSeen int64                  `json:"seen"`
}

const staffCookieName = "certledger_staff"

// staffNext is where a staff sign-in returns to.
const staffNext = "/console"

// staffRoutes registers the console's sign-in and sign-out, and the
// signed-in member of staff for the console script.
func (s *Server) staffRoutes() {
	s.app.Get("/console/login", s.handleStaffSignIn)
	s.app.Post("/console/logout", s.handleStaffSignOut)
	s.app.Get("/api/v1/staff/me", s.handleStaffMe)
}

// handleStaffSignIn starts a sign-in like a citizen's, marked in the
// sealed sign-in state as one for the console; the one registered
// redirect URL serves both.
func (s *Server) handleStaffSignIn(c *fiber.Ctx) error {
	return s.startSignIn(c, true, staffNext)
}

// finishStaffSignIn makes a staff session of a verified ID token's claims:
// a department of the registry, at least one known role, and a subject
// that may be recorded in public history.
func (s *Server) finishStaffSignIn(c *fiber.Ctx, subject string, claims map[string]any) error {
	ctx, cancel := s.requestContext(c)
	defer cancel()
	o := s.cfg.OIDC
	dept, _ := claims[o.ClaimDept].(string)
	var raw []string
	switch v := claims[o.ClaimRoles].(type) {
	case []any:
		for _, x := range v {
			if r, ok := x.(string); ok {
				raw = append(raw, r)
			}
		}
	case string:
		raw = append(raw, v)
	}
	var known []string
	for _, r := range raw {
		if credential.ValidStaffRole(credential.StaffRole(r)) {
			known = append(known, r)
		}
	}
	roles, _ := credential.NormalizeStaffRoles(known)
	refuse := func(format string, args ...any) error {
		err := credential.Errorf(credential.ReasonStaffClaims, format, args...)
		s.log.Warn("staff sign-in refused", slog.String("requestId", requestIDOf(c)), slog.String("why", credential.ErrorMessage(err)))
		return s.citizenError(c, err)
	}
	if !credential.ValidStaffSubject(subject) {
		return refuse("the identity provider's subject cannot be recorded in history (printable ASCII, at most %d characters, never an ID number)", credential.MaxStaffSubject)
	}
	if len(roles) == 0 {
		return refuse("the ID token's claim %s names no staff role (clerk, approver, admin)", o.ClaimRoles)
	}
	reg, err := s.registry.fresh(ctx)
	if err != nil {
		return err
	}
	if _, ok := reg.Department(dept); !ok || dept == "" {
		return refuse("the ID token's claim %s names no department of the registry", o.ClaimDept)
	}
	if err := s.endStaffSession(c); err != nil && credential.ErrorCode(err) == credential.CodeInternal {
		return err
	}
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return err
	}
	now := s.now().Unix()
	sess := staffSession{ID: base64.RawURLEncoding.EncodeToString(id[:]), Subject: subject, Dept: dept, Roles: roles, IssuedAt: now, LastSeen: now}
	if err := s.setStaffCookie(c, sess); err != nil {
		return err
	}
	s.log.Info("staff signed in", slog.String("requestId", requestIDOf(c)), slog.String("dept", dept), slog.String("staff", subject), slog.Any("roles", roles))
	return c.Redirect(staffNext, fiber.StatusSeeOther)
}

// currentStaff opens and checks the request's staff cookie, with the
// expiries and the ended set of citizens' sessions, and reseals it when
// its LastSeen is more than sessionReseal old.
func (s *Server) currentStaff(c *fiber.Ctx) (staffSession, error) {
	raw := c.Cookies(s.sessions.staffName)
	if raw == "" {
		return staffSession{}, credential.Errorf(credential.ReasonNotSignedIn, "sign in at /console/login first")
	}
	var sess staffSession
	refuse := func(format string, args ...any) error {
		s.clearCookie(c, s.sessions.staffName, "/")
		return credential.Errorf(credential.ReasonSessionExpired, format+"; sign in again at /console/login", args...)
	}
	if err := s.sessions.staff.open(raw, &sess); err != nil || sess.ID == "" {
		return staffSession{}, refuse("the staff session cookie is not valid")
	}
	now := s.now()
	issued, seen := time.Unix(sess.IssuedAt, 0), time.Unix(sess.LastSeen, 0)
	switch {
	case now.Sub(issued) >= s.sessions.lifetime || issued.After(now.Add(sessionReseal)):
		return staffSession{}, refuse("the session ended %s after sign-in", s.sessions.lifetime)
	case now.Sub(seen) >= s.sessions.idle:
		return staffSession{}, refuse("the session ended after %s without use", s.sessions.idle)
	}
	ended, err := s.sessions.ended.ended(sess.ID)
	if err != nil {
		return staffSession{}, fmt.Errorf("reading the ended sessions: %w", err)
	}
	if ended {
		return staffSession{}, refuse("the session was ended by signing out")
	}
	if now.Sub(seen) >= sessionReseal {
		sess.LastSeen = now.Unix()
		if err := s.setStaffCookie(c, sess); err != nil {
			return staffSession{}, err
		}
	}
	return sess, nil
}

func (s *Server) setStaffCookie(c *fiber.Ctx, sess staffSession) error {
	v, err := s.sessions.staff.seal(sess)
	if err != nil {
		return err
	}
	left := time.Unix(sess.IssuedAt, 0).Add(s.sessions.lifetime).Sub(s.now())
	c.Cookie(&fiber.Cookie{Name: s.sessions.staffName, Value: v, Path: "/", MaxAge: max(int(left/time.Second), 1),
		Secure: s.sessions.secure, HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode})
	return nil
}

// endStaffSession ends the request's staff session for good, as
// endSession does a citizen's.
func (s *Server) endStaffSession(c *fiber.Ctx) error {
	sess, err := s.currentStaff(c)
	if err == nil {
		until := time.Unix(sess.IssuedAt, 0).Add(s.sessions.lifetime)
		if err := s.sessions.ended.end(sess.ID, until); err != nil {
			if err == errTooManyEnded {
				return newAPIError(kindUnavailable, "the gateway cannot end more sessions right now; try again later")
			}
			return fmt.Errorf("recording the ended session: %w", err)
		}
	} else if credential.ErrorCode(err) == credential.CodeInternal {
		return err
	}
	s.clearCookie(c, s.sessions.staffName, "/")
	return nil
}

func (s *Server) handleStaffSignOut(c *fiber.Ctx) error {
	if err := s.endStaffSession(c); err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	if wantsHTML(c) {
		return c.Redirect(staffNext, fiber.StatusSeeOther)
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// staffMeAnswer tells the console who is signed in and what the roles
// allow, so it shows only those actions.
type staffMeAnswer struct {
	Subject    string                 `json:"subject"`
	Department string                 `json:"department"`
	Roles      []credential.StaffRole `json:"roles"`
}

func (s *Server) handleStaffMe(c *fiber.Ctx) error {
	sess, err := s.currentStaff(c)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(staffMeAnswer{Subject: sess.Subject, Department: sess.Dept, Roles: sess.Roles})
}
