package network

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// A department signs its credentials with an Ed25519 key distinct from its
// Fabric identity: the signature travels with the document and is checked
// against the registry. Kept in keys/<department>/, mode 0600.

// generateIssuerKey creates the key of a department once.
func generateIssuerKey(l layout, d *department) error {
	path := l.issuerKey(d.ID)
	if exists(path) {
		return nil
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return writeFileAtomic(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
}

// LoadIssuerKey reads a department's Ed25519 issuer key (PKCS#8 PEM), as
// named by profile.Department.IssuerKey in the connection profile.
func LoadIssuerKey(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("network: %s holds no PKCS#8 PEM private key", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("network: %s: %w", path, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, errors.New("network: " + path + " is not an Ed25519 key")
	}
	return priv, nil
}

// issuerPublicKey is the base64 (standard) public key of a department, the
// form the credential registry stores.
func issuerPublicKey(l layout, d *department) (string, error) {
	priv, err := LoadIssuerKey(l.issuerKey(d.ID))
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(priv.Public().(ed25519.PublicKey)), nil
}
