package gateway_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/gateway"
)

// TestRouteBodyLimits: each route reads at most its own limit, and a
// declared length over it is refused from the headers, before any of the
// body is read.
func TestRouteBodyLimits(t *testing.T) {
	e := newAPIEnv(t)
	base := e.listen(t)
	cfg := e.srv.Config()
	upload := func(size int) (string, []byte) {
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		part, _ := w.CreateFormFile("qr", "photo.png")
		part.Write(bytes.Repeat([]byte{0}, size))
		w.Close()
		return w.FormDataContentType(), b.Bytes()
	}
	uploadType, bigUpload := upload(1 << 20)
	cases := []struct {
		name, method, path, contentType string
		body                            []byte
		limit                           int
	}{
		{"verify", "POST", "/api/v1/verify", "application/json", []byte(`{"qr":"` + strings.Repeat("x", cfg.BodyLimit) + `"}`), cfg.BodyLimit},
		{"issuance", "POST", "/api/v1/credentials", "application/json", []byte(`{"type":"` + strings.Repeat("x", cfg.WriteLimit) + `"}`), cfg.WriteLimit},
		{"key change", "POST", "/api/v1/departments/samr/keys", "application/json", []byte(`{"x":"` + strings.Repeat("x", cfg.WriteLimit) + `"}`), cfg.WriteLimit},
		{"page", "GET", "/", "text/plain", bytes.Repeat([]byte("x"), cfg.OtherBodyLimit+1), cfg.OtherBodyLimit},
		{"upload over its limit", "POST", "/v", uploadType, append(bigUpload, make([]byte, cfg.UploadLimit)...), cfg.UploadLimit},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := announce(t, base, tc.method, tc.path, tc.contentType, e.key("samr"), len(tc.body))
			p := expectReason(t, r, 413, "body_too_large")
			if !strings.Contains(p.Detail, fmt.Sprint(tc.limit)) {
				t.Fatalf("detail %q does not state the limit %d", p.Detail, tc.limit)
			}
		})
	}
	t.Run("an upload within its limit is read", func(t *testing.T) {
		resp, err := http.Post(base+"/v", uploadType, bytes.NewReader(bigUpload))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == 413 {
			t.Fatal("a 1 MiB upload was refused")
		}
	})
}

// announce sends only the headers of a request with a body of length
// bytes and returns the answer: a body over the route's limit is refused
// from its Content-Length, without waiting for it. (Sending the body too
// races the server closing the connection after its answer.)
func announce(t *testing.T, base, method, path, contentType, apiKey string, length int) apiResponse {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n",
		method, path, contentType, apiKey, length)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer before the body: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return apiResponse{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// TestErrorAnswersBounded: an answer echoing client input stays small
// however much input there is.
func TestErrorAnswersBounded(t *testing.T) {
	e := newAPIEnv(t)
	t.Run("long unknown member", func(t *testing.T) {
		r := e.do(t, "POST", "/api/v1/verify", "", `{"`+strings.Repeat("n", 100<<10)+`":1}`)
		p := expectReason(t, r, 400, "malformed_request")
		if len(p.Detail) > 200 {
			t.Fatalf("detail of %d bytes", len(p.Detail))
		}
	})
	t.Run("many bad fields", func(t *testing.T) {
		body := licenceBody("界限有限公司")
		fields := body["fields"].(map[string]any)
		for i := range 3000 {
			fields[fmt.Sprintf("f%d", i)] = 1
		}
		_, r := e.issue(t, "samr", body)
		p := expectReason(t, r, 400, "invalid_field")
		if len(p.Errors) != gateway.MaxFieldProblems {
			t.Fatalf("%d field problems, want the first %d", len(p.Errors), gateway.MaxFieldProblems)
		}
		if !strings.Contains(p.Detail, fmt.Sprintf("%d more", 3000-gateway.MaxFieldProblems)) {
			t.Fatalf("detail does not say how many more: %.300s", p.Detail)
		}
		if len(r.Body) > 16<<10 {
			t.Fatalf("answer of %d bytes", len(r.Body))
		}
	})
}
