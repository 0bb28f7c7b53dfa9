package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/gateway"
	"github.com/certledger/certledger/gateway/keystore"
)

func TestUnknownRouteAndMethod(t *testing.T) {
	e := newAPIEnv(t)
	cases := []struct {
		name, method, path string
		status             int
	}{
		{"unknown API path", "GET", "/api/v1/nothing-here", 404},
		{"unknown top-level path", "GET", "/wp-login.php", 404},
		{"wrong method", "DELETE", "/api/v1/types", 405},
		{"GET on a POST route", "GET", "/api/v1/verify", 405},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := expectProblem(t, e.do(t, tc.method, tc.path, "", nil), tc.status)
			if p.Instance != tc.path {
				t.Fatalf("instance %q, want %q", p.Instance, tc.path)
			}
		})
	}
}

func TestBodyLimit(t *testing.T) {
	e := newAPIEnv(t, func(c *gateway.Config, _ *ledgerWrap) { c.BodyLimit = 64 << 10 })
	// Fiber's server rejects the body while reading the request, which
	// app.Test cannot show: this needs a real connection.
	base := e.listen(t)
	post := func(t *testing.T, path, body string) apiResponse {
		req, _ := http.NewRequest("POST", base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+e.key("samr"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return apiResponse{Status: resp.StatusCode, Header: resp.Header, Body: b}
	}
	for _, path := range []string{"/api/v1/verify", "/api/v1/credentials"} {
		t.Run(path, func(t *testing.T) {
			p := expectProblem(t, announce(t, base, "POST", path, "application/json", e.key("samr"), 70<<10), 413)
			if !strings.Contains(p.Detail, "65536") {
				t.Fatalf("detail %q does not state the limit", p.Detail)
			}
		})
	}
	t.Run("just under the limit is parsed", func(t *testing.T) {
		// A QR text this long is rejected by the parser, not the limit.
		p := expectProblem(t, post(t, "/api/v1/verify", `{"qr":"`+strings.Repeat("x", 60<<10)+`"}`), 400)
		if !strings.Contains(p.Detail, "longer than") {
			t.Fatalf("detail %q", p.Detail)
		}
	})
	if !strings.Contains(e.logs.String(), `"status":413`) {
		t.Fatal("a rejected oversized request is missing from the access log")
	}
}

func TestTokenNeverLogged(t *testing.T) {
	e := newAPIEnv(t)
	lic := e.mustIssue(t, "日志脱敏有限公司")
	_, token, _ := credential.ParseVerifyURL(lic.VerifyURL)
	e.do(t, "GET", relative(t, lic.VerifyURL), "", nil)
	e.do(t, "GET", relative(t, lic.VerifyURL)+"&lang=en", "", nil)
	e.do(t, "GET", relative(t, lic.QRURL)+"?t="+token+"&size=256", "", nil)
	e.do(t, "GET", relative(t, lic.QRURL)+"?%74="+token, "", nil) // t, percent-encoded
	e.do(t, "POST", "/api/v1/verify", "", map[string]string{"qr": lic.VerifyURL})
	e.do(t, "GET", "/api/v1/credentials/"+lic.ID, e.key("samr"), nil)
	logs := e.logs.String()
	if strings.Contains(logs, token) {
		t.Fatalf("the access token appears in the logs:\n%s", logs)
	}
	for _, want := range []string{`"query":"t=REDACTED"`, `"query":"t=REDACTED&lang=en"`, `"query":"t=REDACTED&size=256"`, `"query":"%74=REDACTED"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
	for _, secret := range []string{e.key("samr"), "91350100M000100Y43"} {
		if strings.Contains(logs, secret) {
			t.Fatalf("logs contain %q", secret)
		}
	}
}

func TestAccessLogAndRequestID(t *testing.T) {
	e := newAPIEnv(t)
	r := e.do(t, "GET", "/api/v1/me", e.key("hrss"), nil, gateway.HeaderRequestID, "client-req-1")
	if r.Header.Get(gateway.HeaderRequestID) != "client-req-1" {
		t.Fatalf("request ID not kept: %q", r.Header.Get(gateway.HeaderRequestID))
	}
	r = e.do(t, "GET", "/api/v1/types", "", nil, gateway.HeaderRequestID, "bad id\"with quotes")
	if got := r.Header.Get(gateway.HeaderRequestID); got == "" || strings.Contains(got, "\"") {
		t.Fatalf("unsafe request ID kept: %q", got)
	}
	var line map[string]any
	for _, l := range strings.Split(strings.TrimSpace(e.logs.String()), "\n") {
		if strings.Contains(l, "client-req-1") {
			if err := json.Unmarshal([]byte(l), &line); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := map[string]any{"msg": "http", "requestId": "client-req-1", "method": "GET", "path": "/api/v1/me", "route": "/api/v1/me", "status": float64(200), "dept": "hrss"}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("access log %s = %v, want %v (line %v)", k, line[k], v, line)
		}
	}
}

func TestMetrics(t *testing.T) {
	e := newAPIEnv(t)
	lic := e.mustIssue(t, "指标有限公司")
	e.issue(t, "samr", licenceBody("指标有限公司"), "Idempotency-Key", "m-1")
	e.issue(t, "samr", licenceBody("指标有限公司"), "Idempotency-Key", "m-1")
	e.verify(t, map[string]any{"document": lic.Document})
	e.verify(t, map[string]any{"qr": lic.ID})
	e.do(t, "POST", "/api/v1/credentials/"+lic.ID+"/suspend", e.key("samr"), map[string]string{"reason": "指标"})
	e.do(t, "GET", "/no/such/"+lic.ID, "", nil)
	e.do(t, "GET", "/api/v1/credentials/"+lic.ID, e.key("edu"), nil)

	r := e.do(t, "GET", "/metrics", "", nil)
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("metrics: %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	body := string(r.Body)
	for _, want := range []string{
		`certledger_http_requests_total{method="POST",route="/api/v1/credentials",status="201"} 3`,
		`certledger_http_requests_total{method="GET",route="/api/v1/credentials/:id",status="403"} 1`,
		`certledger_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`certledger_http_request_duration_seconds_bucket{method="POST",route="/api/v1/verify",status="200",le="+Inf"} 2`,
		`certledger_issuances_total{outcome="issued",type="business-licence"} 2`,
		`certledger_issuances_total{outcome="replayed",type="business-licence"} 1`,
		`certledger_verifications_total{input="document",status="valid"} 1`,
		`certledger_verifications_total{input="qr",status="valid"} 1`,
		`certledger_status_changes_total{action="suspend"} 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, lic.ID) {
		t.Fatal("a credential identifier became a metric label")
	}
}

var fiberParam = regexp.MustCompile(`:([A-Za-z]+)`)

// TestOpenAPIMatchesRoutes keeps the hand-written description honest: every
// API route is described, and every described operation exists.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	e := newAPIEnv(t)
	r := e.do(t, "GET", "/api/v1/openapi.json", "", nil)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	r.decode(t, &doc)
	if r.Status != 200 || doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi: %d %q", r.Status, doc.OpenAPI)
	}
	described := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			if method != "parameters" {
				described[strings.ToUpper(method)+" "+path] = true
			}
		}
	}
	served := map[string]bool{}
	for _, rt := range e.srv.App().GetRoutes(true) {
		if rt.Method == "HEAD" || !(strings.HasPrefix(rt.Path, "/api/") || strings.HasPrefix(rt.Path, "/issuers/") || strings.HasPrefix(rt.Path, "/status/") ||
			strings.HasPrefix(rt.Path, "/me/") || strings.HasPrefix(rt.Path, "/console/") || strings.HasPrefix(rt.Path, "/s/") || rt.Path == "/healthz" || rt.Path == "/metrics") {
			continue
		}
		served[rt.Method+" "+fiberParam.ReplaceAllString(rt.Path, "{$1}")] = true
	}
	var missing, extra []string
	for op := range served {
		if !described[op] {
			missing = append(missing, op)
		}
	}
	for op := range described {
		if !served[op] {
			extra = append(extra, op)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 || len(extra) > 0 {
		t.Fatalf("routes not in openapi.json: %v\nopenapi.json operations not served: %v", missing, extra)
	}
	if len(served) < 14 {
		t.Fatalf("only %d routes found: %v", len(served), served)
	}
	// Every $ref must resolve.
	var raw map[string]any
	r.decode(t, &raw)
	for _, ref := range regexp.MustCompile(`"\$ref":"#/([^"]+)"`).FindAllStringSubmatch(string(r.Body), -1) {
		var node any = raw
		for _, part := range strings.Split(ref[1], "/") {
			m, ok := node.(map[string]any)
			if !ok || m[part] == nil {
				t.Fatalf("$ref #/%s does not resolve", ref[1])
			}
			node = m[part]
		}
	}
}

