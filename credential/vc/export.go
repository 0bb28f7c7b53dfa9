package vc

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"strings"
	"time"

	"github.com/certledger/certledger/credential"
)

// Signer is a department key that signs exported credentials and status
// lists; the gateway holds these keys.
type Signer struct {
	KeyID string
	Key   ed25519.PrivateKey
}

// check makes sure the signer is a key of dept that may sign at t.
func (s Signer) check(dept credential.Department, t time.Time) error {
	k, ok := dept.Key(s.KeyID)
	if !ok {
		return credential.Errorf(credential.ReasonUnknownKey, "key %s is not a key of %s", s.KeyID, dept.ID)
	}
	pub, err := k.Ed25519()
	if err != nil {
		return err
	}
	if len(s.Key) != ed25519.PrivateKeySize || !pub.Equal(s.Key.Public()) {
		return credential.Errorf(credential.ReasonUnknownKey, "the private key does not match key %s", s.KeyID)
	}
	if k.Status != credential.KeyActive {
		return credential.Errorf(credential.ReasonKeyNotUsable, "key %s is %s and no longer signs", s.KeyID, k.Status)
	}
	if t.IsZero() {
		return credential.Errorf(credential.ReasonInvalidVC, "a proof needs a creation time")
	}
	return k.AcceptsSignatureAt(t)
}

// LangValue is a JSON-LD value object with a language tag.
type LangValue struct {
	Value    string `json:"@value"`
	Language string `json:"@language"`
}

// IssuerRef is the issuer of an exported credential.
type IssuerRef struct {
	ID   string      `json:"id"`
	Name []LangValue `json:"name"`
}

// Credential is an exported W3C Verifiable Credential 2.0.
type Credential struct {
	Context           []any             `json:"@context"` // the W3C v2 URL, then CertLedgerContext inline
	ID                string            `json:"id"`
	Type              []string          `json:"type"`
	Name              []LangValue       `json:"name"`
	Issuer            IssuerRef         `json:"issuer"`
	ValidFrom         string            `json:"validFrom"`
	ValidUntil        string            `json:"validUntil,omitempty"`
	Identifier        string            `json:"identifier"`
	TypeCode          string            `json:"typeCode"`
	IssuerCode        string            `json:"issuerCode"`
	CredentialVersion int               `json:"credentialVersion"`
	Renews            string            `json:"renews,omitempty"`
	LedgerDigest      string            `json:"ledgerDigest"`
	CredentialSubject map[string]string `json:"credentialSubject"`
	CredentialStatus  []StatusEntry     `json:"credentialStatus"`
	Proof             *Proof            `json:"proof,omitempty"`
}

// SubjectType is the type of every exported credentialSubject; its scoped
// context maps claim names to https://certledger.org/ns/claims#<name>.
const SubjectType = "CertLedgerSubject"

// CredentialType is the CertLedger-specific type of exported credentials.
const CredentialType = "CertLedgerCredential"

// reservedClaimNames would mean something else than a claim inside the
// subject: JSON-LD keywords' aliases and the context's credential terms.
var reservedClaimNames = map[string]bool{"id": true, "type": true, "identifier": true, "typeCode": true,
	"issuerCode": true, "credentialVersion": true, "renews": true, "ledgerDigest": true}

// ExportParams is what an export needs besides the document.
type ExportParams struct {
	BaseURL  string              // the gateway's public URL
	Registry credential.Registry // to name the issuer and the type
	// StatusSequence is the credential's status sequence number in its
	// department (see StatusPosition).
	StatusSequence uint64
	Created        time.Time // the proof's creation time
}

