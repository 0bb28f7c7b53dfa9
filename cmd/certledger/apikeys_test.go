package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
	"github.com/certledger/certledger/gateway/apiclient"
	"github.com/certledger/certledger/gateway/atrest"
	"github.com/certledger/certledger/gateway/keystore"
	"github.com/certledger/certledger/network/scenario"
)

// runCLIEnv runs the command with extra environment variables.
func runCLIEnv(t *testing.T, env []string, args ...string) cliResult {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(append(os.Environ(), "CERTLEDGER_GATEWAY=", "CERTLEDGER_API_KEY="), env...)
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

// TestAPIKeysCommand: governance creates a key for samr with a label and an
// expiry, samr lists its keys (its department found from its own key) and
// revokes that key, which the gateway then refuses.
func TestAPIKeysCommand(t *testing.T) {
	g := startGateway(t)
	as := func(dept string) []string {
		return []string{"CERTLEDGER_GATEWAY=" + g.URL, "CERTLEDGER_API_KEY=" + g.Keys[dept].APIKey}
	}
	expires := time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second)
	res := runCLIEnv(t, as("gov"), "api-keys", "create", "--dept", "samr", "--label", "batch import", "--expires", expires.Format(time.RFC3339))
	if res.Code != 0 {
		t.Fatalf("create: exit %d\n%s", res.Code, res.Stderr)
	}
	secret := strings.TrimSpace(res.Stdout)
	if !strings.HasPrefix(secret, "clk_") || strings.Count(res.Stdout, "\n") != 1 {
		t.Fatalf("create printed %q, want the key alone", res.Stdout)
	}
	mustContain(t, "create's message", res.Stderr, "created ak_", secret[:12], "for samr", "only time")

	res = runCLIEnv(t, as("samr"), "api-keys", "list")
	if res.Code != 0 {
		t.Fatalf("list: exit %d\n%s", res.Code, res.Stderr)
	}
	mustContain(t, "the table", res.Stdout, "ID", "LAST USED", secret[:12], "batch import", "by gov (ak_", expires.Format("2006-01-02T15:04Z"))
	if strings.Contains(res.Stdout, secret) {
		t.Fatal("the list shows the key")
	}

	res = runCLIEnv(t, as("samr"), "api-keys", "list", "--json")
	var keys []apiclient.APIKey
	if err := json.Unmarshal([]byte(res.Stdout), &keys); err != nil || res.Code != 0 {
		t.Fatalf("list --json: exit %d %v\n%s", res.Code, err, res.Stdout)
	}
	var made apiclient.APIKey
	for _, k := range keys {
		if k.Prefix == secret[:12] {
			made = k
		}
	}
	if made.CreatedBy != "gov" || made.Label != "batch import" || !made.ExpiresAt.Equal(expires) || made.Status != "active" {
		t.Fatalf("the key governance made is listed as %+v", made)
	}

	res = runCLIEnv(t, as("samr"), "api-keys", "revoke", made.ID)
	if res.Code != 0 {
		t.Fatalf("revoke: exit %d\n%s", res.Code, res.Stderr)
	}
	mustContain(t, "revoke's message", res.Stdout, "revoked "+made.ID+" of samr", "by samr")
	res = runCLIEnv(t, []string{"CERTLEDGER_GATEWAY=" + g.URL, "CERTLEDGER_API_KEY=" + secret}, "api-keys", "list")
	if res.Code != 1 || !strings.Contains(res.Stderr, "api_key_revoked") {
		t.Fatalf("with the revoked key: exit %d\n%s", res.Code, res.Stderr)
	}
	res = runCLIEnv(t, as("edu"), "api-keys", "revoke", "--dept", "samr", keys[0].ID)
	if res.Code != 1 || !strings.Contains(res.Stderr, "not_key_owner") {
		t.Fatalf("edu revoking samr's key: exit %d\n%s", res.Code, res.Stderr)
	}
}

