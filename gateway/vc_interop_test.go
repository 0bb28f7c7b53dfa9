package gateway_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/certledger/certledger/credential/vc"
)

// interopDir holds verify.mjs and its pinned Digital Bazaar libraries
// (npm ci there installs them; .ci/run does it before go test). It sits in
// credential/vc's testdata, beside the contexts it reads, where Go ignores it.
const interopDir = "../credential/vc/testdata/interop"

// nodeVerifier returns the node binary, or skips the test when node or the
// installed libraries are absent; in CI (CI=true) it fails instead.
func nodeVerifier(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join(interopDir, "node_modules", "@digitalbazaar", "vc"))
	}
	if err != nil {
		msg := "the Node interoperability verifier is not installed (install Node 18 or later, then run npm ci --no-audit --no-fund in " + interopDir + "): " + err.Error()
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return node
}

type nodeResult struct {
	Verified bool `json:"verified"`
	Statuses []struct {
		Purpose string `json:"purpose"`
		Set     bool   `json:"set"`
	} `json:"statuses"`
	Error json.RawMessage `json:"error"`
}

// verifyWithNode runs verify.mjs on a credential, serving it the issuer's
// controller document and the status lists as the gateway serves them.
func (e *apiEnv) verifyWithNode(t *testing.T, node string, credential []byte) nodeResult {
	t.Helper()
	var c vc.Credential
	if err := json.Unmarshal(credential, &c); err != nil {
		t.Fatal(err)
	}
	urls := []string{c.Issuer.ID}
	for _, s := range c.CredentialStatus {
		urls = append(urls, s.StatusListCredential)
	}
	dir := t.TempDir()
	args := []string{"verify.mjs", filepath.Join(dir, "credential.json")}
	if err := os.WriteFile(args[1], credential, 0o600); err != nil {
		t.Fatal(err)
	}
	for i, u := range urls {
		r := e.do(t, "GET", relative(t, u), "", nil)
		if r.Status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", u, r.Status, r.Body)
		}
		p := filepath.Join(dir, "document"+strconv.Itoa(i)+".json")
		if err := os.WriteFile(p, r.Body, 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, p)
	}
	cmd := exec.CommandContext(t.Context(), node, args...)
	cmd.Dir = interopDir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) {
		t.Fatalf("node verify.mjs: %v\n%s%s", err, out, stderr.String())
	}
	var res nodeResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("verify.mjs printed no result: %v\n%s%s", err, out, stderr.String())
	}
	if res.Verified != (err == nil) {
		t.Fatalf("verify.mjs exit status %v disagrees with its result %s", err, out)
	}
	return res
}

// TestVCExportVerifiesWithDigitalBazaar checks the export against the
// verifier most VC tools use (the VC Playground's), not only our own.
func TestVCExportVerifiesWithDigitalBazaar(t *testing.T) {
	node := nodeVerifier(t)
	e := newAPIEnv(t)
	valid := e.mustIssue(t, "互操作有限公司")
	revoked := e.mustIssue(t, "已吊销互操作有限公司")
	e.pageChangeStatus(t, revoked.ID, "revoke", map[string]string{"reason": "吊销", "code": "penalty"})

	_, validVC := e.exportVC(t, valid.ID)
	_, revokedVC := e.exportVC(t, revoked.ID)
	var m map[string]any
	json.Unmarshal(validVC, &m)
	m["credentialSubject"].(map[string]any)["companyName"] = "冒名有限公司"
	tampered, _ := json.Marshal(m)

	// The tampered copy differs from the valid credential only in its
	// subject, and runs after it: once the valid one verified, its failure
	// can only come from the proof no longer matching.
	tests := []struct {
		name        string
		credential  []byte
		wantOK      bool
		wantRevoked bool
	}{
		{"valid credential", validVC, true, false},
		{"revoked credential verifies and shows its revocation bit", revokedVC, true, true},
		{"tampered credential subject", tampered, false, false},
	}
	for _, tc := range tests {
		ok := t.Run(tc.name, func(t *testing.T) {
			res := e.verifyWithNode(t, node, tc.credential)
			if res.Verified != tc.wantOK {
				t.Fatalf("verified %v, want %v; error %s", res.Verified, tc.wantOK, res.Error)
			}
			if !tc.wantOK {
				return
			}
			if len(res.Statuses) != 2 {
				t.Fatalf("statuses %+v, want revocation and suspension", res.Statuses)
			}
			for _, s := range res.Statuses {
				want := tc.wantRevoked && s.Purpose == vc.PurposeRevocation
				if s.Set != want {
					t.Fatalf("%s bit %v, want %v", s.Purpose, s.Set, want)
				}
			}
		})
		if !ok {
			break
		}
	}
}
