package demo

import (
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
)

// TestCitizensAndSamplesAreIssuable: every demo holder passes the holder
// checks (check characters included), and every sample is a credential its
// department may issue with fields its type's schema accepts.
func TestCitizensAndSamplesAreIssuable(t *testing.T) {
	names := map[string]bool{}
	holders := map[credential.Holder]bool{}
	for _, c := range Citizens() {
		if err := c.Holder.Validate(); err != nil || c.Holder != c.Holder.Normalize() {
			t.Errorf("citizen %s: %v", c.Username, err)
		}
		if names[c.Username] {
			t.Errorf("username %s twice", c.Username)
		}
		names[c.Username] = true
		holders[c.Holder] = true
	}
	pub, priv, _ := ed25519.GenerateKey(nil)
	reg := credential.Registry{Departments: Departments(), Types: Types()}
	keys := map[string]bool{}
	depts := map[string]bool{}
	served := map[credential.Holder]bool{}
	for _, s := range Samples() {
		if keys[s.Key] || s.Key == "" {
			t.Errorf("sample key %q empty or twice", s.Key)
		}
		keys[s.Key] = true
		if !holders[s.Holder] {
			t.Errorf("sample %s: holder %+v is no demo citizen", s.Key, s.Holder)
		}
		dept, ok := reg.Department(s.Dept)
		typ, ok2 := reg.Type(s.Type)
		if !ok || !ok2 || !typ.AuthorizesIssuer(dept.ID) {
			t.Errorf("sample %s: %s may not issue %s", s.Key, s.Dept, s.Type)
			continue
		}
		dept.Keys = []credential.Key{credentialKey(pub)}
		if _, err := credential.Issue(credential.IssueParams{Type: typ, Issuer: dept, Holder: s.Holder, Fields: s.Fields, IssuedAt: time.Now()}, "k1", priv); err != nil {
			t.Errorf("sample %s: %v", s.Key, err)
		}
		depts[s.Dept], served[s.Holder] = true, true
	}
	for _, d := range Departments() {
		if d.HasRole(credential.RoleIssuer) && !depts[d.ID] {
			t.Errorf("issuing department %s has no sample", d.ID)
		}
	}
	for h := range holders {
		if !served[h] {
			t.Errorf("citizen %s has no sample", h.Name)
		}
	}
}
