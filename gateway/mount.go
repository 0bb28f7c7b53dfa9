package gateway

import (
	"bytes"
	"crypto/tls"
	"net/http"
	"net/url"
	"sort"

	"github.com/gofiber/fiber/v2"
)

// mountHandlers serves Config.Handlers on the gateway's listener, after
// the middlewares every request passes (request ID, limits, the
// cross-site check), each with the whole request path.
func (s *Server) mountHandlers() {
	prefixes := make([]string, 0, len(s.cfg.Handlers))
	for p := range s.cfg.Handlers {
		prefixes = append(prefixes, p)
	}
	sort.Strings(prefixes)
	for _, p := range prefixes {
		s.app.Use(p, s.serveHTTP(s.cfg.Handlers[p]))
	}
}

// serveHTTP runs a net/http handler on a request, with a request built
// from copies: fasthttp reuses its buffers for the connection's next
// request, and a handler that keeps a string from this one (the provider
// keeps authorization requests) must not see it change.
func (s *Server) serveHTTP(h http.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		raw := string(c.Request().RequestURI())
		u, err := url.ParseRequestURI(raw)
		if err != nil {
			return newAPIError(kindMalformed, "the request URI does not parse")
		}
		body := bytes.Clone(c.Body())
		r := &http.Request{Method: c.Method(), URL: u, RequestURI: raw, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{}, Host: string(c.Request().Host()), RemoteAddr: c.Context().RemoteAddr().String(),
			Body: http.NoBody, ContentLength: int64(len(body))}
		if len(body) > 0 {
			r.Body = readCloser{bytes.NewReader(body)}
		}
		if s.tls != nil {
			r.TLS = &tls.ConnectionState{}
		}
		for k, v := range c.Request().Header.All() {
			r.Header.Add(string(k), string(v))
		}
		r = r.WithContext(c.UserContext())

		w := &bufferedWriter{header: http.Header{}}
		h.ServeHTTP(w, r)
		if w.status == 0 {
			w.status = http.StatusOK
		}
		for k, vs := range w.header {
			if k == "Content-Length" || k == "Transfer-Encoding" { // Fiber frames the body itself
				continue
			}
			for i, v := range vs {
				if i == 0 {
					c.Set(k, v)
				} else {
					c.Response().Header.Add(k, v)
				}
			}
		}
		return c.Status(w.status).Send(w.body.Bytes())
	}
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

// bufferedWriter collects a handler's answer for Fiber to send.
type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *bufferedWriter) Header() http.Header { return w.header }

func (w *bufferedWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *bufferedWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(b)
}
