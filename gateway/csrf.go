package gateway

import (
	"github.com/certledger/certledger/credential"
	"github.com/gofiber/fiber/v2"
)

// checkOrigin refuses cross-site requests made with a citizen's or a
// member of staff's session:
// a request that may change something (any method but GET, HEAD, OPTIONS
// and TRACE) and carries the session cookie is accepted only when its
// Origin header names the gateway's own origin (its public URL's). Browsers
// send Origin on every such request, so a missing one means a client this
// check cannot vouch for, and is refused too.
//
// A request with an Authorization header is a department's API call and is
// left alone: no other site can make a browser add that header without a
// CORS preflight, which the gateway never grants.
func (s *Server) checkOrigin(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions, fiber.MethodTrace:
		return c.Next()
	}
	h := &c.Request().Header
	if len(h.Cookie(s.sessions.name)) == 0 && len(h.Cookie(s.sessions.staffName)) == 0 || len(h.Peek(fiber.HeaderAuthorization)) > 0 {
		return c.Next()
	}
	got := c.Get(fiber.HeaderOrigin)
	if o, ok := parseOrigin(got); ok && o == s.origin {
		return c.Next()
	}
	if got == "" {
		return credential.Errorf(credential.ReasonCrossOrigin, "a request that carries the session cookie must name its Origin")
	}
	return credential.Errorf(credential.ReasonCrossOrigin, "a request from %q may not use this gateway's session", truncate(got, 80))
}
