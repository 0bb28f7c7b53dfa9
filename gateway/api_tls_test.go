package gateway_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/gateway"
)

// selfSigned writes a certificate for 127.0.0.1 and its key to dir.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "certledger test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile, pool
}

func TestServesTLS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t, t.TempDir())
	e := newAPIEnv(t, func(c *gateway.Config, _ *ledgerWrap) { c.TLSCert, c.TLSKey = certFile, keyFile })
	if got := e.srv.Config().PublicURL; got != publicURL {
		t.Fatalf("public URL %q changed", got)
	}
	addr := strings.TrimPrefix(e.listen(t), "http://")
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	for _, path := range []string{"/api/v1/types", "/"} {
		resp, err := client.Get("https://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.TLS == nil {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		if got := resp.Header.Get("Strict-Transport-Security"); got != "max-age=31536000" {
			t.Fatalf("%s: Strict-Transport-Security %q", path, got)
		}
		if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Fatalf("%s: X-Content-Type-Options %q", path, got)
		}
	}
	// Plain HTTP on the TLS port is refused, not served.
	if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Fatal("plain HTTP served")
		}
	}
}

func TestTLSConfigChecked(t *testing.T) {
	certFile, keyFile, _ := selfSigned(t, t.TempDir())
	e := newAPIEnv(t)
	for _, cfg := range []gateway.Config{
		{TLSCert: certFile},
		{TLSKey: keyFile},
		{TLSCert: keyFile, TLSKey: certFile},
	} {
		if _, err := gateway.New(cfg, e.ledger, e.ks); err == nil {
			t.Errorf("New accepted %+v", cfg)
		}
	}
}

func TestAPIAnswersNoSniff(t *testing.T) {
	e := newAPIEnv(t)
	for _, path := range []string{"/api/v1/types", "/api/v1/me", "/no/such/path"} {
		r := e.do(t, "GET", path, "", nil)
		if got := r.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s (%d): X-Content-Type-Options %q", path, r.Status, got)
		}
		if got := r.Header.Get("Strict-Transport-Security"); got != "" {
			t.Errorf("%s: HSTS %q over plain HTTP", path, got)
		}
	}
}

// TestCompromiseAuthenticatesFirst: without a valid key the body is not
// looked at, so a bad body is still a 401 and tells nothing.
func TestCompromiseAuthenticatesFirst(t *testing.T) {
	e := newAPIEnv(t)
	kid := e.department(t, "samr").Keys[0].ID
	for _, key := range []string{"", "clk_wrong"} {
		r := e.do(t, "POST", "/api/v1/departments/samr/keys/"+kid+"/compromise", key, map[string]any{"compromisedAt": "yesterday"})
		expectProblem(t, r, http.StatusUnauthorized)
	}
	r := e.do(t, "POST", "/api/v1/departments/samr/keys/"+kid+"/compromise", e.key("hrss"), map[string]any{"compromisedAt": "yesterday"})
	expectProblem(t, r, http.StatusForbidden)
}
