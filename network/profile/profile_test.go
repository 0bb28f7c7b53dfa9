package profile

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// A profile as networks made before wrote it, with the consensus, batch
// timeout and baseline chaincode it no longer carries.
const olderProfile = `{
  "channel": "certledger",
  "chaincode": "certledger",
  "kvChaincode": "kv",
  "documentCollection": "credentialDocuments",
  "consensus": "raft",
  "batchTimeout": "50ms",
  "departments": [
    {
      "id": "samr", "name": "Market Regulation", "mspId": "SamrMSP", "governance": false,
      "peers": [{"name": "peer0.samr", "address": "127.0.0.1:7051", "serverNameOverride": "peer0.samr.gov.cn",
        "tlsRootCert": "crypto/samr/tlsca.pem"}],
      "client": {"mspId": "SamrMSP", "cert": "crypto/samr/User1/cert.pem", "key": "crypto/samr/User1/key.pem", "mspDir": "crypto/samr/User1/msp"},
      "admin": {"mspId": "SamrMSP", "cert": "crypto/samr/Admin/cert.pem", "key": "crypto/samr/Admin/key.pem", "mspDir": "crypto/samr/Admin/msp"},
      "issuerKey": "keys/samr/issuer.pem", "issuerPublicKey": "cHVi", "issuerKeyId": "samr-issuer-1"
    }
  ],
  "orderers": [{"name": "orderer0", "address": "127.0.0.1:7050", "serverNameOverride": "orderer0.gov.cn", "tlsRootCert": "crypto/orderer/tlsca.pem"}]
}
`

func TestLoadReadsOlderProfiles(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, File)
	if err := os.WriteFile(file, []byte(olderProfile), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{dir, file} {
		p, err := Load(path)
		if err != nil {
			t.Fatalf("Load(%s): %v", path, err)
		}
		if p.Channel != "certledger" || p.Chaincode != "certledger" || p.DocumentCollection != "credentialDocuments" ||
			len(p.Orderers) != 1 || p.Orderers[0].TLSRootCert != filepath.Join(dir, "crypto/orderer/tlsca.pem") {
			t.Errorf("Load(%s) = %+v", path, p)
		}
		d, ok := p.Department("samr")
		if !ok {
			t.Fatalf("Load(%s): no department samr", path)
		}
		if d.MSPID != "SamrMSP" || d.Peers[0].Address != "127.0.0.1:7051" || d.IssuerKeyID != "samr-issuer-1" ||
			d.Client.Key != filepath.Join(dir, "crypto/samr/User1/key.pem") || d.IssuerKey != filepath.Join(dir, "keys/samr/issuer.pem") {
			t.Errorf("Load(%s): samr = %+v", path, d)
		}
		if _, ok := p.Department("gov"); ok {
			t.Errorf("Load(%s): found a department the profile lacks", path)
		}
	}
}

func TestLoadRefusesMalformedProfiles(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(dir); err == nil {
		t.Error("loaded a profile from a folder without one")
	}
	file := filepath.Join(dir, File)
	if err := os.WriteFile(file, []byte(`{"channel": `), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(file); err == nil {
		t.Error("loaded a truncated profile")
	}
}

// Encode writes paths relative to the folder, so the folder can move; Load
// makes them absolute again wherever it is.
func TestEncodeThenLoad(t *testing.T) {
	dir := t.TempDir()
	abs := func(rel string) string { return filepath.Join(dir, rel) }
	id := Identity{MSPID: "GovMSP", Cert: abs("crypto/gov/cert.pem"), Key: abs("crypto/gov/key.pem"), MSPDir: abs("crypto/gov/msp")}
	want := &Profile{
		Channel: "certledger", Chaincode: "certledger", DocumentCollection: "credentialDocuments",
		Departments: []Department{{ID: "gov", Name: "Data Bureau", MSPID: "GovMSP", Governance: true,
			Peers:  []Endpoint{{Name: "peer0.gov", Address: "127.0.0.1:7051", TLSRootCert: abs("crypto/gov/tlsca.pem")}},
			Client: id, Admin: id, IssuerKey: abs("keys/gov/issuer.pem"), IssuerPublicKey: "cHVi", IssuerKeyID: "gov-issuer-1"}},
		Orderers: []Endpoint{{Name: "orderer0", Address: "127.0.0.1:7050", TLSRootCert: abs("crypto/orderer/tlsca.pem")}},
	}
	b, err := want.Encode(dir)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), dir) {
		t.Errorf("encoded profile holds absolute paths:\n%s", b)
	}
	if want.Departments[0].IssuerKey != abs("keys/gov/issuer.pem") {
		t.Error("Encode changed the profile it encoded")
	}
	moved := t.TempDir()
	if err := os.WriteFile(filepath.Join(moved, File), b, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Load(moved)
	if err != nil {
		t.Fatal(err)
	}
	if got.Departments[0].Client.Cert != filepath.Join(moved, "crypto/gov/cert.pem") {
		t.Errorf("moved profile's client certificate is %s", got.Departments[0].Client.Cert)
	}
	got.eachPath(func(s *string) { *s = filepath.Join(dir, strings.TrimPrefix(*s, moved+string(filepath.Separator))) })
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip = %+v\nwant %+v", got, want)
	}
}
