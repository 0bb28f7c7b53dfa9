package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/gateway/atrest"
	"github.com/certledger/certledger/gateway/keystore"
	"github.com/certledger/certledger/network/profile"
)

// TestImportIssuerKeys puts the profile's issuer keys into the keystore
// once, as the department's newest key even when the data folder already
// held younger keys of its own, and leaves them alone on the next start.
func TestImportIssuerKeys(t *testing.T) {
	dir := t.TempDir()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "issuer.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-24 * time.Hour)
	if err := os.Chtimes(keyFile, old, old); err != nil {
		t.Fatal(err)
	}
	p := &profile.Profile{Departments: []profile.Department{{ID: "samr", IssuerKey: keyFile, IssuerKeyID: "samr-issuer-1"}}}
	ks, err := keystore.Open(filepath.Join(dir, "data"), atrest.Generate())
	if err != nil {
		t.Fatal(err)
	}
	own, err := ks.NewSigningKey("samr", time.Now().UTC()) // e.g. from an embedded --demo run
	if err != nil {
		t.Fatal(err)
	}
	for run := range 2 {
		if err := importIssuerKeys(p, ks); err != nil {
			t.Fatal(err)
		}
		keys := ks.SigningKeys("samr")
		if len(keys) != 2 || keys[0].KeyID != "samr-issuer-1" || !keys[0].Private.Equal(priv) || keys[1].KeyID != own.KeyID {
			t.Fatalf("run %d: keys %v, want the profile's first, then the folder's own", run, keyIDs(keys))
		}
	}
}

func keyIDs(keys []keystore.SigningKey) []string {
	var out []string
	for _, k := range keys {
		out = append(out, k.KeyID)
	}
	return out
}

func TestOptionalInt(t *testing.T) {
	cases := []struct {
		in      string
		want    int
		wantErr bool
	}{
		{"", 0, false},
		{"1", 1, false},
		{"64", 64, false},
		{"0", 0, true},
		{"65", 0, true},
		{"-3", 0, true},
		{"eight", 0, true},
		{"8 ", 0, true},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			got, err := optionalInt("issue-batch", c.in, 1, 64)
			if (err != nil) != c.wantErr || got != c.want {
				t.Fatalf("optionalInt(%q) = %d, %v; want %d, error %v", c.in, got, err, c.want, c.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "--issue-batch") {
				t.Fatalf("error %q does not name the flag", err)
			}
		})
	}
}
