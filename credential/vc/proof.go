package vc

import (
	"crypto/ed25519"
	"encoding/json"
	"time"

	"github.com/certledger/certledger/credential"
)

// Proof values of the eddsa-rdfc-2022 cryptosuite.
const (
	ProofType        = "DataIntegrityProof"
	Cryptosuite      = "eddsa-rdfc-2022"
	PurposeAssertion = "assertionMethod"
)

// Proof is a Data Integrity proof.
type Proof struct {
	Type               string `json:"type"`
	Cryptosuite        string `json:"cryptosuite"`
	Created            string `json:"created,omitempty"`
	VerificationMethod string `json:"verificationMethod"`
	ProofPurpose       string `json:"proofPurpose"`
	ProofValue         string `json:"proofValue,omitempty"`
}

// KeyResolver returns the public key of a verification method, or an error
// when the method is unknown or must not be used for a proof created at the
// given time.
type KeyResolver func(verificationMethod string, created time.Time) (ed25519.PublicKey, error)

// hashData is the transformation and hashing of eddsa-rdfc-2022 (W3C Data
// Integrity EdDSA Cryptosuites v1.0, sections 3.2.3 to 3.2.5): the proof
// configuration (the proof options without proofValue, with the document's
// @context) and the unsecured document (without proof) are each
// canonicalized with RDFC-1.0 and hashed with SHA-256; the hash data is the
// proof configuration's hash followed by the document's.
func hashData(unsecured map[string]any, p Proof) ([]byte, error) {
	if p.Type != ProofType || p.Cryptosuite != Cryptosuite {
		return nil, credential.Errorf(credential.ReasonInvalidVC, "proof must be a %s with cryptosuite %s", ProofType, Cryptosuite)
	}
	if p.Created != "" {
		if _, err := time.Parse(time.RFC3339Nano, p.Created); err != nil {
			return nil, credential.Errorf(credential.ReasonInvalidVC, "proof created %q is not a date-time", p.Created)
		}
	}
	p.ProofValue = ""
	cfg, err := generic(p)
	if err != nil {
		return nil, err
	}
	cfg["@context"] = unsecured["@context"]
	cfgHash, err := hashCanonical(cfg)
	if err != nil {
		return nil, err
	}
	docHash, err := hashCanonical(unsecured)
	if err != nil {
		return nil, err
	}
	return append(cfgHash, docHash...), nil
}

// sign adds an eddsa-rdfc-2022 proof to a document given as a generic map
// and returns the secured document's JSON.
func sign(unsecured map[string]any, verificationMethod string, created time.Time, key ed25519.PrivateKey) ([]byte, error) {
	if _, ok := unsecured["proof"]; ok {
		return nil, credential.Errorf(credential.ReasonInvalidVC, "document already has a proof")
	}
	p := Proof{Type: ProofType, Cryptosuite: Cryptosuite, Created: formatTime(created),
		VerificationMethod: verificationMethod, ProofPurpose: PurposeAssertion}
	h, err := hashData(unsecured, p)
	if err != nil {
		return nil, err
	}
	p.ProofValue = multibaseSignature(ed25519.Sign(key, h))
	secured := make(map[string]any, len(unsecured)+1)
	for k, v := range unsecured {
		secured[k] = v
	}
	secured["proof"] = p
	out, err := json.MarshalIndent(secured, "", "  ")
	if err != nil {
		return nil, credential.Wrapf(err, credential.ReasonInternal, "the credential cannot be encoded")
	}
	return out, nil
}

// maxSecuredSize bounds a secured document VerifyProof reads.
const maxSecuredSize = 1 << 20

// VerifyProof verifies the single eddsa-rdfc-2022 proof of a secured JSON-LD
// document (a credential or a status list credential) and returns the
// document without its proof, as a generic map, and the proof.
func VerifyProof(data []byte, resolve KeyResolver) (map[string]any, Proof, error) {
	if len(data) > maxSecuredSize {
		return nil, Proof{}, credential.Errorf(credential.ReasonInvalidVC, "credential larger than %d bytes", maxSecuredSize)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil || doc == nil {
		return nil, Proof{}, credential.Errorf(credential.ReasonInvalidVC, "credential is not a JSON object")
	}
	rawProof, ok := doc["proof"]
	if !ok {
		return nil, Proof{}, credential.Errorf(credential.ReasonInvalidVC, "credential has no proof")
	}
	pb, _ := json.Marshal(rawProof)
	var p Proof
	if err := strictJSON(pb, &p); err != nil {
		return nil, Proof{}, credential.Wrapf(err, credential.ReasonInvalidVC, "proof must be one object with type, cryptosuite, created, verificationMethod, proofPurpose and proofValue")
	}
	if p.ProofPurpose != PurposeAssertion {
		return nil, Proof{}, credential.Errorf(credential.ReasonInvalidVC, "proof purpose %q is not %s", p.ProofPurpose, PurposeAssertion)
	}
	sig, err := parseMultibaseSignature(p.ProofValue)
	if err != nil {
		return nil, Proof{}, err
	}
	created, _ := time.Parse(time.RFC3339Nano, p.Created)
	pub, err := resolve(p.VerificationMethod, created)
	if err != nil {
		return nil, Proof{}, err
	}
	delete(doc, "proof")
	h, err := hashData(doc, p)
	if err != nil {
		return nil, Proof{}, err
	}
	if !ed25519.Verify(pub, h, sig) {
		return nil, Proof{}, credential.Errorf(credential.ReasonInvalidSignature, "proof does not verify with %s", p.VerificationMethod)
	}
	return doc, p, nil
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}
