package vc_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
	"github.com/certledger/certledger/credential/vc"
)

// TestCanonicalFormPinsTermIRIs pins the IRI and datatype every term of an
// exported credential expands to. These are the Recommendation's
// definitions; if a replacement of the bundled W3C context changed any of
// them, signatures made before and after would disagree.
func TestCanonicalFormPinsTermIRIs(t *testing.T) {
	f := newFixture(t)
	out, err := vc.Export(f.licence(t), f.params(9), f.keys[demo.Market])
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	json.Unmarshal(out, &doc)
	proof := doc["proof"].(map[string]any)
	delete(doc, "proof")
	delete(proof, "proofValue")
	proof["@context"] = doc["@context"]
	nq, err := rdfc(doc)
	if err != nil {
		t.Fatal(err)
	}
	pq, err := rdfc(proof)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://www.w3.org/2018/credentials#VerifiableCredential>`,
		`<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://certledger.org/ns/credentials#CertLedgerCredential>`,
		`<https://www.w3.org/2018/credentials#issuer> <https://certs.example.gov.cn/issuers/samr>`,
		`<https://www.w3.org/2018/credentials#validFrom> "2026-02-28T09:30:00Z"^^<http://www.w3.org/2001/XMLSchema#dateTime>`,
		`<https://www.w3.org/2018/credentials#validUntil> "2036-02-26T09:30:00Z"^^<http://www.w3.org/2001/XMLSchema#dateTime>`,
		`<https://schema.org/name> "营业执照"@zh`,
		`<https://www.w3.org/2018/credentials#credentialSubject> _:`,
		`<https://certledger.org/ns/claims#companyName> "北京示例科技有限公司"`,
		`<https://certledger.org/ns/claims#holder.name> "北京示例科技有限公司"`,
		`<https://certledger.org/ns/credentials#version> "1"^^<http://www.w3.org/2001/XMLSchema#integer>`,
		`<https://certledger.org/ns/credentials#ledgerDigest> "`,
		`<https://www.w3.org/2018/credentials#credentialStatus> <https://certs.example.gov.cn/status/samr/revocation/0#`,
		`<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://www.w3.org/ns/credentials/status#BitstringStatusListEntry>`,
		`<https://www.w3.org/ns/credentials/status#statusPurpose> "suspension"`,
		`<https://www.w3.org/ns/credentials/status#statusListCredential> <https://certs.example.gov.cn/status/samr/suspension/0>`,
		`<https://www.w3.org/ns/credentials/status#statusListIndex> "`,
	} {
		if !strings.Contains(string(nq), want) {
			t.Errorf("canonical credential lacks %s\n%s", want, nq)
		}
	}
	for _, want := range []string{
		`<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/security#DataIntegrityProof>`,
		`<https://w3id.org/security#cryptosuite> "eddsa-rdfc-2022"^^<https://w3id.org/security#cryptosuiteString>`,
		`<https://w3id.org/security#proofPurpose> <https://w3id.org/security#assertionMethod>`,
		`<https://w3id.org/security#verificationMethod> <https://certs.example.gov.cn/issuers/samr#samr-2025>`,
		`<http://purl.org/dc/terms/created> "2026-03-01T09:30:00Z"^^<http://www.w3.org/2001/XMLSchema#dateTime>`,
	} {
		if !strings.Contains(string(pq), want) {
			t.Errorf("canonical proof configuration lacks %s\n%s", want, pq)
		}
	}
	// Every claim and property became a statement: nothing was dropped.
	if n := strings.Count(string(nq), "\n"); n < 30 {
		t.Errorf("only %d statements", n)
	}
}

func TestContextsAreNeverFetched(t *testing.T) {
	f := newFixture(t)
	out, err := vc.Export(f.licence(t), f.params(1), f.keys[demo.Market])
	if err != nil {
		t.Fatal(err)
	}
	swapped := strings.Replace(string(out), vc.ContextCredentialsV2, "https://evil.example/ctx", 1)
	_, _, err = vc.VerifyProof([]byte(swapped), vc.RegistryResolver(base, f.reg))
	if err == nil || credential.ErrorCode(err) != credential.CodeInvalid || !strings.Contains(err.Error(), "loading remote context failed") {
		t.Fatalf("got %v, want a refusal to load the context", err)
	}
	if b, ok := vc.ContextDocument(vc.ContextCredentialsV2); !ok || !json.Valid(b) {
		t.Fatal("the W3C context is not bundled as JSON")
	}
	if _, ok := vc.ContextDocument("https://www.w3.org/ns/credentials/examples/v2"); ok {
		t.Fatal("serves a context that is not bundled")
	}
}

func TestUndefinedTermsAreRejected(t *testing.T) {
	f := newFixture(t)
	out, err := vc.Export(f.licence(t), f.params(1), f.keys[demo.Market])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(out, &m)
	// Only the CertLedger context: "VerifiableCredential", "issuer" and the
	// proof terms are then undefined and would silently vanish from the
	// canonical form, leaving them unsigned.
	m["@context"] = []any{vc.CertLedgerContext()}
	b, _ := json.Marshal(m)
	if _, _, err := vc.VerifyProof(b, vc.RegistryResolver(base, f.reg)); err == nil || !strings.Contains(err.Error(), "JSON-LD") {
		t.Fatalf("got %v, want a JSON-LD safe-mode error", err)
	}
}
