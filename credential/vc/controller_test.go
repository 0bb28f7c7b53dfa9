package vc_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/certledger/certledger/credential/demo"
	"github.com/certledger/certledger/credential/vc"
	"github.com/piprate/json-gold/ld"
)

// TestControllerDocumentExpandsOffline processes the controller document as
// JSON-LD with the bundled contexts only: both of its contexts must be
// bundled, must agree on their protected Multikey terms, and must give its
// members the Controlled Identifiers IRIs verifiers frame it with.
func TestControllerDocumentExpandsOffline(t *testing.T) {
	f := newFixture(t)
	samr, _ := f.reg.Department(demo.Market)
	cd := vc.NewControllerDocument(base, samr)
	if !slices.Contains(cd.Context, vc.ContextMultikey) {
		t.Fatalf("@context %v lacks %s, which Multikey verifiers require", cd.Context, vc.ContextMultikey)
	}
	b, err := json.Marshal(cd)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	json.Unmarshal(b, &doc)
	opts := ld.NewJsonLdOptions("")
	opts.DocumentLoader = vc.DocumentLoader()
	out, err := ld.NewJsonLdProcessor().Expand(doc, opts)
	if err != nil {
		t.Fatalf("expanding with the bundled contexts: %v", err)
	}
	node := out[0].(map[string]any)
	vms := node["https://w3id.org/security#verificationMethod"].([]any)
	asserted := node["https://w3id.org/security#assertionMethod"].([]any)
	if len(vms) != len(cd.VerificationMethod) || len(asserted) != len(cd.AssertionMethod) {
		t.Fatalf("expanded %d methods and %d assertion methods, want %d and %d", len(vms), len(asserted), len(cd.VerificationMethod), len(cd.AssertionMethod))
	}
	tests := []struct{ name, key, want string }{
		{"type", "@type", "https://w3id.org/security#Multikey"},
		{"controller", "https://w3id.org/security#controller", cd.ID},
		{"key", "https://w3id.org/security#publicKeyMultibase", cd.VerificationMethod[0].PublicKeyMultibase},
	}
	vm := vms[0].(map[string]any)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := vm[tc.key].([]any)[0]
			if m, ok := got.(map[string]any); ok {
				got = m["@id"]
				if got == nil {
					got = m["@value"]
				}
			}
			if got != tc.want {
				t.Fatalf("%s expands to %v, want %s", tc.key, got, tc.want)
			}
		})
	}
}
