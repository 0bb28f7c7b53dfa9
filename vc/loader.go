package vc

import (
	"bytes"
	"embed"

	"github.com/piprate/json-gold/ld"
)

// Context URLs of the exported credentials.
const (
	ContextCredentialsV2 = "https://www.w3.org/ns/credentials/v2"
	ContextCertLedgerV1  = "https://certledger.org/ns/credentials/v1"
)

//go:embed contexts/*.jsonld
var contextFiles embed.FS

var contextPaths = map[string]string{
	ContextCredentialsV2: "contexts/credentials-v2.jsonld",
	ContextCertLedgerV1:  "contexts/certledger-v1.jsonld",
}

// ContextDocument returns the bundled bytes of a context, for the gateway
// to serve (CertLedger's own context at its URL) and for verifiers to use.
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