// someID is a well-formed identifier of a business licence.
var someID = credential.Identifier{TypeCode: "11100000MB02000124001", Issuer: "11100000MB02000124", Serial: "A", Version: 1}.String()

// failingLedger fails every record read the way a remote backend might,
// with internals that must not reach a client.
type failingLedger struct{ credential.Ledger }

var errInternals = errors.New("rpc error: code = Unavailable desc = peer0.samr:7051 tx 4f1c... secret internals")

func (failingLedger) Record(context.Context, string) (credential.Record, error) {
	return credential.Record{}, errInternals
}

func (failingLedger) Registry(context.Context) (credential.Registry, error) {
	return credential.Registry{}, errInternals
}

func TestInternalErrorsAreNotEchoed(t *testing.T) {
	e := newAPIEnv(t, func(_ *gateway.Config, w *ledgerWrap) {
		w.wrap = func(l credential.Ledger) credential.Ledger { return failingLedger{l} }
	})
	for _, tc := range []struct {
		name, method, path string
		body               any
		status             int
	}{
		{"types", "GET", "/api/v1/types", nil, 500},
		{"verify", "POST", "/api/v1/verify", map[string]string{"qr": someID}, 500},
		{"health", "GET", "/healthz", nil, 503},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(t, tc.method, tc.path, "", tc.body)
			p := expectProblem(t, r, tc.status)
			if strings.Contains(string(r.Body), "secret") || strings.Contains(string(r.Body), "peer0") {
				t.Fatalf("internals echoed: %s", r.Body)
			}
			if tc.status == 503 && r.Header.Get("Retry-After") == "" {
				t.Fatal("a 503 without Retry-After")
			}
			if tc.status == 500 && !strings.Contains(p.Detail, p.RequestID) {
				t.Fatalf("detail %q does not give the request ID", p.Detail)
			}
			if !strings.Contains(e.logs.String(), "secret internals") || !strings.Contains(e.logs.String(), p.RequestID) {
				t.Fatal("the internal error is not logged with its request ID")
			}
		})
	}
}

