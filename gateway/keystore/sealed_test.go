package keystore_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/gateway/atrest"
	"github.com/certledger/certledger/gateway/keystore"
)

// secretForms are the ways a secret could show in the file: raw, base64 and
// hex.
func secretForms(b []byte) [][]byte {
	return [][]byte{b, []byte(base64.StdEncoding.EncodeToString(b)), []byte(base64.RawURLEncoding.EncodeToString(b)), []byte(hex.EncodeToString(b))}
}

func mustNotHold(t *testing.T, raw []byte, what string, secret []byte) {
	t.Helper()
	for _, form := range secretForms(secret) {
		if bytes.Contains(raw, form) {
			t.Errorf("the store file holds the %s in clear (%q)", what, form)
		}
	}
}

func TestStoreFileHoldsNoSecretInClear(t *testing.T) {
	dir := t.TempDir()
	s, err := keystore.Open(dir, kek)
	if err != nil {
		t.Fatal(err)
	}
	sk, err := s.NewSigningKey("samr", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	mustNotHold(t, raw, "signing seed", sk.Private.Seed())
	sec := s.Secrets()
	mustNotHold(t, raw, "holder key", sec.HolderKey)
	mustNotHold(t, raw, "token key", sec.TokenKey)
	mustNotHold(t, raw, "idempotency key", sec.IdempotencyKey)
	for _, clear := range []string{"samr", "signingKeys", "holderKey"} {
		if bytes.Contains(raw, []byte(clear)) {
			t.Errorf("the store file shows %q in clear", clear)
		}
	}
	var env struct {
		Envelope int    `json:"envelope"`
		KEK      string `json:"kek"`
		Alg      string `json:"alg"`
	}
	if err := json.Unmarshal(raw, &env); err != nil || env.Envelope != 1 || env.KEK != kek.ID() || env.Alg != atrest.Algorithm {
		t.Fatalf("the store file is not an envelope naming the KEK %s: %+v %v\n%s", kek.ID(), env, err, raw)
	}
}

func TestOpenRefusesAnotherKEK(t *testing.T) {
	dir := t.TempDir()
	if _, err := keystore.Open(dir, kek); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(dir, keystore.FileName))
	other := atrest.Generate()
	_, err := keystore.Open(dir, other)
	var wrong *atrest.WrongKEKError
	if !errors.As(err, &wrong) || wrong.Sealed != kek.ID() || wrong.Given != other.ID() {
		t.Fatalf("Open with another KEK: %v, want a *WrongKEKError from %s to %s", err, kek.ID(), other.ID())
	}
	for _, want := range []string{kek.ID(), other.ID(), keystore.FileName, "--kek-file", atrest.EnvKEK} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if after, _ := os.ReadFile(filepath.Join(dir, keystore.FileName)); !bytes.Equal(before, after) {
		t.Fatal("a refused Open changed the store file")
	}
	if _, err := keystore.Open(dir, atrest.KEK{}); err == nil || !strings.Contains(err.Error(), "kek generate") {
		t.Fatalf("Open without a KEK: %v, want a refusal saying how to make one", err)
	}
}

func TestOpenRefusesAlteredEnvelope(t *testing.T) {
	tests := []struct {
		name   string
		change func(env map[string]any)
		want   string
	}{
		{"ciphertext changed", func(env map[string]any) {
			ct, _ := base64.StdEncoding.DecodeString(env["ciphertext"].(string))
			ct[len(ct)/2] ^= 1
			env["ciphertext"] = base64.StdEncoding.EncodeToString(ct)
		}, "damaged or was altered"},
		{"nonce changed", func(env map[string]any) {
			n, _ := base64.StdEncoding.DecodeString(env["nonce"].(string))
			n[0] ^= 1
			env["nonce"] = base64.StdEncoding.EncodeToString(n)
		}, "damaged or was altered"},
		{"ciphertext not base64", func(env map[string]any) { env["ciphertext"] = "!" }, "not base64"},
		{"unknown envelope version", func(env map[string]any) { env["envelope"] = 9 }, "unsupported envelope"},
		{"another KEK named", func(env map[string]any) { env["kek"] = "0123456789abcdef" }, "0123456789abcdef"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if _, err := keystore.Open(dir, kek); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, keystore.FileName)
			raw, _ := os.ReadFile(path)
			var env map[string]any
			if err := json.Unmarshal(raw, &env); err != nil {
				t.Fatal(err)
			}
			tc.change(env)
			raw, _ = json.Marshal(env)
			if err := os.WriteFile(path, raw, 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := keystore.Open(dir, kek); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open: %v, want an error saying %q", err, tc.want)
			}
		})
	}
}

