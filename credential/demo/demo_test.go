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

// Every demo service item passes the contract's check against the demo
// registry, needs credentials of at least one type, and one needs
// credentials of two departments.
func TestDemoServicesAreValid(t *testing.T) {
	reg := credential.Registry{Departments: Departments(), Types: Types()}
	issuers := map[string]int{}
	for _, s := range Services() {
		stored, probs := credential.CheckService(s, reg)
		for _, p := range probs {
			t.Errorf("%s: %s at %s", s.Code, p.Message, p.Pointer)
		}
		depts := map[string]bool{}
		for _, c := range stored.Credentials {
			ty, _ := reg.Type(c.Type)
			for _, id := range ty.Issuers {
				depts[id] = true
			}
		}
		issuers[s.Code] = len(depts)
	}
	if issuers[ServiceStartupSubsidy] != 2 {
		t.Fatalf("the start-up subsidy needs credentials of %d departments, want 2", issuers[ServiceStartupSubsidy])
	}
}