// keylessSecrets is a keystore that holds no signing keys.
type keylessSecrets struct{ *keystore.Store }

func (keylessSecrets) SigningKeys(string) []keystore.SigningKey { return nil }

func TestIssueWithoutSigningKey(t *testing.T) {
	e := newAPIEnv(t)
	srv, err := gateway.New(gateway.Config{PublicURL: publicURL, Logger: e.srv.Config().Logger}, e.ledger, keylessSecrets{e.ks})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	p := expectProblem(t, e.do(t, "POST", "/api/v1/credentials", e.key("samr"), licenceBody("无密钥有限公司")), 503)
	if !strings.Contains(p.Detail, "signing key") {
		t.Fatalf("detail %q", p.Detail)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	e := newAPIEnv(t)
	for _, cfg := range []gateway.Config{
		{PublicURL: "ftp://x"},
		{PublicURL: "https://x/?q=1"},
		{PublicURL: "verify.example"},
		{QRSize: 5000},
	} {
		if _, err := gateway.New(cfg, e.ledger, e.ks); err == nil {
			t.Errorf("New accepted %+v", cfg)
		}
	}
	if _, err := gateway.New(gateway.Config{}, nil, e.ks); err == nil {
		t.Error("New accepted a nil ledger")
	}
}

func TestServeAndShutdown(t *testing.T) {
	e := newAPIEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- e.srv.Serve(ln) }()
	resp, err := http.Get("http://" + ln.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Contains(b, []byte(`"ok"`)) {
		t.Fatalf("healthz: %d %s", resp.StatusCode, b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Serve returned %v after Shutdown", err)
	}
}

// panickingLedger panics on record reads, as a backend bug would.
type panickingLedger struct{ credential.Ledger }

func (panickingLedger) Record(context.Context, string) (credential.Record, error) {
	panic("backend bug")
}

func TestPanicBecomesAProblem(t *testing.T) {
	e := newAPIEnv(t, func(_ *gateway.Config, w *ledgerWrap) {
		w.wrap = func(l credential.Ledger) credential.Ledger { return panickingLedger{l} }
	})
	p := expectProblem(t, e.do(t, "POST", "/api/v1/verify", "", map[string]string{"qr": someID}), 500)
	if strings.Contains(p.Detail, "backend bug") || !strings.Contains(e.logs.String(), "backend bug") || !strings.Contains(e.logs.String(), "goroutine") {
		t.Fatalf("detail %q; logs:\n%s", p.Detail, e.logs.String())
	}
	// The server still answers.
	if r := e.do(t, "GET", "/api/v1/types", "", nil); r.Status != 200 {
		t.Fatalf("after a panic: %d", r.Status)
	}
}
