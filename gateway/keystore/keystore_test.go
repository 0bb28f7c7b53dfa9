package keystore_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/gateway/atrest"
	"github.com/certledger/certledger/gateway/keystore"
)

// kek seals every store of these tests.
var kek = atrest.Generate()

func TestOpenCreatesPrivateStoreWithFreshSecrets(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gw")
	s, err := keystore.Open(dir, kek)
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
	other, err := keystore.Open(t.TempDir(), kek)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(other.Secrets().HolderKey, sec.HolderKey) {
		t.Fatal("two stores got the same holder key")
	}
}

func TestStorePersistsAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := keystore.Open(dir, kek)
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

	s2, err := keystore.Open(dir, kek)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(s2.Secrets().HolderKey, s.Secrets().HolderKey) || !bytes.Equal(s2.Secrets().TokenKey, s.Secrets().TokenKey) {
		t.Fatal("secrets changed across reopen")
	}
	keys := s2.SigningKeys("samr")
	if len(keys) != 1 || keys[0].KeyID != sk.KeyID || !keys[0].Private.Equal(sk.Private) {
		t.Fatalf("signing keys after reopen = %+v", keys)
	}
}

// A keystore.json of an earlier release holds API key hashes: they are
// read as legacy keys until the gateway has recorded them on the ledger
// and forgets them, which persists.
func TestLegacyAPIKeys(t *testing.T) {
	dir := t.TempDir()
	secret := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, keystore.SecretSize))
	samr, edu := strings.Repeat("ab", 32), strings.Repeat("cd", 32)
	old := fmt.Sprintf(`{"version": 1, "holderKey": %q, "tokenKey": %q, "idempotencyKey": %q,
		"apiKeys": [{"dept": "samr", "sha256": %q, "created": "2025-06-01T08:00:00Z"},
		            {"dept": "edu", "sha256": %q, "created": "2025-07-01T08:00:00Z"}],
		"signingKeys": []}`, secret, secret, secret, samr, edu)
	if err := os.WriteFile(filepath.Join(dir, keystore.FileName), []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := keystore.Open(dir, kek)
	if err != nil {
		t.Fatal(err)
	}
	want := []keystore.LegacyAPIKey{
		{DeptID: "samr", SHA256: samr, Created: time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)},
		{DeptID: "edu", SHA256: edu, Created: time.Date(2025, 7, 1, 8, 0, 0, 0, time.UTC)},
	}
	if got := s.LegacyAPIKeys(); !reflect.DeepEqual(got, want) {
		t.Fatalf("legacy keys %+v, want %+v", got, want)
	}
	if err := s.ForgetAPIKeys([]string{samr, strings.Repeat("ef", 32)}); err != nil {
		t.Fatal(err)
	}
	s2, err := keystore.Open(dir, kek)
	if err != nil {
		t.Fatal(err)
	}
	if got := s2.LegacyAPIKeys(); !reflect.DeepEqual(got, want[1:]) {
		t.Fatalf("after forgetting samr's key and reopening: %+v, want %+v", got, want[1:])
	}
	if !bytes.Equal(s2.Secrets().HolderKey, bytes.Repeat([]byte{7}, keystore.SecretSize)) {
		t.Fatal("forgetting API keys changed the secrets")
	}
}

func TestOpenRefusesReadableStore(t *testing.T) {
	dir := t.TempDir()
	s, err := keystore.Open(dir, kek)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(s.Path(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := keystore.Open(dir, kek); err == nil || !strings.Contains(err.Error(), "0600") {
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
			if _, err := keystore.Open(dir, kek); err == nil {
				t.Fatal("Open accepted a corrupt store")
			}
		})
	}
}

func TestPutSigningKeyReplacesSameID(t *testing.T) {
	s, err := keystore.Open(t.TempDir(), kek)
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
	s, _ := keystore.Open(dir, kek)
	k, _ := s.NewSigningKey("samr", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	held := s.SigningKeys("samr")
	fmt.Println(k.KeyID, len(held), held[0].Private.Equal(k.Private))
	// Output:
	// samr-20260102T030405Z 1 true
}

// A store written before session cookies existed has no sessionKey: it opens
// with its other secrets unchanged and a new session key, saved at once so
// the next open (another process, a restart) reads the same one.
func TestOpenAddsSessionKeyToOlderStore(t *testing.T) {
	dir := t.TempDir()
	holderKey, tokenKey := bytes.Repeat([]byte{1}, keystore.SecretSize), bytes.Repeat([]byte{2}, keystore.SecretSize)
	b64 := base64.StdEncoding.EncodeToString
	old, _ := json.Marshal(map[string]any{"version": 1, "holderKey": b64(holderKey), "tokenKey": b64(tokenKey),
		"idempotencyKey": b64(tokenKey), "apiKeys": []any{}, "signingKeys": []any{}})
	if err := os.WriteFile(filepath.Join(dir, keystore.FileName), old, 0o600); err != nil {
		t.Fatal(err)
	}
	s2, err := keystore.Open(dir, kek)
	if err != nil {
		t.Fatal(err)
	}
	got := s2.Secrets()
	if !bytes.Equal(got.HolderKey, holderKey) || !bytes.Equal(got.TokenKey, tokenKey) || !bytes.Equal(got.IdempotencyKey, tokenKey) {
		t.Fatal("the older store's secrets changed")
	}
	if len(got.SessionKey) != keystore.SecretSize {
		t.Fatalf("session key %x: want a new %d-byte key", got.SessionKey, keystore.SecretSize)
	}
	s3, err := keystore.Open(dir, kek)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(s3.Secrets().SessionKey, got.SessionKey) {
		t.Fatal("the new session key was not saved")
	}
}
