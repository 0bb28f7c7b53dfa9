package scenario

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/vc"
)

// Steps for verification anywhere: presentations, offline trust lists, key
// rotation and the W3C VC export, run on both ledgers like the rest.

type presentationAnswer struct {
	Presentation *credential.Document `json:"presentation"`
	Payload      string               `json:"payload"`
	QRURL        string               `json:"qrUrl"`
}

func (s *suite) present(t testing.TB, id string, fields []string, format string) presentationAnswer {
	t.Helper()
	r := s.c.Request(t, "POST", "/api/v1/credentials/"+url.PathEscape(id)+"/presentations", s.samr,
		map[string]any{"fields": fields, "format": format})
	if r.Status != http.StatusCreated {
		t.Fatalf("presentation (%s): %d %s", format, r.Status, r.Body)
	}
	var a presentationAnswer
	r.JSON(t, &a)
	return a
}

// presentations derives a partial presentation and a compact QR payload
// from a fresh credential and verifies both; altering a disclosed field
// fails integrity.
func (s *suite) presentations(t *testing.T) {
	lic, r := s.issueAs(t, s.samr, businessLicence("选择性披露测试有限公司"))
	if r.Status != http.StatusCreated {
		t.Fatalf("issue: %d %s", r.Status, r.Body)
	}
	s.pres = lic
	fields := []string{"companyName", credential.ClaimHolderName}

	a := s.present(t, lic.ID, fields, "json")
	p := a.Presentation
	if p == nil || len(p.Claims) != len(fields) || len(p.Hidden) == 0 {
		t.Fatalf("presentation discloses the wrong claims: %+v", p)
	}
	if _, ok := p.Claim(credential.ClaimHolderIDNumber); ok {
		t.Fatal("the holder's ID number was disclosed")
	}
	if v := s.verify(t, map[string]any{"presentation": p}); !v.Valid {
		t.Fatalf("presentation does not verify: %+v", v)
	}
	altered := *p
	altered.Claims = append([]credential.Claim(nil), p.Claims...)
	for i := range altered.Claims {
		if altered.Claims[i].Name == "companyName" {
			altered.Claims[i].Value = "冒名顶替有限公司"
		}
	}
	if v := s.verify(t, map[string]any{"presentation": altered}); v.Valid || v.Status != string(credential.StatusForged) {
		t.Fatalf("altered presentation: valid %v status %q", v.Valid, v.Status)
	}

	c := s.present(t, lic.ID, fields, "compact")
	if !strings.HasPrefix(c.Payload, credential.CompactPrefix) {
		t.Fatalf("compact payload %q lacks the %s prefix", c.Payload, credential.CompactPrefix)
	}
	if v := s.verify(t, map[string]any{"qr": c.Payload}); !v.Valid {
		t.Fatalf("compact payload does not verify online: %+v", v)
	}
	s.compact = c.Payload
	png, ok := strings.CutPrefix(c.QRURL, "data:image/png;base64,")
	if !ok {
		t.Fatalf("qrUrl is not an inline PNG: %.40q", c.QRURL)
	}
	raw, err := base64.StdEncoding.DecodeString(png)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("zbarimg"); err != nil {
		t.Skip("zbarimg is not installed (apt-get install zbar-tools); .ci/run installs it")
	}
	text, err := decodeQR(raw)
	if err != nil {
		t.Fatal(err)
	}
	if text != c.Payload {
		t.Fatalf("the compact QR holds %q, want the payload", text)
	}
}

// registry reads the registry the way an outside verifier does: from the
// public catalogue endpoints.
func (s *suite) registry(t testing.TB) credential.Registry {
	t.Helper()
	var reg credential.Registry
	var deps struct {
		Departments []credential.Department `json:"departments"`
	}
	s.c.Request(t, "GET", "/api/v1/departments", "", nil).JSON(t, &deps)
	var types struct {
		Types []credential.CredentialType `json:"types"`
	}
	s.c.Request(t, "GET", "/api/v1/types", "", nil).JSON(t, &types)
	reg.Departments, reg.Types = deps.Departments, types.Types
	return reg
}

