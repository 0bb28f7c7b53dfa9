package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/gateway"
	"github.com/certledger/certledger/gateway/atrest"
	"github.com/certledger/certledger/gateway/keystore"
	"github.com/certledger/certledger/gateway/ledger/embedded"
	"github.com/certledger/certledger/gateway/provision"
	"github.com/certledger/certledger/network/scenario"
)

// binary is the certledger command built once for the tests that run it
// as a user would.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "certledger-cli-test")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "certledger")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		os.RemoveAll(dir)
		panic("building certledger: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cliResult is what one run of the command printed and how it exited.
type cliResult struct {
	Stdout, Stderr string
	Code           int
}

func runCLI(t *testing.T, args ...string) cliResult {
	t.Helper()
	return runCLIStdin(t, nil, args...)
}

func runCLIStdin(t *testing.T, stdin []byte, args ...string) cliResult {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	cmd.Env = append(os.Environ(), "CERTLEDGER_GATEWAY=")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	res := cliResult{Stdout: out.String(), Stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		res.Code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return res
}

// cliGateway is a gateway on an embedded demo ledger, served on loopback.
type cliGateway struct {
	URL  string
	Dir  string
	Keys map[string]provision.DemoKey
	srv  *gateway.Server
	l    *embedded.Ledger
}

// provisionDemo provisions the demo on an embedded ledger in a new data
// folder, sealed under the folder's demo KEK as `serve --demo` makes it
// (demoKEKFile), and leaves the ledger open.
func provisionDemo(t *testing.T) (string, *embedded.Ledger, *keystore.Store) {
	t.Helper()
	dir := t.TempDir()
	kek, _, err := atrest.LoadOrCreateDemo(dir)
	if err != nil {
		t.Fatal(err)
	}
	l, err := embedded.Open(dir, kek, embedded.WithNoSync())
	if err != nil {
		t.Fatal(err)
	}
	ks, err := keystore.Open(dir, kek)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := provision.Demo(context.Background(), l, ks, dir, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	return dir, l, ks
}

// demoKEKFile is the KEK of a folder provisionDemo made.
func demoKEKFile(dir string) string { return filepath.Join(dir, atrest.DemoFileName) }

func startGateway(t *testing.T) *cliGateway {
	t.Helper()
	dir, l, ks := provisionDemo(t)
	keys, err := provision.ReadDemoKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	srv, err := gateway.New(gateway.Config{PublicURL: url, Logger: slog.New(slog.DiscardHandler)}, l, ks)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = srv.Serve(ln); close(done) }()
	g := &cliGateway{URL: url, Dir: dir, Keys: keys, srv: srv, l: l}
	t.Cleanup(g.stop)
	return g
}

// stop shuts the gateway down and closes the ledger (so --data can open
// it); it may run twice.
func (g *cliGateway) stop() {
	if g.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = g.srv.Shutdown(ctx)
	_ = g.l.Close()
	g.srv = nil
}

// call sends a JSON request as a department and decodes the answer.
func (g *cliGateway) call(t *testing.T, method, path, dept string, body, out any) int {
	t.Helper()
	r := scenario.NewClient(g.URL, time.Minute).Request(t, method, path, g.Keys[dept].APIKey, body)
	if out != nil && r.Status < 300 {
		r.JSON(t, out)
	}
	if r.Status >= 300 && out != nil {
		t.Logf("%s %s: %d %s", method, path, r.Status, r.Body)
	}
	return r.Status
}

// issued is the part of an issuance answer the CLI tests use.
type issued struct {
	ID        string          `json:"id"`
	Document  json.RawMessage `json:"document"`
	VerifyURL string          `json:"verifyUrl"`
}

func (g *cliGateway) issueLicence(t *testing.T, company string) issued {
	t.Helper()
	body := map[string]any{
		"type":   "business-licence",
		"holder": map[string]any{"name": company, "idType": "uscc", "idNumber": "91350100M000100Y43"},
		"fields": map[string]any{"companyName": company, "entityType": "有限责任公司", "legalRepresentative": "张三",
			"establishedOn": "2020-03-15", "address": "福建省福州市鼓楼区五四路100号"},
	}
	var out issued
	if st := g.call(t, "POST", "/api/v1/credentials", "samr", body, &out); st != http.StatusCreated {
		t.Fatalf("issue: %d", st)
	}
	return out
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func mustContain(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s does not mention %q:\n%s", what, w, text)
		}
	}
}
