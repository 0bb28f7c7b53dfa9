package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certledger/certledger/gateway/atrest"
	"github.com/certledger/certledger/gateway/provision"
)

// demoProcess is `certledger serve` running as a user starts it.
type demoProcess struct {
	base   string
	stdout []string
	logs   *lockedBuffer
	stop   func()
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startDemoServe runs the binary on a free port with args and waits for its
// announcement on stdout and a healthy /healthz.
func startDemoServe(t *testing.T, dir string, args ...string) *demoProcess {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, binary, append([]string{"serve", "--data", dir, "--addr", addr}, args...)...)
	cmd.Env = append(os.Environ(), "CERTLEDGER_DEMO=", "CERTLEDGER_OIDC_ISSUER=", "CERTLEDGER_KEK=", "CERTLEDGER_KEK_FILE=")
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &demoProcess{base: "http://" + addr, logs: &lockedBuffer{}}
	cmd.Stderr = p.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string)
	go func() {
		s := bufio.NewScanner(out)
		for s.Scan() {
			lines <- s.Text()
		}
		close(lines)
	}()
	p.stop = func() { cancel(); _ = cmd.Wait() }
	t.Cleanup(p.stop)
	deadline := time.After(60 * time.Second)
	for !strings.HasPrefix(last(p.stdout), "CertLedger gateway on") {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("serve exited; stderr:\n%s", p.logs.String())
			}
			p.stdout = append(p.stdout, l)
		case <-deadline:
			t.Fatalf("serve did not announce itself; stderr:\n%s", p.logs.String())
		}
	}
	if strings.Contains(strings.Join(args, " "), "--demo") {
		select {
		case l := <-lines:
			p.stdout = append(p.stdout, l)
		case <-deadline:
			t.Fatal("no sign-in line")
		}
	}
	go func() {
		for range lines {
		}
	}()
	return p
}

func last(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[len(s)-1]
}

// TestServeDemoCitizenSignsIn: `serve --demo` says where a demo citizen
// signs in, writes the citizens' passwords to demo-keys.json (0600),
// issues the sample credentials once, and a citizen signs in through the
// demo provider with what the file says. Without --demo there is no
// provider and no sign-in.
func TestServeDemoCitizenSignsIn(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	p := startDemoServe(t, dir, "--demo")
	keysPath := filepath.Join(dir, provision.DemoKeysFile)
	if want := "Demo citizens sign in at " + p.base + "/me with a username and password from " + keysPath; !strings.HasPrefix(last(p.stdout), want) {
		t.Fatalf("stdout %q, want a line starting %q", p.stdout, want)
	}
	if fi, err := os.Stat(keysPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("demo-keys.json: %v", err)
	}
	// The log goes to stderr before the announcement to stdout, but the
	// two pipes are read apart, so the log may arrive a moment later.
	issued := regexp.MustCompile(`demo sample credentials issued.*count=7`)
	for deadline := time.Now().Add(10 * time.Second); !issued.MatchString(p.logs.String()); {
		if time.Now().After(deadline) {
			t.Fatalf("no sample issuance logged:\n%s", p.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	citizens, err := provision.ReadDemoCitizens(dir)
	if err != nil || len(citizens) < 4 {
		t.Fatalf("citizens: %v %v", citizens, err)
	}
	for _, c := range []provision.DemoCitizen{citizens[0], citizens[3]} {
		page := signInAs(t, p.base, c.Username, c.Password)
		if !strings.Contains(page, `data-signed-in="true"`) || !strings.Contains(page, c.Name) {
			t.Fatalf("%s signed in to:\n%s", c.Username, page)
		}
	}
	p.stop()

	// A restart keeps the passwords and issues nothing again.
	p = startDemoServe(t, dir, "--demo")
	if strings.Contains(p.logs.String(), "demo sample credentials issued") {
		t.Fatalf("a restart issued samples again:\n%s", p.logs.String())
	}
	if page := signInAs(t, p.base, citizens[1].Username, citizens[1].Password); !strings.Contains(page, citizens[1].Name) {
		t.Fatal("the password from the first start no longer signs in")
	}
	p.stop()

	p = startDemoServe(t, dir, "--kek-file", filepath.Join(dir, atrest.DemoFileName))
	for path, want := range map[string]int{"/demo-idp/.well-known/openid-configuration": http.StatusNotFound, "/me/login": http.StatusNotFound} {
		resp, err := http.Get(p.base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want || (path == "/me/login" && !strings.Contains(string(body), "sign_in_not_configured")) {
			t.Fatalf("without --demo, %s: %d %s", path, resp.StatusCode, body)
		}
	}
}

var loginForm = regexp.MustCompile(`name="authRequestID" value="([^"]+)"`)

// signInAs signs in at base/me/login through the provider's form and
// returns the page the sign-in ends on.
func signInAs(t *testing.T, base, username, password string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	resp, err := b.Get(base + "/me/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := loginForm.FindSubmatch(page)
	if m == nil {
		t.Fatalf("no login form at %s:\n%s", resp.Request.URL, page)
	}
	resp, err = b.PostForm(base+"/demo-idp/login", url.Values{"authRequestID": {string(m[1])}, "username": {username}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ = io.ReadAll(resp.Body)
	if resp.Request.URL.Path != "/me" {
		t.Fatalf("sign-in of %s ended at %s (%d):\n%s", username, resp.Request.URL, resp.StatusCode, page)
	}
	return string(page)
}