// trustListOffline fetches the signed trust list and verifies the compact
// payload against it with no further help from the gateway: the answer is
// authentic but "status unknown" until checked online.
func (s *suite) trustListOffline(t *testing.T) {
	_, v, err := s.trustList(t).VerifyCompact(s.compact, time.Now(), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if v.Valid || v.Status != credential.StatusUnknown {
		t.Fatalf("offline answer: valid %v status %q, want status unknown", v.Valid, v.Status)
	}
	for _, c := range v.Checks {
		if (c.Name == credential.CheckIntegrity || c.Name == credential.CheckSignature) && !c.OK {
			t.Fatalf("offline check %s failed: %s", c.Name, c.Detail)
		}
	}
}

// trustList fetches the signed trust list and checks it with the
// governance keys of the public registry, as an offline verifier caches it.
func (s *suite) trustList(t testing.TB) *credential.TrustList {
	t.Helper()
	r := s.c.Request(t, "GET", "/api/v1/trust-list", "", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("trust list: %d %s", r.Status, r.Body)
	}
	gov, ok := s.registry(t).Department("gov")
	if !ok {
		t.Fatal("no governance department in the registry")
	}
	tl, err := credential.ParseTrustList(r.Body, gov.Keys)
	if err != nil {
		t.Fatalf("trust list does not verify with the governance keys: %v", err)
	}
	return tl
}

type keyAnswer struct {
	Key credential.Key `json:"key"`
}

func (s *suite) keyOp(t testing.TB, path string, body any) credential.Key {
	t.Helper()
	r := s.c.Request(t, "POST", "/api/v1/departments/samr/keys"+path, s.samr, body)
	if r.Status != http.StatusOK && r.Status != http.StatusCreated {
		t.Fatalf("key operation %q: %d %s", path, r.Status, r.Body)
	}
	var a keyAnswer
	r.JSON(t, &a)
	return a.Key
}

// keyRotation adds a key, retires the old one (what it signed stays valid),
// marks the new one compromised from the moment it signed a credential
// (that credential fails), and re-issues it with a third key, which it
// refuses while the signing key is still active.
func (s *suite) keyRotation(t *testing.T) {
	oldKID := s.pres.Document.Proof.KeyID
	k2 := s.keyOp(t, "", map[string]any{})
	signed, r := s.issueAs(t, s.samr, businessLicence("密钥轮换测试有限公司"))
	if r.Status != http.StatusCreated || signed.Document.Proof.KeyID != k2.ID {
		t.Fatalf("issued after adding %s: %d, signed with %q: %s", k2.ID, r.Status, signed.Document.Proof.KeyID, r.Body)
	}
	s.keyOp(t, "/"+url.PathEscape(oldKID)+"/retire", map[string]any{})
	if v := s.verify(t, map[string]any{"document": s.pres.Document}); !v.Valid {
		t.Fatalf("a credential signed by the retired key %s no longer verifies: %+v", oldKID, v)
	}
	// While k2 is active a new version would only be a second valid copy.
	expectProblem(t, s.c.Request(t, "POST", "/api/v1/credentials/"+url.PathEscape(signed.ID)+"/reissue", s.samr, nil),
		http.StatusConflict, "reissue_not_applicable")
	k3 := s.keyOp(t, "", map[string]any{})
	s.keyOp(t, "/"+url.PathEscape(k2.ID)+"/compromise", map[string]any{
		"compromisedAt": signed.Document.IssuedAt.Format(time.RFC3339Nano), "reason": "场景测试：签名密钥泄露"})
	v := s.verify(t, map[string]any{"document": signed.Document})
	if c, _ := v.check(credential.CheckSignature); v.Valid || c.OK {
		t.Fatalf("signed with a key compromised at that moment, yet: valid %v, signature %+v", v.Valid, c)
	}
	r = s.c.Request(t, "POST", "/api/v1/credentials/"+url.PathEscape(signed.ID)+"/reissue", s.samr, nil)
	if r.Status != http.StatusCreated {
		t.Fatalf("reissue: %d %s", r.Status, r.Body)
	}
	var re issued
	r.JSON(t, &re)
	if re.Document.Renews != signed.ID || re.Document.Proof.KeyID != k3.ID || re.Document.Version != signed.Document.Version+1 {
		t.Fatalf("reissued: renews %q, key %q, version %d", re.Document.Renews, re.Document.Proof.KeyID, re.Document.Version)
	}
	if v := s.verify(t, map[string]any{"document": re.Document}); !v.Valid {
		t.Fatalf("the re-issued version does not verify: %+v", v)
	}
}

// verifiableCredential exports the revoked licence as a W3C VC, verifies its
// proof from the gateway's public registry, and finds it revoked in its
// Bitstring Status List.
func (s *suite) verifiableCredential(t *testing.T) {
	for purpose, set := range s.statusBits(t, s.lic.ID) {
		if want := purpose == vc.PurposeRevocation; set != want {
			t.Errorf("%s bit is %v, want %v for a revoked credential", purpose, set, want)
		}
	}
}

// statusBits exports credential id as a W3C VC, verifies its proof from the
// gateway's public registry, and reads each of its status entries in its
// Bitstring Status List: whether the bit is set, by purpose. It fails
// without a revocation and a suspension entry.
func (s *suite) statusBits(t testing.TB, id string) map[string]bool {
	t.Helper()
	r := s.c.Request(t, "GET", "/api/v1/credentials/"+url.PathEscape(id)+"/vc", s.samr, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("VC export of %s: %d %s", id, r.Status, r.Body)
	}
	reg := s.registry(t)
	cred, err := vc.VerifyCredential(r.Body, s.target.URL(), reg)
	if err != nil {
		t.Fatalf("exported VC of %s does not verify: %v", id, err)
	}
	resolve := vc.RegistryResolver(s.target.URL(), reg)
	bits := map[string]bool{}
	for _, e := range cred.CredentialStatus {
		u, err := url.Parse(e.StatusListCredential)
		if err != nil {
			t.Fatal(err)
		}
		list := s.c.Request(t, "GET", u.RequestURI(), "", nil)
		if list.Status != http.StatusOK {
			t.Fatalf("status list %s: %d %s", u, list.Status, list.Body)
		}
		set, err := vc.CheckStatus(list.Body, e, cred.Issuer.ID, resolve)
		if err != nil {
			t.Fatalf("status list %s: %v", u, err)
		}
		bits[e.StatusPurpose] = set
	}
	if _, ok := bits[vc.PurposeRevocation]; !ok {
		t.Fatalf("exported VC of %s has no revocation entry in its credentialStatus: %s", id, r.Body)
	}
	if _, ok := bits[vc.PurposeSuspension]; !ok {
		t.Fatalf("exported VC of %s has no suspension entry in its credentialStatus: %s", id, r.Body)
	}
	return bits
}