func TestAPIKeysCommandUsage(t *testing.T) {
	gw := []string{"CERTLEDGER_GATEWAY=http://127.0.0.1:1", "CERTLEDGER_API_KEY=clk_x"} // never reached
	cases := []struct {
		name   string
		env    []string
		args   []string
		stderr string
	}{
		{"no subcommand", gw, []string{"api-keys"}, "usage: certledger api-keys"},
		{"unknown subcommand", gw, []string{"api-keys", "rotate"}, "unknown subcommand"},
		{"revoke without an id", gw, []string{"api-keys", "revoke"}, "ak_…"},
		{"list with an argument", gw, []string{"api-keys", "list", "extra"}, "unexpected arguments"},
		{"bad expiry", gw, []string{"api-keys", "create", "--expires", "next week"}, "--expires"},
		{"no gateway", nil, []string{"api-keys", "list", "--key", "clk_x"}, "--gateway"},
		{"no key", []string{"CERTLEDGER_GATEWAY=http://127.0.0.1:1"}, []string{"api-keys", "list"}, "CERTLEDGER_API_KEY"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := runCLIEnv(t, tc.env, tc.args...)
			if res.Code != 2 || !strings.Contains(res.Stderr, tc.stderr) {
				t.Fatalf("exit %d, want 2 with %q\n%s", res.Code, tc.stderr, res.Stderr)
			}
		})
	}
}

func TestParseExpiry(t *testing.T) {
	now := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"2027-01-02T15:04:05Z": time.Date(2027, 1, 2, 15, 4, 5, 0, time.UTC),
		"720h":                 now.Add(720 * time.Hour),
	} {
		if got, err := parseExpiry(in, now); err != nil || !got.Equal(want) {
			t.Errorf("%q: %v %v, want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1h", "2027-01-02", "soon"} {
		if _, err := parseExpiry(in, now); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

// TestServeMovesKeystoreAPIKeysToTheLedger: a data folder whose
// keystore.json holds an API key hash, as earlier releases kept them, is
// served with that key working, listed as migrated, and gone from the
// keystore.
func TestServeMovesKeystoreAPIKeysToTheLedger(t *testing.T) {
	dir := demoFolder(t)
	old := "clk_" + strings.Repeat("M", 43)
	writeClearKeystore(t, dir, []map[string]string{{"dept": "samr", "sha256": credential.APIKeyHash(old), "created": "2025-06-01T08:00:00Z"}})

	srv := &scenario.Server{Bin: binary, DataDir: dir, KEKFile: demoKEKFile(dir)}
	srv.Start(t)
	t.Cleanup(srv.Close)
	c := &apiclient.Client{BaseURL: srv.URL(), APIKey: old}
	if dept, err := c.Department(t.Context()); err != nil || dept != "samr" {
		t.Fatalf("the keystore's key: %q %v", dept, err)
	}
	gov := &apiclient.Client{BaseURL: srv.URL(), APIKey: srv.Keys()["gov"].APIKey}
	keys, err := gov.ListAPIKeys(t.Context(), "samr")
	if err != nil {
		t.Fatal(err)
	}
	id := credential.APIKeyIDOf(credential.APIKeyHash(old))
	var found bool
	for _, k := range keys {
		found = found || k.ID == id && k.Label == "migrated from keystore.json (created 2025-06-01)" && k.CreatedBy == "samr"
	}
	if !found {
		t.Fatalf("samr's keys %+v lack the migrated %s", keys, id)
	}
	srv.Stop(t)
	kek, _, err := atrest.LoadOrCreateDemo(dir)
	if err != nil {
		t.Fatal(err)
	}
	ks, err := keystore.Open(dir, kek)
	if err != nil {
		t.Fatal(err)
	}
	if legacy := ks.LegacyAPIKeys(); len(legacy) != 0 {
		t.Fatalf("the keystore still holds the migrated key's hash: %+v", legacy)
	}
}

// writeClearKeystore rewrites the folder's sealed keystore as the clear
// file of an earlier release, holding apiKeys beside its secrets and
// signing keys.
func writeClearKeystore(t *testing.T, dir string, apiKeys []map[string]string) {
	t.Helper()
	kek, _, err := atrest.LoadOrCreateDemo(dir)
	if err != nil {
		t.Fatal(err)
	}
	ks, err := keystore.Open(dir, kek)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.StdEncoding.EncodeToString
	sec := ks.Secrets()
	signing := []map[string]any{}
	for _, d := range demo.Departments() {
		for _, k := range ks.SigningKeys(d.ID) {
			signing = append(signing, map[string]any{"dept": k.DeptID, "kid": k.KeyID, "seed": b64(k.Private.Seed()), "created": k.Created})
		}
	}
	clear := map[string]any{"version": 1, "holderKey": b64(sec.HolderKey), "tokenKey": b64(sec.TokenKey),
		"idempotencyKey": b64(sec.IdempotencyKey), "apiKeys": apiKeys, "signingKeys": signing}
	if err := os.WriteFile(filepath.Join(dir, keystore.FileName), mustJSON(t, clear), 0o600); err != nil {
		t.Fatal(err)
	}
}
