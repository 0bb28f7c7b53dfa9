package keystore_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/gateway/keystore"
)

func TestOpenCreatesPrivateStoreWithFreshSecrets(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gw")
	s, err := keystore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("store mode = %v, want 0600", fi.Mode().Perm())
	}
	di, _ := os.Stat(dir)
	if di.Mode().Perm() != 0o700 {
		t.Fatalf("folder mode = %v, want 0700", di.Mode().Perm())
	}
	sec := s.Secrets()
	for name, k := range map[string][]byte{"holder": sec.HolderKey, "token": sec.TokenKey, "idempotency": sec.IdempotencyKey, "session": sec.SessionKey} {
		if len(k) != keystore.SecretSize || bytes.Equal(k, make([]byte, keystore.SecretSize)) {
			t.Fatalf("%s key = %x, want %d random bytes", name, k, keystore.SecretSize)
		}
	}
	if bytes.Equal(sec.HolderKey, sec.TokenKey) || bytes.Equal(sec.TokenKey, sec.IdempotencyKey) || bytes.Equal(sec.IdempotencyKey, sec.SessionKey) {
		t.Fatal("gateway secrets are not independent")
	}
	other, err := keystore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(other.Secrets().HolderKey, sec.HolderKey) {
		t.Fatal("two stores got the same holder key")
	}
}

func TestStorePersistsAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := keystore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	apiKey, err := s.NewAPIKey("samr")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	sk, err := s.NewSigningKey("samr", now)
	if err != nil {
		t.Fatal(err)
	}
	if sk.KeyID != "samr-20260102T030405Z" {
		t.Fatalf("key ID = %s", sk.KeyID)
	}

	s2, err := keystore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(s2.Secrets().HolderKey, s.Secrets().HolderKey) || !bytes.Equal(s2.Secrets().TokenKey, s.Secrets().TokenKey) {
		t.Fatal("secrets changed across reopen")
	}
	if dept, ok := s2.Authenticate(apiKey); !ok || dept != "samr" {
		t.Fatalf("Authenticate after reopen = %q, %v", dept, ok)
	}
	keys := s2.SigningKeys("samr")
	if len(keys) != 1 || keys[0].KeyID != sk.KeyID || !keys[0].Private.Equal(sk.Private) {
		t.Fatalf("signing keys after reopen = %+v", keys)
	}
	raw, _ := os.ReadFile(s.Path())
	if strings.Contains(string(raw), apiKey) || strings.Contains(string(raw), strings.TrimPrefix(apiKey, keystore.APIKeyPrefix)) {
		t.Fatal("the store file contains the API key in the clear")
	}
}

func TestAuthenticate(t *testing.T) {
	s, err := keystore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	samr, _ := s.NewAPIKey("samr")
	edu, _ := s.NewAPIKey("edu")
	tests := []struct {
		name, key, want string
		ok              bool
	}{
		{"samr key", samr, "samr", true},
		{"edu key", edu, "edu", true},
		{"empty", "", "", false},
		{"without prefix", strings.TrimPrefix(samr, keystore.APIKeyPrefix), "", false},
		{"last character changed", samr[:len(samr)-1] + string(rune(samr[len(samr)-1]^1)), "", false},
		{"truncated", samr[:len(samr)-1], "", false},
		{"with suffix", samr + "x", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := s.Authenticate(tc.key)
			if got != tc.want || ok != tc.ok {
				t.Fatalf("Authenticate = %q, %v; want %q, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
	if !s.HasAPIKey("samr") || s.HasAPIKey("hrss") {
		t.Fatal("HasAPIKey is wrong")
	}
}

func TestOpenRefusesReadableStore(t *testing.T) {
	dir := t.TempDir()
	s, err := keystore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(s.Path(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := keystore.Open(dir); err == nil || !strings.Contains(err.Error(), "0600") {
		t.Fatalf("Open of a 0644 store: %v, want a refusal naming 0600", err)
	}
}

func TestOpenRejectsCorruptStore(t *testing.T) {
	tests := []struct{ name, content string }{
		{"not json", "{"},
		{"wrong version", `{"version":2}`},
		{"short secret", `{"version":1,"holderKey":"AAAA","tokenKey":"AAAA","idempotencyKey":"AAAA"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, keystore.FileName), []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := keystore.Open(dir); err == nil {
				t.Fatal("Open accepted a corrupt store")
			}
		})
	}
}

func TestPutSigningKeyReplacesSameID(t *testing.T) {
	s, err := keystore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	_, k1, _ := ed25519.GenerateKey(nil)
	_, k2, _ := ed25519.GenerateKey(nil)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.PutSigningKey(keystore.SigningKey{DeptID: "edu", KeyID: "edu-1", Private: k1, Created: t0}))
	must(s.PutSigningKey(keystore.SigningKey{DeptID: "edu", KeyID: "edu-2", Private: k2, Created: t0.Add(time.Hour)}))
	must(s.PutSigningKey(keystore.SigningKey{DeptID: "edu", KeyID: "edu-1", Private: k2, Created: t0}))
	keys := s.SigningKeys("edu")
	if len(keys) != 2 || keys[0].KeyID != "edu-2" || !keys[1].Private.Equal(k2) {
		t.Fatalf("keys = %+v, want edu-2 then the replaced edu-1", keys)
	}
	if err := s.PutSigningKey(keystore.SigningKey{DeptID: "edu", KeyID: "x"}); err == nil {
		t.Fatal("PutSigningKey accepted a key without private key")
	}
	if len(s.SigningKeys("samr")) != 0 {
		t.Fatal("another department got keys")
	}
}

func Example() {
	dir, _ := os.MkdirTemp("", "keystore-example")
	defer os.RemoveAll(dir)
	s, _ := keystore.Open(dir)
	key, _ := s.NewAPIKey("samr")
	dept, ok := s.Authenticate(key)
	fmt.Println(dept, ok, strings.HasPrefix(key, keystore.APIKeyPrefix))
	_, ok = s.Authenticate(keystore.APIKeyPrefix + "guessed")
	fmt.Println(ok)
	// Output:
	// samr true true
	// false
}

// A store written before session cookies existed has no sessionKey: it opens
// with its other secrets unchanged and a new session key, saved at once so
// the next open (another process, a restart) reads the same one.
func TestOpenAddsSessionKeyToOlderStore(t *testing.T) {
	dir := t.TempDir()
	s, err := keystore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	before := s.Secrets()
	raw, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	var f map[string]any
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	delete(f, "sessionKey")
	old, _ := json.Marshal(f)
	if err := os.WriteFile(s.Path(), old, 0o600); err != nil {
		t.Fatal(err)
	}

	s2, err := keystore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := s2.Secrets()
	if !bytes.Equal(got.HolderKey, before.HolderKey) || !bytes.Equal(got.TokenKey, before.TokenKey) || !bytes.Equal(got.IdempotencyKey, before.IdempotencyKey) {
		t.Fatal("the older store's secrets changed")
	}
	if len(got.SessionKey) != keystore.SecretSize || bytes.Equal(got.SessionKey, before.SessionKey) {
		t.Fatalf("session key %x: want a new %d-byte key", got.SessionKey, keystore.SecretSize)
	}
	s3, err := keystore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(s3.Secrets().SessionKey, got.SessionKey) {
		t.Fatal("the new session key was not saved")
	}
}