// clearStore is a keystore.json as releases before encryption wrote it.
func clearStore(t *testing.T, seed []byte, holderKey []byte) []byte {
	t.Helper()
	k := base64.StdEncoding.EncodeToString
	return fmt.Appendf(nil, `{
  "version": 1,
  "holderKey": %q,
  "tokenKey": %q,
  "idempotencyKey": %q,
  "apiKeys": [{"dept": "samr", "sha256": %q, "created": "2026-01-02T03:04:05Z"}],
  "signingKeys": [{"dept": "samr", "kid": "samr-20260102T030405Z", "seed": %q, "created": "2026-01-02T03:04:05Z"}]
}
`, k(holderKey), k(bytes.Repeat([]byte{2}, 32)), k(bytes.Repeat([]byte{3}, 32)),
		hex.EncodeToString(bytes.Repeat([]byte{4}, 32)), k(seed))
}

func TestClearStoreIsSealedOnFirstOpen(t *testing.T) {
	dir := t.TempDir()
	seed, holderKey := bytes.Repeat([]byte{7}, ed25519.SeedSize), bytes.Repeat([]byte{1}, 32)
	path := filepath.Join(dir, keystore.FileName)
	if err := os.WriteFile(path, clearStore(t, seed, holderKey), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := keystore.Open(dir, kek)
	if err != nil {
		t.Fatal(err)
	}
	keys := s.SigningKeys("samr")
	if len(keys) != 1 || !bytes.Equal(keys[0].Private.Seed(), seed) || !bytes.Equal(s.Secrets().HolderKey, holderKey) || len(s.LegacyAPIKeys()) != 1 {
		t.Fatalf("the clear store's content was not kept: %+v", keys)
	}
	raw, _ := os.ReadFile(path)
	mustNotHold(t, raw, "signing seed", seed)
	mustNotHold(t, raw, "holder key", holderKey)
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v after sealing", fi.Mode().Perm())
	}
	again, err := keystore.Open(dir, kek)
	if err != nil || !again.SigningKeys("samr")[0].Private.Equal(keys[0].Private) {
		t.Fatalf("reopening the sealed store: %v", err)
	}
}

func TestRekey(t *testing.T) {
	from, to := atrest.Generate(), atrest.Generate()
	dir := t.TempDir()
	s, err := keystore.Open(dir, from)
	if err != nil {
		t.Fatal(err)
	}
	sk, err := s.NewSigningKey("edu", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, false} { // a second run finds the work done
		changed, err := keystore.Rekey(dir, from, to)
		if err != nil || changed != want {
			t.Fatalf("Rekey run %d: changed %v, %v; want %v", i+1, changed, err, want)
		}
	}
	var wrong *atrest.WrongKEKError
	if _, err := keystore.Open(dir, from); !errors.As(err, &wrong) {
		t.Fatalf("Open under the old KEK after Rekey: %v, want a *WrongKEKError", err)
	}
	s2, err := keystore.Open(dir, to)
	if err != nil {
		t.Fatal(err)
	}
	if k := s2.SigningKeys("edu"); len(k) != 1 || !k[0].Private.Equal(sk.Private) || !bytes.Equal(s2.Secrets().TokenKey, s.Secrets().TokenKey) {
		t.Fatal("Rekey lost the store's content")
	}
	// Back, in one step; then neither KEK given is the store's.
	if changed, err := keystore.Rekey(dir, to, from); err != nil || !changed {
		t.Fatalf("Rekey back: %v, %v", changed, err)
	}
	if _, err := keystore.Rekey(dir, to, atrest.Generate()); !errors.As(err, &wrong) {
		t.Fatalf("Rekey from a KEK the store is not under: %v, want a *WrongKEKError", err)
	}
	// A clear store is sealed under the new KEK.
	clearDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(clearDir, keystore.FileName), clearStore(t, bytes.Repeat([]byte{9}, 32), bytes.Repeat([]byte{8}, 32)), 0o600); err != nil {
		t.Fatal(err)
	}
	if changed, err := keystore.Rekey(clearDir, from, to); err != nil || !changed {
		t.Fatalf("Rekey of a clear store: %v, %v", changed, err)
	}
	if _, err := keystore.Open(clearDir, to); err != nil {
		t.Fatal(err)
	}
	if _, err := keystore.Rekey(t.TempDir(), from, to); err == nil {
		t.Fatal("Rekey of a folder without a store succeeded")
	}
	if _, err := keystore.Rekey(dir, from, atrest.KEK{}); err == nil {
		t.Fatal("Rekey to no KEK succeeded")
	}
}
