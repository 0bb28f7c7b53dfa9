package gateway

import (
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// routeBodyLimit is the largest body the route of method and path reads.
// It errs small: a path it does not recognize gets OtherBodyLimit.
func (s *Server) routeBodyLimit(method, path string) int {
	path = strings.ToLower(strings.TrimSuffix(path, "/")) // routing ignores case and a trailing slash
	if method != fiber.MethodPost && method != fiber.MethodPut {
		return s.cfg.OtherBodyLimit
	}
	switch {
	case path == "/v" && method == fiber.MethodPost:
		return s.cfg.UploadLimit
	case path == "/api/v1/batches" && method == fiber.MethodPost:
		return s.cfg.ImportLimit
	case path == "/api/v1/verify" || path == "/api/v1/vc":
		return s.cfg.BodyLimit
	case strings.HasPrefix(path, "/api/v1/"):
		return s.cfg.WriteLimit
	}
	return s.cfg.OtherBodyLimit
}

// headerReceived gives fasthttp the route's body limit once the headers
// are in, so the body is read up to that limit and no further, and a
// Content-Length over it is refused without reading the body at all.
func (s *Server) headerReceived(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
	var u fasthttp.URI
	if err := u.Parse(nil, h.RequestURI()); err != nil {
		return fasthttp.RequestConfig{MaxRequestBodySize: s.cfg.OtherBodyLimit}
	}
	limit := s.routeBodyLimit(string(h.Method()), string(u.Path()))
	if !s.gateBody(h, limit) {
		// Refused unread: handleUncaught answers 503 for the body over
		// this limit.
		return fasthttp.RequestConfig{MaxRequestBodySize: 1}
	}
	return fasthttp.RequestConfig{MaxRequestBodySize: limit}
}

// limitBody checks the body against the limit of the route Fiber matched,
// in case the header-time match (on the raw path) was more generous.
func (s *Server) limitBody(c *fiber.Ctx) error {
	if s.bodies.refused(&c.Context().Request.Header) {
		return s.bodiesBusy(c) // a body small enough to pass the refusal's limit
	}
	// The declared length, when there is one: Body() would write a
	// multipart form fasthttp has already parsed out all over again.
	n := c.Request().Header.ContentLength()
	if n < 0 {
		n = len(c.Request().Body())
	}
	if limit := s.routeBodyLimit(c.Method(), c.Path()); n > limit {
		return tooLarge(limit)
	}
	return c.Next()
}

func tooLarge(limit int) *apiError {
	return newAPIError(kindTooLarge, "the request body is larger than %s bytes", fmt.Sprint(limit))
}
