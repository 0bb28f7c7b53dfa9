package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/gateway"
	"github.com/certledger/certledger/gateway/keystore"
	"github.com/certledger/certledger/gateway/provision"
)

// publicURL is the gateway's public URL in tests: verification links must
// use it, not the address the test happens to reach the app on.
const publicURL = "https://verify.example.test"

// apiEnv is a gateway on a real embedded ledger in t.TempDir(), provisioned
// with the demo registry.
type apiEnv struct {
	srv    *gateway.Server
	ledger credential.Ledger
	ks     *keystore.Store
	keys   map[string]provision.DemoKey
	logs   *syncBuffer
}

// syncBuffer collects log output from concurrent requests.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type envOption func(*gateway.Config, *ledgerWrap)

// ledgerWrap lets a test put a hand-written fault in front of the real
// ledger.
type ledgerWrap struct {
	wrap func(credential.Ledger) credential.Ledger
}

func newAPIEnv(t testing.TB, opts ...envOption) *apiEnv {
	t.Helper()
	f := gateway.NewDemoFolder(t)
	l, ks, keys := f.Ledger, f.Keystore, f.Keys
	logs := &syncBuffer{}
	cfg := gateway.Config{PublicURL: publicURL, Logger: slog.New(slog.NewJSONHandler(logs, nil))}
	lw := &ledgerWrap{}
	for _, o := range opts {
		o(&cfg, lw)
	}
	var ledger credential.Ledger = l
	if lw.wrap != nil {
		ledger = lw.wrap(l)
	}
	srv, err := gateway.New(cfg, ledger, ks)
	if err != nil {
		t.Fatal(err)
	}
	return &apiEnv{srv: srv, ledger: ledger, ks: ks, keys: keys, logs: logs}
}

func (e *apiEnv) key(dept string) string { return e.keys[dept].APIKey }

type apiResponse struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r apiResponse) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("response %d is not JSON: %v\n%s", r.Status, err, r.Body)
	}
}

// do sends a request through the Fiber app. body may be nil, a string, a
// []byte or anything JSON-encodable; headers are name, value pairs.
func (e *apiEnv) do(t testing.TB, method, path, apiKey string, body any, headers ...string) apiResponse {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+apiKey)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e.srv.App().Test(req, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return apiResponse{Status: resp.StatusCode, Header: resp.Header, Body: raw}
}

// expectProblem checks an RFC 9457 answer: status, media type, every
// member, and the request ID matching the header.
func expectProblem(t testing.TB, r apiResponse, status int) gateway.Problem {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != gateway.ProblemContentType {
		t.Fatalf("Content-Type %q, want %s", ct, gateway.ProblemContentType)
	}
	var p gateway.Problem
	r.decode(t, &p)
	if p.Status != status || p.Title == "" || p.Detail == "" || !strings.HasPrefix(p.Type, "urn:certledger:problem:") || p.Instance == "" {
		t.Fatalf("incomplete problem: %+v", p)
	}
	if p.RequestID == "" || p.RequestID != r.Header.Get(gateway.HeaderRequestID) {
		t.Fatalf("problem requestId %q, header %q", p.RequestID, r.Header.Get(gateway.HeaderRequestID))
	}
	if !reasonPattern.MatchString(p.Reason) {
		t.Fatalf("problem reason %q is not a snake_case name", p.Reason)
	}
	return p
}

var reasonPattern = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// expectReason is expectProblem for an answer that must also have the
// given reason.
func expectReason(t testing.TB, r apiResponse, status int, reason string) gateway.Problem {
	t.Helper()
	p := expectProblem(t, r, status)
	if p.Reason != reason {
		t.Fatalf("reason %q, want %q: %s", p.Reason, reason, r.Body)
	}
	return p
}

func licenceBody(company string) map[string]any {
	return map[string]any{
		"type":   "business-licence",
		"holder": map[string]any{"name": company, "idType": "uscc", "idNumber": "91350100M000100Y43"},
		"fields": map[string]any{
			"companyName":         company,
			"entityType":          "有限责任公司",
			"legalRepresentative": "张三",
			"registeredCapital":   500,
			"establishedOn":       "2020-03-15",
			"address":             "福建省福州市鼓楼区五四路100号",
		},
		"validFrom":  "2024-01-01T00:00:00Z",
		"validUntil": "2034-01-01",
	}
}

// issuedAnswer is the body of a 201 from POST /api/v1/credentials.
type issuedAnswer struct {
	ID        string              `json:"id"`
	Document  credential.Document `json:"document"`
	VerifyURL string              `json:"verifyUrl"`
	QRURL     string              `json:"qrUrl"`
	Record    credential.Record   `json:"record"`
}

func (e *apiEnv) issue(t testing.TB, dept string, body any, headers ...string) (issuedAnswer, apiResponse) {
	t.Helper()
	r := e.do(t, "POST", "/api/v1/credentials", e.key(dept), body, headers...)
	var out issuedAnswer
	if r.Status == http.StatusCreated {
		r.decode(t, &out)
	}
	return out, r
}

func (e *apiEnv) mustIssue(t testing.TB, company string) issuedAnswer {
	t.Helper()
	out, r := e.issue(t, "samr", licenceBody(company))
	if r.Status != http.StatusCreated {
		t.Fatalf("issue: %d %s", r.Status, r.Body)
	}
	return out
}

// relative strips the public URL so a link can be requested from the app.
func relative(t testing.TB, u string) string {
	t.Helper()
	if !strings.HasPrefix(u, publicURL+"/") {
		t.Fatalf("%q does not start with the public URL %s", u, publicURL)
	}
	return strings.TrimPrefix(u, publicURL)
}

type verifyAnswer struct {
	Valid       bool                 `json:"valid"`
	Status      credential.Status    `json:"status"`
	Checks      []credential.Check   `json:"checks"`
	ID          string               `json:"id"`
	Record      *credential.Record   `json:"record"`
	TxID        string               `json:"txId"`
	BlockNumber uint64               `json:"blockNumber"`
	Token       string               `json:"token"`
	Disclosed   bool                 `json:"disclosed"`
	Document    *credential.Document `json:"document"`
	Fields      []struct {
		Name, LabelZh, LabelEn, Value string
	} `json:"fields"`
	Presented bool `json:"presented"`
	Withheld  []struct {
		Name, LabelZh, LabelEn string
	} `json:"withheld"`
	Type   *struct{ ID, NameZh string } `json:"type"`
	Issuer *struct{ ID, NameEn string } `json:"issuer"`
}

func (v verifyAnswer) check(name string) credential.Check {
	for _, c := range v.Checks {
		if c.Name == name {
			return c
		}
	}
	return credential.Check{Name: name, Detail: "missing"}
}

func (e *apiEnv) verify(t testing.TB, body any) verifyAnswer {
	t.Helper()
	r := e.do(t, "POST", "/api/v1/verify", "", body)
	if r.Status != http.StatusOK {
		t.Fatalf("verify: %d %s", r.Status, r.Body)
	}
	var v verifyAnswer
	r.decode(t, &v)
	return v
}

// listen serves the app on a loopback port until the test ends and returns
// its base URL.
func (e *apiEnv) listen(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = e.srv.Serve(ln); close(done) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = e.srv.Shutdown(ctx)
		<-done
	})
	return "http://" + ln.Addr().String()
}
