package demoidp

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
)

// Client returns an HTTP client that reaches this provider in-process, for
// a relying party served by the same process: discovery, keys and the code
// exchange go straight to the handler instead of out through the network
// and back in through the public URL (which a host behind NAT, a proxy or
// a self-signed certificate may not reach). It refuses any other host.
func (p *Provider) Client() *http.Client {
	u, _ := url.Parse(p.issuer) // checked by New
	return &http.Client{Transport: inProcess{h: p, scheme: u.Scheme, host: u.Host}}
}

type inProcess struct {
	h            http.Handler
	scheme, host string
}

func (t inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != t.scheme || req.URL.Host != t.host {
		return nil, fmt.Errorf("demoidp: the in-process client only reaches %s://%s, not %s", t.scheme, t.host, req.URL.Redacted())
	}
	in := req.Clone(req.Context())
	in.RequestURI = req.URL.RequestURI()
	in.RemoteAddr = "127.0.0.1:0"
	if in.Body == nil {
		in.Body = http.NoBody
	}
	if req.Body != nil {
		defer req.Body.Close()
	}
	rec := &recorder{header: http.Header{}}
	t.h.ServeHTTP(rec, in)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	rec.header.Set("Content-Length", strconv.Itoa(rec.body.Len()))
	return &http.Response{
		Status: fmt.Sprintf("%d %s", rec.status, http.StatusText(rec.status)), StatusCode: rec.status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: rec.header, Body: io.NopCloser(&rec.body), ContentLength: int64(rec.body.Len()), Request: req,
	}, nil
}

// recorder is the http.ResponseWriter of an in-process request.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}
