package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/certledger/certledger/credential"
)

// client talks to one gateway over keep-alive connections.
type client struct {
	base   string // gateway URL without trailing slash
	apiKey string
	http   *http.Client
}

func newClient(base, apiKey string, concurrency int) *client {
	tr := &http.Transport{
		// One idle connection per client goroutine, so connections are
		// reused instead of opened per request.
		MaxIdleConns:        concurrency * 2,
		MaxIdleConnsPerHost: concurrency,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	return &client{base: strings.TrimRight(base, "/"), apiKey: apiKey,
		http: &http.Client{Transport: tr, Timeout: 60 * time.Second}}
}

func (c *client) close() { c.http.CloseIdleConnections() }

// statusError is an answer with an unexpected status.
type statusError struct {
	Method, Path string
	Status       int
	Body         string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("%s %s: HTTP %d: %s", e.Method, e.Path, e.Status, e.Body)
}

// do sends a request and returns the body of a response with status want.
// buf, when given, is reused for the body.
func (c *client) do(ctx context.Context, method, path string, body []byte, header http.Header, want int, buf *bytes.Buffer) ([]byte, http.Header, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	buf.Reset()
	// Reading to the end lets the connection be reused.
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return nil, nil, err
	}
	if resp.StatusCode != want {
		msg := buf.String()
		if len(msg) > 300 {
			msg = msg[:300] + "..."
		}
		return nil, nil, &statusError{Method: method, Path: path, Status: resp.StatusCode, Body: msg}
	}
	return buf.Bytes(), resp.Header, nil
}

func (c *client) auth() http.Header {
	return http.Header{"Authorization": {"Bearer " + c.apiKey}}
}

// types reads the catalogue.
func (c *client) types(ctx context.Context) ([]credential.CredentialType, error) {
	b, _, err := c.do(ctx, http.MethodGet, "/api/v1/types", nil, nil, http.StatusOK, nil)
	if err != nil {
		return nil, err
	}
	var out struct {
		Types []credential.CredentialType `json:"types"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("GET /api/v1/types: %w", err)
	}
	return out.Types, nil
}

// issued is what the load tool keeps of an acknowledged issuance.
type issued struct {
	ID     string
	Doc    json.RawMessage
	QRPath string // path and query of the QR PNG, relative to the gateway
}

// issueRequest is the body of POST /api/v1/credentials.
type issueRequest struct {
	Type   string            `json:"type"`
	Holder credential.Holder `json:"holder"`
	Fields map[string]string `json:"fields"`
}

// issue posts one issuance with an idempotency key, as a careful client
// would, and returns the acknowledged credential.
func (c *client) issue(ctx context.Context, body []byte, idemKey string, buf *bytes.Buffer) (issued, error) {
	h := c.auth()
	h.Set("Idempotency-Key", idemKey)
	b, _, err := c.do(ctx, http.MethodPost, "/api/v1/credentials", body, h, http.StatusCreated, buf)
	if err != nil {
		return issued{}, err
	}
	var ans struct {
		ID       string          `json:"id"`
		Document json.RawMessage `json:"document"`
		QRURL    string          `json:"qrUrl"`
	}
	if err := json.Unmarshal(b, &ans); err != nil {
		return issued{}, fmt.Errorf("issuance answer: %w", err)
	}
	if ans.ID == "" || len(ans.Document) == 0 {
		return issued{}, fmt.Errorf("issuance answer without id or document")
	}
	qr, err := relativePath(ans.QRURL)
	if err != nil {
		return issued{}, err
	}
	// The answer buffer is reused: keep a copy of the document.
	return issued{ID: ans.ID, Doc: bytes.Clone(ans.Document), QRPath: qr}, nil
}

// relativePath keeps the path and query of an absolute URL: the gateway's
// public URL may name another host than the one the load tool reaches.
func relativePath(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Path == "" {
		return "", fmt.Errorf("answer has no usable qrUrl %q", raw)
	}
	p := u.EscapedPath()
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	return p, nil
}

// readable reports whether the issuing department can read id back.
func (c *client) readable(ctx context.Context, id string, buf *bytes.Buffer) error {
	_, _, err := c.do(ctx, http.MethodGet, "/api/v1/credentials/"+url.PathEscape(id), nil, c.auth(), http.StatusOK, buf)
	return err
}

var validTrue = []byte(`"valid":true`)

// verify posts a prepared {"document": ...} body and expects a valid answer.
func (c *client) verify(ctx context.Context, body []byte, buf *bytes.Buffer) error {
	b, _, err := c.do(ctx, http.MethodPost, "/api/v1/verify", body, nil, http.StatusOK, buf)
	if err != nil {
		return err
	}
	if !bytes.Contains(b, validTrue) {
		return fmt.Errorf("POST /api/v1/verify: credential not valid: %.200s", b)
	}
	return nil
}

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// qr fetches a QR PNG as the issuing department does, from the qrUrl of
// the issuance answer.
func (c *client) qr(ctx context.Context, path string, buf *bytes.Buffer) error {
	b, h, err := c.do(ctx, http.MethodGet, path, nil, c.auth(), http.StatusOK, buf)
	if err != nil {
		return err
	}
	if ct := h.Get("Content-Type"); ct != "image/png" || !bytes.HasPrefix(b, pngSignature) {
		return fmt.Errorf("GET %s: not a PNG (Content-Type %q)", path, ct)
	}
	return nil
}
