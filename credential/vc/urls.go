package vc

import (
	"crypto/ed25519"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/certledger/certledger/credential"
)

// Status purposes CertLedger publishes: revocation is final, suspension
// (暂扣) can be lifted.
const (
	PurposeRevocation = "revocation"
	PurposeSuspension = "suspension"
)

func trimBase(base string) string { return strings.TrimRight(base, "/") }

// IssuerURL is the id of a department as issuer, and the URL of its
// controller document.
func IssuerURL(base, dept string) string {
	return trimBase(base) + "/issuers/" + url.PathEscape(dept)
}

// VerificationMethodURL is the id of a department key's verification
// method: the controller document's URL with the key ID as fragment.
func VerificationMethodURL(base, dept, keyID string) string {
	return IssuerURL(base, dept) + "#" + url.PathEscape(keyID)
}

// StatusListURL is the URL of a department's status list credential for a
// purpose; list numbers the lists of StatusListSize entries.
func StatusListURL(base, dept, purpose string, list uint64) string {
	return trimBase(base) + "/status/" + url.PathEscape(dept) + "/" + purpose + "/" + strconv.FormatUint(list, 10)
}

// VerificationMethod is a Multikey verification method (Controlled
// Identifiers 1.0).
type VerificationMethod struct {
	ID                 string `json:"id"`
	Type               string `json:"type"` // "Multikey"
	Controller         string `json:"controller"`
	PublicKeyMultibase string `json:"publicKeyMultibase"`
	Revoked            string `json:"revoked,omitempty"`
}

// ControllerDocument is what the gateway serves at IssuerURL.
type ControllerDocument struct {
	Context            []string             `json:"@context"`
	ID                 string               `json:"id"`
	VerificationMethod []VerificationMethod `json:"verificationMethod"`
	AssertionMethod    []string             `json:"assertionMethod"`
}

// Contexts of controller documents: Controlled Identifiers 1.0, and the
// Multikey context, which Digital Bazaar's verifiers (the VC Playground's)
// require a Multikey verification method to carry.
const (
	ContextControlledIdentifiers = "https://www.w3.org/ns/cid/v1"
	ContextMultikey              = "https://w3id.org/security/multikey/v1"
)

// NewControllerDocument describes a department's keys for VC verifiers. A
// compromised key is listed as revoked, not as an assertion method: a generic
// verifier cannot tell when a proof was made, so it rejects all the key signed.
func NewControllerDocument(base string, d credential.Department) ControllerDocument {
	doc := ControllerDocument{Context: []string{ContextControlledIdentifiers, ContextMultikey}, ID: IssuerURL(base, d.ID),
		VerificationMethod: []VerificationMethod{}, AssertionMethod: []string{}}
	for _, k := range d.Keys {
		pub, err := k.Ed25519()
		if err != nil {
			continue
		}
		vm := VerificationMethod{ID: VerificationMethodURL(base, d.ID, k.ID), Type: "Multikey", Controller: doc.ID, PublicKeyMultibase: MultikeyEd25519(pub)}
		if k.Status == credential.KeyCompromised {
			vm.Revoked = formatTime(k.CompromisedAt)
		} else {
			doc.AssertionMethod = append(doc.AssertionMethod, vm.ID)
		}
		doc.VerificationMethod = append(doc.VerificationMethod, vm)
	}
	return doc
}

// RegistryResolver resolves CertLedger verification methods from the
// registry (or a trust list's registry): the method must be a key of the
// department named in its URL whose validity and status accept a signature
// at the proof's creation time.
func RegistryResolver(base string, reg credential.Registry) KeyResolver {
	prefix := trimBase(base) + "/issuers/"
	return func(vm string, created time.Time) (ed25519.PublicKey, error) {
		rest, ok := strings.CutPrefix(vm, prefix)
		if !ok {
			return nil, credential.Errorf(credential.ReasonInvalidVC, "verification method %s is not a CertLedger issuer key under %s", vm, prefix)
		}
		deptEsc, kidEsc, ok := strings.Cut(rest, "#")
		if !ok {
			return nil, credential.Errorf(credential.ReasonInvalidVC, "verification method %s has no key fragment", vm)
		}
		dept, err1 := url.PathUnescape(deptEsc)
		kid, err2 := url.PathUnescape(kidEsc)
		if err1 != nil || err2 != nil {
			return nil, credential.Errorf(credential.ReasonInvalidVC, "verification method %s is not well formed", vm)
		}
		d, ok := reg.Department(dept)
		if !ok {
			return nil, credential.Errorf(credential.ReasonUnknownIssuer, "issuer %q is not in the registry", dept)
		}
		k, ok := d.Key(kid)
		if !ok {
			return nil, credential.Errorf(credential.ReasonUnknownKey, "key %q is not registered for %s", kid, dept)
		}
		if created.IsZero() {
			return nil, credential.Errorf(credential.ReasonInvalidVC, "the proof has no creation time")
		}
		if err := k.AcceptsSignatureAt(created); err != nil {
			return nil, err
		}
		return k.Ed25519()
	}
}
