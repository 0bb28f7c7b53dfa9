package credential_test

import (
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
)

func TestGenerateAPIKey(t *testing.T) {
	secret, req := credential.GenerateAPIKey("samr")
	other, _ := credential.GenerateAPIKey("samr")
	if secret == other || !strings.HasPrefix(secret, credential.APIKeySecretPrefix) || len(secret) != 4+43 {
		t.Fatalf("keys %q, %q: want two distinct clk_ keys of 32 random bytes", secret, other)
	}
	if req.Dept != "samr" || req.SHA256 != credential.APIKeyHash(secret) || req.ID != credential.APIKeyIDOf(req.SHA256) ||
		req.Prefix != secret[:credential.APIKeyPublicPrefixLength] {
		t.Fatalf("request %+v does not describe %q", req, secret)
	}
	if !credential.ValidAPIKeyID(req.ID) || !credential.ValidAPIKeyHash(req.SHA256) || !credential.ValidAPIKeyPrefix(req.Prefix) {
		t.Fatalf("request %+v fails its own checks", req)
	}
	if strings.Contains(req.ID+req.Prefix+req.SHA256, secret[credential.APIKeyPublicPrefixLength:]) {
		t.Fatal("the request carries the secret part of the key")
	}
}

func TestAPIKeyForms(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
		fn   func(string) bool
		in   string
	}{
		{"id", true, credential.ValidAPIKeyID, "ak_0123456789abcdef"},
		{"id with upper case", false, credential.ValidAPIKeyID, "ak_0123456789ABCDEF"},
		{"id too short", false, credential.ValidAPIKeyID, "ak_0123456789abcde"},
		{"id without ak_", false, credential.ValidAPIKeyID, "xx_0123456789abcdef"},
		{"hash", true, credential.ValidAPIKeyHash, strings.Repeat("a1", 32)},
		{"hash too short", false, credential.ValidAPIKeyHash, strings.Repeat("a1", 31)},
		{"prefix", true, credential.ValidAPIKeyPrefix, "clk_Ab-_9xYz"},
		{"prefix too long", false, credential.ValidAPIKeyPrefix, "clk_Ab-_9xYz1"},
		{"prefix with padding", false, credential.ValidAPIKeyPrefix, "clk_Ab-_9xY="},
	}
	for _, tc := range tests {
		if got := tc.fn(tc.in); got != tc.ok {
			t.Errorf("%s %q: %v, want %v", tc.name, tc.in, got, tc.ok)
		}
	}
}

func TestAPIKeyState(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		key  credential.APIKey
		at   time.Time
		want credential.APIKeyState
	}{
		{"no expiry", credential.APIKey{}, t0, credential.APIKeyActive},
		{"before expiry", credential.APIKey{ExpiresAt: t0}, t0.Add(-time.Nanosecond), credential.APIKeyActive},
		{"at expiry", credential.APIKey{ExpiresAt: t0}, t0, credential.APIKeyExpired},
		{"revoked before expiry", credential.APIKey{ExpiresAt: t0, RevokedAt: t0.Add(-time.Hour)}, t0.Add(-time.Minute), credential.APIKeyRevoked},
		{"revoked and expired", credential.APIKey{ExpiresAt: t0, RevokedAt: t0.Add(-time.Hour)}, t0.Add(time.Hour), credential.APIKeyRevoked},
	}
	for _, tc := range tests {
		if got := tc.key.State(tc.at); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestNormalizeAPIKeyLabel(t *testing.T) {
	for in, want := range map[string]bool{"": true, " 批量导入 ": true, strings.Repeat("x", credential.MaxAPIKeyLabel): true,
		strings.Repeat("x", credential.MaxAPIKeyLabel+1): false, "tab\there": false, "bad \xff": false} {
		if _, ok := credential.NormalizeAPIKeyLabel(in); ok != want {
			t.Errorf("label %q: %v, want %v", in, ok, want)
		}
	}
}
