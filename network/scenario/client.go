package scenario

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Client drives the gateway's HTTP API the way an integrator would: plain
// net/http, JSON bodies, Bearer API keys. Other tests that talk to a
// gateway process over HTTP use it too.
type Client struct {
	base string
	http *http.Client
}

// NewClient is a client of the gateway at base whose requests give up
// after timeout.
func NewClient(base string, timeout time.Duration) *Client {
	return &Client{base: strings.TrimRight(base, "/"), http: &http.Client{Timeout: timeout}}
}

func newClient(base string) *Client { return NewClient(base, 60*time.Second) }

// Response is an answer read whole.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test when it is not JSON.
func (r Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("response (%d) is not JSON: %v\n%s", r.Status, err, r.Body)
	}
}

// Do sends method path with an optional API key, body (nil, a string, a
// []byte or anything JSON-encodable) and extra headers (pairs of name,
// value). It returns transport errors: for goroutines, which cannot fail a
// test, and for servers that may die.
func (c *Client) Do(method, path, apiKey string, body any, headers ...string) (Response, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			return Response{}, err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return Response{}, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+apiKey)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return Response{}, fmt.Errorf("reading the body: %w", err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: raw}, nil
}

// Request is Do for a test, which a transport error fails.
func (c *Client) Request(t testing.TB, method, path, apiKey string, body any, headers ...string) Response {
	t.Helper()
	r, err := c.Do(method, path, apiKey, body, headers...)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

// problem is an RFC 9457 problem detail.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Reason string `json:"reason"`
	Detail string `json:"detail"`
	Errors []struct {
		Pointer string `json:"pointer"`
	} `json:"errors"`
}

// expectProblem checks that r is a problem+json answer with the given
// status and reason.
func expectProblem(t testing.TB, r Response, status int, reason string) problem {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Fatalf("content type %q, want application/problem+json: %s", ct, r.Body)
	}
	var p problem
	r.JSON(t, &p)
	if p.Status != status || p.Title == "" || p.Detail == "" {
		t.Fatalf("incomplete problem: %+v", p)
	}
	if p.Reason != reason {
		t.Fatalf("reason %q, want %q: %+v", p.Reason, reason, p)
	}
	return p
}

func (r Response) decode(v any) error { return json.Unmarshal(r.Body, v) }

// Announce sends only the headers of a JSON request whose body would be
// length bytes, and returns the answer: a body over the route's limit is
// refused from its Content-Length. Sending the body too would race the
// gateway closing the connection after its 413.
func (c *Client) Announce(t testing.TB, method, path, apiKey string, length int) Response {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(c.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n",
		method, path, apiKey, length)
	if err := conn.SetReadDeadline(time.Now().Add(c.http.Timeout)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s %s: no answer before the body: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}
