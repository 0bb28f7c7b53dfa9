package credential_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
)

var (
	govKey    = seedKey(20)
	govNewKey = seedKey(21)
)

const govUSCC = "11100000MB01000171"

// trustRegistry is the test registry plus a governance department.
func trustRegistry(govKeys ...credential.Key) credential.Registry {
	reg := testRegistry()
	if len(govKeys) == 0 {
		govKeys = []credential.Key{{ID: "gov-1", PublicKey: pubB64(govKey), ValidFrom: issuedAt.AddDate(-2, 0, 0), Status: credential.KeyActive}}
	}
	reg.Departments = append(reg.Departments, credential.Department{ID: "gov", MSPID: "GovMSP", USCC: govUSCC,
		NameZh: "数据局", NameEn: "Data Bureau", Roles: []credential.Role{credential.RoleGovernance}, Keys: govKeys})
	reg.Sort()
	return reg
}

func signedList(t *testing.T, reg credential.Registry, seq uint64, kid string, key ed25519.PrivateKey) []byte {
	t.Helper()
	tl, err := credential.NewTrustList(reg, "gov", seq, now.Add(-time.Hour), now.Add(7*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	b, err := tl.Sign(kid, key)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func anchorsOf(reg credential.Registry) []credential.Key {
	gov, _ := reg.Department("gov")
	return gov.Keys
}

func TestTrustListRoundTripAndOfflineVerification(t *testing.T) {
	reg := trustRegistry()
	data := signedList(t, reg, 1, "gov-1", govKey)
	tl, err := credential.ParseTrustList(data, anchorsOf(reg))
	if err != nil {
		t.Fatalf("ParseTrustList: %v", err)
	}
	if tl.Sequence != 1 || len(tl.Registry.Departments) != 3 || len(tl.Registry.Types) != 2 {
		t.Fatalf("parsed %+v", tl)
	}
	doc := issueLicence(t, reg)
	p, _ := doc.Present([]string{"companyName"})
	text, err := credential.EncodeCompact(p)
	if err != nil {
		t.Fatal(err)
	}
	_, v, err := tl.VerifyCompact(text, now, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	checkOK(t, v, credential.CheckIntegrity, credential.CheckSignature, credential.CheckIssuer, credential.CheckValidity, credential.CheckTrustList)
	if v.Valid || v.Status != credential.StatusUnknown {
		t.Fatalf("offline: valid=%v status=%s", v.Valid, v.Status)
	}
	// After its next update the list still verifies, but says it is stale.
	late := tl.Verify(doc, now.Add(8*24*time.Hour), time.UTC)
	if c := late.Checks[len(late.Checks)-1]; c.Name != credential.CheckTrustList || c.OK || !strings.Contains(c.Detail, "out of date") {
		t.Fatalf("stale list check: %+v", c)
	}
}

func TestParseTrustListRejects(t *testing.T) {
	reg := trustRegistry()
	good := signedList(t, reg, 1, "gov-1", govKey)
	parts := strings.Split(string(good), ".")
	reencode := func(head, body []byte, key ed25519.PrivateKey) []byte {
		in := base64.RawURLEncoding.EncodeToString(head) + "." + base64.RawURLEncoding.EncodeToString(body)
		return []byte(in + "." + base64.RawURLEncoding.EncodeToString(ed25519.Sign(key, []byte(in))))
	}
	body, _ := base64.RawURLEncoding.DecodeString(parts[1])
	head, _ := base64.RawURLEncoding.DecodeString(parts[0])
	tests := []struct {
		name    string
		data    []byte
		anchors []credential.Key
		want    string
	}{
		{"altered payload", []byte(parts[0] + "." + base64.RawURLEncoding.EncodeToString(bytes.Replace(body, []byte("samr-2025"), []byte("samr-2026"), 1)) + "." + parts[2]), nil, "does not verify"},
		{"wrong anchor", good, []credential.Key{{ID: "gov-1", PublicKey: pubB64(seedKey(99)), ValidFrom: issuedAt.AddDate(-2, 0, 0), Status: credential.KeyActive}}, "does not verify"},
		{"no anchor", good, []credential.Key{}, "not a trust anchor"},
		{"alg none", reencode([]byte(`{"alg":"none","kid":"gov-1","typ":"certledger-trust-list+json"}`), body, govKey), nil, "alg EdDSA"},
		{"extra header field", reencode([]byte(`{"alg":"EdDSA","kid":"gov-1","typ":"certledger-trust-list+json","jku":"https://evil"}`), body, govKey), nil, "header"},
		{"two parts", []byte(parts[0] + "." + parts[1]), nil, "compact serialization"},
		{"issuer key signing", reencode([]byte(strings.Replace(string(head), "gov-1", "samr-2025", 1)), body, samrKey), anchorsOf(trustRegistry()), "not a trust anchor"},
		{"anchor compromised before the list was issued", good, []credential.Key{{ID: "gov-1", PublicKey: pubB64(govKey), ValidFrom: issuedAt.AddDate(-2, 0, 0),
			Status: credential.KeyCompromised, CompromisedAt: now.Add(-2 * time.Hour)}}, "compromised"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			anchors := tc.anchors
			if anchors == nil {
				anchors = anchorsOf(reg)
			}
			_, err := credential.ParseTrustList(tc.data, anchors)
			wantCode(t, err, credential.CodeInvalid)
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

func TestTrustListGovernanceKeyRotation(t *testing.T) {
	// List 1 announces the new governance key next to the old one; list 2 is
	// signed with the new key and verifies with the anchors taken from list 1.
	oldK := credential.Key{ID: "gov-1", PublicKey: pubB64(govKey), ValidFrom: issuedAt.AddDate(-2, 0, 0), Status: credential.KeyActive}
	newK := credential.Key{ID: "gov-2", PublicKey: pubB64(govNewKey), ValidFrom: issuedAt.AddDate(0, 0, -7), Status: credential.KeyActive}
	reg1 := trustRegistry(oldK, newK)
	l1, err := credential.ParseTrustList(signedList(t, reg1, 1, "gov-1", govKey), []credential.Key{oldK})
	if err != nil {
		t.Fatal(err)
	}
	oldK.Status, oldK.ValidUntil = credential.KeyRetired, issuedAt
	reg2 := trustRegistry(oldK, newK)
	l2, err := credential.ParseTrustList(signedList(t, reg2, 2, "gov-2", govNewKey), l1.GovernanceKeys())
	if err != nil {
		t.Fatalf("rotated list: %v", err)
	}
	if !l2.Supersedes(l1) || l1.Supersedes(l2) || l2.Supersedes(l2) {
		t.Fatal("Supersedes does not follow the sequence")
	}
	// A list signed with the new key does not verify with only the old anchor.
	if _, err := credential.ParseTrustList(signedList(t, reg2, 3, "gov-2", govNewKey), []credential.Key{oldK}); err == nil {
		t.Fatal("accepted a key that is not an anchor")
	}
}

func TestNewTrustListChecksTheRegistry(t *testing.T) {
	reg := trustRegistry()
	if _, err := credential.NewTrustList(reg, "samr", 1, now, now.Add(time.Hour)); err == nil {
		t.Fatal("accepted an issuer department as the list's governance department")
	}
	if _, err := credential.NewTrustList(reg, "gov", 1, now, now); err == nil {
		t.Fatal("accepted a next update equal to the issue time")
	}
	bad := trustRegistry()
	bad.Departments[0].Keys[0].PublicKey = "not a key"
	if _, err := credential.NewTrustList(bad, "gov", 1, now, now.Add(time.Hour)); err == nil {
		t.Fatal("accepted a registry with a broken key")
	}
	tl, _ := credential.NewTrustList(reg, "gov", 1, now, now.Add(time.Hour))
	if _, err := tl.Sign("gov-1", seedKey(98)); err == nil {
		t.Fatal("signed with a private key that does not match the listed key")
	}
	var decoded map[string]any
	data, _ := tl.Sign("gov-1", govKey)
	payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(string(data), ".")[1])
	if err := json.Unmarshal(payload, &decoded); err != nil || decoded["format"] != credential.TrustListFormat {
		t.Fatalf("payload is not the list's JSON: %v %v", err, decoded)
	}
}

func FuzzParseTrustList(f *testing.F) {
	reg := trustRegistry()
	tl, _ := credential.NewTrustList(reg, "gov", 1, now, now.Add(time.Hour))
	good, _ := tl.Sign("gov-1", govKey)
	f.Add(good)
	f.Add([]byte("a.b.c"))
	anchors := anchorsOf(reg)
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := credential.ParseTrustList(data, anchors)
		if err != nil {
			if credential.ErrorCode(err) != credential.CodeInvalid {
				t.Fatalf("error %v is not 'invalid'", err)
			}
			return
		}
		if got.Issuer != "gov" {
			t.Fatalf("accepted a list from %q", got.Issuer)
		}
	})
}

func BenchmarkTrustListVerifyCompact(b *testing.B) {
	reg := testRegistry()
	tl := &credential.TrustList{Format: credential.TrustListFormat, Registry: reg, IssuedAt: now.Add(-time.Hour), NextUpdate: now.Add(time.Hour)}
	doc := issueLicence(b, reg)
	p, _ := doc.Present([]string{"companyName", credential.ClaimHolderName})
	text, _ := credential.EncodeCompact(p)
	b.ReportAllocs()
	for b.Loop() {
		if _, v, err := tl.VerifyCompact(text, now, time.UTC); err != nil || v.Status != credential.StatusUnknown {
			b.Fatal(err, v.Status)
		}
	}
}
