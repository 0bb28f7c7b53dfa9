package vc

import (
	"crypto/sha256"
	"encoding/json"

	"github.com/certledger/certledger/credential"
	"github.com/piprate/json-gold/ld"
)

// canonicalize returns the RDFC-1.0 canonical N-Quads of a JSON-LD document
// (json-gold's URDNA2015 is that algorithm). Safe mode refuses a property
// that maps to no IRI: it would drop out of the N-Quads, unsigned.
func canonicalize(doc map[string]any) (string, error) {
	proc := ld.NewJsonLdProcessor()
	opts := ld.NewJsonLdOptions("")
	opts.ProcessingMode = ld.JsonLd_1_1
	opts.DocumentLoader = DocumentLoader()
	opts.SafeMode = true
	if _, err := proc.Expand(doc, opts); err != nil {
		return "", credential.Wrapf(err, credential.ReasonInvalidVC, "the credential is not valid JSON-LD")
	}
	opts.Algorithm = ld.AlgorithmURDNA2015
	opts.Format = "application/n-quads"
	out, err := proc.Normalize(doc, opts)
	if err != nil {
		return "", credential.Wrapf(err, credential.ReasonInvalidVC, "the credential cannot be canonicalized as JSON-LD")
	}
	s, ok := out.(string)
	if !ok || s == "" {
		return "", credential.Errorf(credential.ReasonInvalidVC, "JSON-LD canonicalization produced no statements")
	}
	return s, nil
}

func hashCanonical(doc map[string]any) ([]byte, error) {
	s, err := canonicalize(doc)
	if err != nil {
		return nil, err
	}
	h := sha256.Sum256([]byte(s))
	return h[:], nil
}

// generic turns a value into the plain maps, slices and strings JSON
// decoding gives, which is what the JSON-LD processor walks.
func generic(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, credential.Wrapf(err, credential.ReasonInternal, "the value cannot be encoded as JSON")
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, credential.Wrapf(err, credential.ReasonInvalidVC, "the value is not a JSON object")
	}
	return m, nil
}
