package gateway

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Locals keys.
const (
	localRequestID = "certledger.requestID"
	localDept      = "certledger.dept"
	localAPIKey    = "certledger.apiKey" // the ID of the API key the request authenticated with
	localStaff     = "certledger.staff"  // the subject of the member of staff signed in
)

// HeaderRequestID carries the request ID both ways: a client (or a proxy)
// may send one, and every answer names it.
const HeaderRequestID = "X-Request-ID"

// redactedParams are query parameters never written to logs: t is a
// verification URL's access token, holderIdNumber the register's holder
// filter (personal data).
var redactedParams = map[string]bool{"t": true, "holderidnumber": true} // compared in lower case

// observe wraps every request: request ID, problem answers for handler
// errors, metrics, and one structured access log line.
func (s *Server) observe(c *fiber.Ctx) error {
	start := time.Now()
	rid := requestID(c.Get(HeaderRequestID))
	c.Locals(localRequestID, rid)
	c.Set(HeaderRequestID, rid)
	s.setSecurityHeaders(c)
	own := c.Route()
	if c.Method() != fiber.MethodGet {
		defer s.endBody(c)
	}

	if err := c.Next(); err != nil {
		s.respondError(c, err)
	}

	route := c.Route().Path
	if c.Route() == own {
		route = unmatchedRoute
	}
	s.finish(c, route, rid, start)
	return nil
}

// setSecurityHeaders marks every answer, API ones too, as not to be
// content-sniffed, and over TLS tells browsers to keep to HTTPS.
func (s *Server) setSecurityHeaders(c *fiber.Ctx) {
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	if s.tls != nil {
		c.Set(fiber.HeaderStrictTransportSecurity, "max-age=31536000")
	}
}

// finish records metrics and the access log line of a request.
func (s *Server) finish(c *fiber.Ctx, route, rid string, start time.Time) {
	d := time.Since(start)
	status := c.Response().StatusCode()
	s.metrics.observe(route, c.Method(), status, d)
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	attrs := []slog.Attr{
		slog.String("requestId", rid),
		slog.String("method", c.Method()),
		slog.String("path", redactSharePath(c.Path())),
		slog.String("route", route),
		slog.Int("status", status),
		slog.Float64("ms", float64(d.Microseconds())/1000),
		slog.Int("bytes", len(c.Response().Body())),
		slog.String("ip", s.clientAddr(c)),
	}
	if q := c.Request().URI().QueryString(); len(q) > 0 {
		attrs = append(attrs, slog.String("query", redactQuery(string(q))))
	}
	if dept, ok := c.Locals(localDept).(string); ok {
		attrs = append(attrs, slog.String("dept", dept))
	}
	if id := actingKey(c); id != "" {
		attrs = append(attrs, slog.String("apiKey", id))
	}
	if sub := actingStaff(c); sub != "" {
		attrs = append(attrs, slog.String("staff", sub))
	}
	s.log.LogAttrs(c.UserContext(), level, "http", attrs...)
}

// respondError answers err as a problem and logs what a client must not
// see (ledger and transport internals) under the request ID.
func (s *Server) respondError(c *fiber.Ctx, err error) {
	p, internal := problemFor(err, s.routeBodyLimit(c.Method(), c.Path()))
	rid, _ := c.Locals(localRequestID).(string)
	p.RequestID = rid
	p.Instance = c.Path()
	if internal {
		s.logError(c, "request failed", err)
		if p.Status == http.StatusInternalServerError { // its detail is hidden
			p.Detail = "internal error; quote request ID " + rid + " to the operator"
		}
	}
	if werr := writeProblem(c, p); werr != nil {
		s.log.Error("writing problem failed", slog.String("requestId", rid), slog.String("error", werr.Error()))
	}
}

// handleUncaught is Fiber's error handler. Handler errors are answered in
// observe; this sees what fails before any handler runs, such as a body
// over the limit, which Fiber's server rejects while reading the request.
func (s *Server) handleUncaught(c *fiber.Ctx, err error) error {
	if _, seen := c.Locals(localRequestID).(string); seen {
		s.respondError(c, err)
		return nil
	}
	start := time.Now()
	rid := requestID(c.Get(HeaderRequestID))
	c.Locals(localRequestID, rid)
	c.Set(HeaderRequestID, rid)
	s.setSecurityHeaders(c)
	if s.bodies.refused(&c.Context().Request.Header) {
		err = s.bodiesBusy(c)
	}
	s.bodies.end(&c.Context().Request.Header)
	s.respondError(c, err)
	s.finish(c, unmatchedRoute, rid, start)
	return nil
}

// logError logs an internal error with the request it belongs to. Ledger
// errors carry the transaction ID in their text, so it lands here.
func (s *Server) logError(c *fiber.Ctx, msg string, err error) {
	rid, _ := c.Locals(localRequestID).(string)
	s.log.LogAttrs(c.UserContext(), slog.LevelError, msg,
		slog.String("requestId", rid), slog.String("method", c.Method()), slog.String("path", redactSharePath(c.Path())),
		slog.String("error", err.Error()))
}

// requestID keeps a client's request ID when it is short and plain, so it
// cannot inject anything into logs, and makes a new one otherwise.
func requestID(given string) string {
	if n := len(given); n > 0 && n <= 64 {
		ok := true
		for i := 0; i < n && ok; i++ {
			c := given[i]
			ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
		}
		if ok {
			return given
		}
	}
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// redactQuery replaces the values of secret query parameters, keeping the
// rest of the query readable in logs.
func redactQuery(q string) string {
	parts := strings.Split(q, "&")
	for i, p := range parts {
		k, _, _ := strings.Cut(p, "=")
		name, err := url.QueryUnescape(k)
		if err != nil || redactedParams[strings.ToLower(name)] {
			parts[i] = k + "=REDACTED"
		}
	}
	return strings.Join(parts, "&")
}
