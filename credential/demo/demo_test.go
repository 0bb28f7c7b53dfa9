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
// registry and can be completed: some sample holder has a credential of
// every type it needs, as a request has one holder. Talent settlement
// needs credentials of two departments, neither of them its requester.
func TestDemoServicesAreValid(t *testing.T) {
	reg := credential.Registry{Departments: Departments(), Types: Types()}
	held := map[credential.Holder]map[string]bool{}
	for _, x := range Samples() {
		if held[x.Holder] == nil {
			held[x.Holder] = map[string]bool{}
		}
		held[x.Holder][x.Type] = true
	}
	for _, s := range Services() {
		stored, probs := credential.CheckService(s, reg)
		for _, p := range probs {
			t.Errorf("%s: %s at %s", s.Code, p.Message, p.Pointer)
		}
		completable := false
		for _, types := range held {
			all := true
			for _, c := range stored.Credentials {
				all = all && types[c.Type]
			}
			completable = completable || all
		}
		if !completable {
			t.Errorf("%s: no sample holder has a credential of every type it needs", s.Code)
		}
		if s.Code != ServiceTalentSettlement {
			continue
		}
		depts := map[string]bool{}
		for _, c := range stored.Credentials {
			ty, _ := reg.Type(c.Type)
			for _, id := range ty.Issuers {
				depts[id] = true
			}
		}
		if len(depts) != 2 {
			t.Errorf("%s needs credentials of %v, want two departments", s.Code, depts)
		}
		for _, r := range s.Requesters {
			if depts[r] {
				t.Errorf("%s is requested by %s, which issues one of its credentials", s.Code, r)
			}
		}
	}
}
