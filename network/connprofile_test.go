package network

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certledger/certledger/network/profile"
)

func TestProfileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	l := layout{dir}
	o, err := Options{Dir: dir}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	for i := range departments {
		if err := generateIssuerKey(l, &departments[i]); err != nil {
			t.Fatal(err)
		}
	}
	p, err := newProfile(l, newTopology(o))
	if err != nil {
		t.Fatal(err)
	}
	if err := writeProfile(l, p); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(l.profileFile())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), dir) {
		t.Errorf("profile holds absolute paths:\n%s", raw)
	}
	got, err := profile.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Channel != "certledger" || got.Chaincode != "certledger" ||
		got.DocumentCollection != "credentialDocuments" || len(got.Orderers) != 3 {
		t.Errorf("profile = %+v", got)
	}
	tests := []struct {
		id, msp string
		peers   int
		gov     bool
	}{
		{"gov", "GovMSP", 1, true}, {"samr", "SamrMSP", 1, false},
		{"edu", "EduMSP", 1, false}, {"hrss", "HrssMSP", 2, false},
	}
	for _, tc := range tests {
		d, ok := got.Department(tc.id)
		if !ok {
			t.Fatalf("no department %s", tc.id)
		}
		if d.MSPID != tc.msp || len(d.Peers) != tc.peers || d.Governance != tc.gov || d.Client.MSPID != tc.msp {
			t.Errorf("%s = %+v", tc.id, d)
		}
		if !filepath.IsAbs(d.IssuerKey) || !filepath.IsAbs(d.Peers[0].TLSRootCert) || !filepath.IsAbs(d.Client.Cert) {
			t.Errorf("%s: paths not resolved: %+v", tc.id, d)
		}
		key, err := LoadIssuerKey(d.IssuerKey)
		if err != nil {
			t.Fatal(err)
		}
		if pub := p.Departments[0]; tc.id == "gov" && pub.IssuerPublicKey == "" {
			t.Error("no public key")
		}
		st, _ := os.Stat(d.IssuerKey)
		if st.Mode().Perm() != 0o600 || len(key) == 0 {
			t.Errorf("%s issuer key mode %v", tc.id, st.Mode())
		}
	}
	if _, ok := got.Department("nope"); ok {
		t.Error("found a department that does not exist")
	}
}
