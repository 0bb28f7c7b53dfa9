package vc

import (
	"bytes"
	"crypto/ed25519"
	"strings"
	"testing"
)

func TestBase58Vectors(t *testing.T) {
	// Examples of the base58 encoding draft (draft-msporny-base58).
	tests := []struct {
		raw []byte
		enc string
	}{
		{[]byte("Hello World!"), "2NEpo7TZRRrLZSi2U"},
		{[]byte("The quick brown fox jumps over the lazy dog."), "USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z"},
		{[]byte{0x00, 0x00, 0x28, 0x7f, 0xb4, 0xcd}, "11233QC4"},
		{[]byte{}, ""},
	}
	for _, tc := range tests {
		if got := encodeBase58(tc.raw); got != tc.enc {
			t.Errorf("encodeBase58(%x) = %q, want %q", tc.raw, got, tc.enc)
		}
		if got, err := decodeBase58(tc.enc); err != nil || !bytes.Equal(got, tc.raw) {
			t.Errorf("decodeBase58(%q) = %x, %v", tc.enc, got, err)
		}
	}
	if _, err := decodeBase58("0OIl"); err == nil {
		t.Error("decoded characters outside the alphabet")
	}
}

func TestMultikeyEd25519(t *testing.T) {
	for _, seed := range []byte{0, 1, 200} {
		pub := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, 32)).Public().(ed25519.PublicKey)
		mk := MultikeyEd25519(pub)
		// Every Ed25519 Multikey starts with z6Mk: 'z' for base58btc and the
		// 0xed01 prefix.
		if !strings.HasPrefix(mk, "z6Mk") {
			t.Fatalf("%s does not start with z6Mk", mk)
		}
		back, err := ParseMultikeyEd25519(mk)
		if err != nil || !back.Equal(pub) {
			t.Fatalf("round trip: %v", err)
		}
	}
	for _, bad := range []string{"6Mk", "z", "zz", "u7QE"} {
		if _, err := ParseMultikeyEd25519(bad); err == nil {
			t.Errorf("parsed %q", bad)
		}
	}
}

func TestProofValueIsCanonical(t *testing.T) {
	sig := bytes.Repeat([]byte{9}, 64)
	enc := multibaseSignature(sig)
	if got, err := parseMultibaseSignature(enc); err != nil || !bytes.Equal(got, sig) {
		t.Fatalf("round trip: %v", err)
	}
	for _, bad := range []string{enc[1:], "z1" + enc[1:], "z" + encodeBase58(sig[:63])} {
		if _, err := parseMultibaseSignature(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}
