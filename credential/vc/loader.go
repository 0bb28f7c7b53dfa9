package vc

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"

	"github.com/piprate/json-gold/ld"
)

// ContextCredentialsV2 is the URL of the W3C VC 2.0 context, the only
// remote context exported credentials name.
const ContextCredentialsV2 = "https://www.w3.org/ns/credentials/v2"

//go:embed contexts/credentials-v2.jsonld contexts/cid-v1.jsonld contexts/multikey-v1.jsonld
var contextFiles embed.FS

// contextPaths also bundles the controller document's contexts, so that
// document can be processed as JSON-LD offline as well.
var contextPaths = map[string]string{
	ContextCredentialsV2:         "contexts/credentials-v2.jsonld",
	ContextControlledIdentifiers: "contexts/cid-v1.jsonld",
	ContextMultikey:              "contexts/multikey-v1.jsonld",
}

// certledgerContextJSON holds CertLedger's own term definitions, carried
// inline in exported credentials so that a verifier needs no CertLedger URL.
//
//go:embed contexts/certledger-v1.jsonld
var certledgerContextJSON []byte

// CertLedgerContext returns a fresh copy of the inline context of exported
// credentials (the "@context" member of contexts/certledger-v1.jsonld).
func CertLedgerContext() map[string]any {
	var doc struct {
		Context map[string]any `json:"@context"`
	}
	if err := json.Unmarshal(certledgerContextJSON, &doc); err != nil || doc.Context == nil {
		panic("vc: the bundled CertLedger context is not valid JSON-LD: " + fmt.Sprint(err))
	}
	return doc.Context
}

// ContextDocument returns the bundled bytes of a remote context, for
// verifiers and for tests that need the same bytes.
func ContextDocument(url string) ([]byte, bool) {
	p, ok := contextPaths[url]
	if !ok {
		return nil, false
	}
	b, err := contextFiles.ReadFile(p)
	if err != nil {
		return nil, false
	}
	return b, true
}

// DocumentLoader serves the bundled contexts to a JSON-LD processor and
// fails for every other URL: a credential cannot make the verifier fetch
// anything, and the meaning of its terms cannot change under it.
func DocumentLoader() ld.DocumentLoader { return bundledLoader{} }

type bundledLoader struct{}

func (bundledLoader) LoadDocument(u string) (*ld.RemoteDocument, error) {
	b, ok := ContextDocument(u)
	if !ok {
		return nil, ld.NewJsonLdError(ld.LoadingDocumentFailed, "context "+u+" is not bundled; contexts are never fetched over the network")
	}
	// Parsed afresh on every load, so no processor can alter a shared copy.
	doc, err := ld.DocumentFromReader(bytes.NewReader(b))
	if err != nil {
		return nil, ld.NewJsonLdError(ld.LoadingDocumentFailed, err)
	}
	return &ld.RemoteDocument{DocumentURL: u, Document: doc}, nil
}
