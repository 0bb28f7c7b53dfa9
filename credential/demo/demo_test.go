package demo

import (
	"crypto/ed25519"
	"encoding/base64"
	"testing"

	"github.com/certledger/certledger/credential"
	"time"
)

func TestDemoRegistryIsValid(t *testing.T) {
	pub, _, _ := ed25519.GenerateKey(nil)
	for _, d := range Departments() {
		t.Run(d.ID, func(t *testing.T) {
			d.Keys = append(d.Keys, credentialKey(pub))
			if err := d.Validate(); err != nil {
				t.Fatal(err)
			}
		})
	}
	for _, ty := range Types() {
		t.Run(ty.ID, func(t *testing.T) {
			if err := ty.Validate(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func credentialKey(pub ed25519.PublicKey) credential.Key {
	return credential.Key{ID: "k1", PublicKey: base64.StdEncoding.EncodeToString(pub), ValidFrom: time.Unix(0, 0), Status: credential.KeyActive}
}