// Export converts a document or a presentation into a W3C VC 2.0
// credential with an eddsa-rdfc-2022 proof made with the issuing
// department's key s. A presentation exports only its disclosed claims. The
// document's structure and integrity are checked first, so nothing is
// exported that CertLedger itself would not verify.
func Export(d *credential.Document, p ExportParams, s Signer) ([]byte, error) {
	t, dept, err := d.CheckStructure(p.Registry, !d.IsPresentation())
	if err != nil {
		return nil, err
	}
	if err := d.CheckIntegrity(); err != nil {
		return nil, err
	}
	if err := s.check(dept, p.Created); err != nil {
		return nil, err
	}
	subject := map[string]string{"type": SubjectType}
	for _, c := range d.Claims {
		if reservedClaimNames[c.Name] {
			return nil, credential.Errorf(credential.ReasonInvalidVC, "claim name %q cannot be exported: it is a reserved JSON-LD term", c.Name)
		}
		subject[c.Name] = c.Value
	}
	c := Credential{
		Context: []any{ContextCredentialsV2, CertLedgerContext()},
		ID:      credential.VerifyURL(p.BaseURL, d.ID, ""),
		Type:    []string{"VerifiableCredential", CredentialType},
		Name:    []LangValue{{t.NameZh, "zh"}, {t.NameEn, "en"}},
		Issuer: IssuerRef{ID: IssuerURL(p.BaseURL, dept.ID),
			Name: []LangValue{{dept.NameZh, "zh"}, {dept.NameEn, "en"}}},
		ValidFrom:         formatTime(d.ValidFrom),
		ValidUntil:        formatTime(d.ValidUntil),
		Identifier:        d.ID,
		TypeCode:          d.Type,
		IssuerCode:        dept.USCC,
		CredentialVersion: d.Version,
		Renews:            d.Renews,
		LedgerDigest:      d.Proof.Digest,
		CredentialSubject: subject,
		CredentialStatus:  StatusEntries(p.BaseURL, dept.ID, p.StatusSequence),
	}
	m, err := generic(c)
	if err != nil {
		return nil, err
	}
	return sign(m, VerificationMethodURL(p.BaseURL, dept.ID, s.KeyID), p.Created, s.Key)
}

// ParseCredential decodes an exported credential strictly (no unknown
// members, one JSON value) without verifying it.
func ParseCredential(data []byte) (*Credential, error) {
	if len(data) > maxSecuredSize {
		return nil, credential.Errorf(credential.ReasonInvalidVC, "credential larger than %d bytes", maxSecuredSize)
	}
	var c Credential
	if err := strictJSON(data, &c); err != nil {
		return nil, credential.Wrapf(err, credential.ReasonInvalidVC, "not a CertLedger verifiable credential")
	}
	switch {
	case len(c.Context) != 2 || c.Context[0] != ContextCredentialsV2 || !bytes.Equal(mustJSON(c.Context[1]), mustJSON(CertLedgerContext())):
		return nil, credential.Errorf(credential.ReasonInvalidVC, "@context must be [%s, the CertLedger context]", ContextCredentialsV2)
	case len(c.Type) != 2 || c.Type[0] != "VerifiableCredential" || c.Type[1] != CredentialType:
		return nil, credential.Errorf(credential.ReasonInvalidVC, "type must be [VerifiableCredential, %s]", CredentialType)
	case c.CredentialSubject["type"] != SubjectType:
		return nil, credential.Errorf(credential.ReasonInvalidVC, "credentialSubject must have type %s", SubjectType)
	case c.Proof == nil:
		return nil, credential.Errorf(credential.ReasonInvalidVC, "credential has no proof")
	}
	return &c, nil
}

// VerifyCredential verifies an exported credential's proof with keys from
// the registry (or a trust list) and checks that the signing key belongs to
// the credential's issuer. It does not check status; see CheckStatus.
func VerifyCredential(data []byte, base string, reg credential.Registry) (*Credential, error) {
	c, err := ParseCredential(data)
	if err != nil {
		return nil, err
	}
	if _, _, err := VerifyProof(data, RegistryResolver(base, reg)); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(c.Proof.VerificationMethod, c.Issuer.ID+"#") {
		return nil, credential.Errorf(credential.ReasonInvalidVC, "the proof's key %s is not a key of the issuer %s", c.Proof.VerificationMethod, c.Issuer.ID)
	}
	return c, nil
}

func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return credential.Errorf(credential.ReasonInvalidVC, "trailing data after the JSON value")
	}
	return nil
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
