package credential

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// TrustListFormat names the trust list encoding.
const TrustListFormat = "certledger-trust-list/v1"

// trustListType is the JWS "typ" of a signed trust list.
const trustListType = "certledger-trust-list+json"

// MaxTrustListSize bounds a signed trust list a verifier reads.
const MaxTrustListSize = 4 << 20

// CheckTrustList is the check an offline verification against a trust list
// adds: whether the list was still current at verification time.
const CheckTrustList = "trustList"

// TrustList is the registry as offline verifiers cache it: every department
// with its keys (validity, status, compromise time) and roles, and every
// credential type with its schema and authorized issuers, stamped with an
// issue time, a sequence number and the time of the next expected update,
// signed by a key of the governance department.
type TrustList struct {
	Format     string    `json:"format"`
	Issuer     string    `json:"issuer"`   // governance department ID
	Sequence   uint64    `json:"sequence"` // increases with every list the issuer signs
	IssuedAt   time.Time `json:"issuedAt"`
	NextUpdate time.Time `json:"nextUpdate"`
	Registry   Registry  `json:"registry"`
}

// NewTrustList builds a trust list of reg issued by the governance
// department governance. It checks every entry of the registry, so a
// verifier never caches a list it would later fail to use.
func NewTrustList(reg Registry, governance string, sequence uint64, issuedAt, nextUpdate time.Time) (*TrustList, error) {
	reg.Sort()
	for _, d := range reg.Departments {
		if err := d.Validate(); err != nil {
			return nil, err
		}
	}
	for _, t := range reg.Types {
		if err := t.Validate(); err != nil {
			return nil, err
		}
	}
	gov, ok := reg.Department(governance)
	if !ok || !gov.HasRole(RoleGovernance) {
		return nil, Errorf(ReasonInvalidTrustList, "%q is not a governance department of the registry", governance)
	}
	if issuedAt.IsZero() || !nextUpdate.After(issuedAt) {
		return nil, Errorf(ReasonInvalidTrustList, "a trust list needs an issue time before its next update")
	}
	return &TrustList{Format: TrustListFormat, Issuer: governance, Sequence: sequence,
		IssuedAt: issuedAt.UTC(), NextUpdate: nextUpdate.UTC(), Registry: reg}, nil
}

type jwsHeader struct {
	Alg string `json:"alg"`
	KID string `json:"kid"`
	Typ string `json:"typ"`
}

// Sign returns the list as a JWS in compact serialization (RFC 7515,
// alg EdDSA per RFC 8037): header.payload.signature, each base64url. The
// payload is the list's JSON exactly as signed, so a verifier needs no
// canonicalization, and any JOSE library can check the signature.
func (tl *TrustList) Sign(keyID string, key ed25519.PrivateKey) ([]byte, error) {
	gov, _ := tl.Registry.Department(tl.Issuer)
	k, ok := gov.Key(keyID)
	if !ok {
		return nil, Errorf(ReasonInvalidTrustList, "key %s is not a key of %s", keyID, tl.Issuer)
	}
	if pub, err := k.Ed25519(); err != nil || !pub.Equal(key.Public()) {
		return nil, Errorf(ReasonInvalidTrustList, "the private key does not match key %s", keyID)
	}
	if err := k.AcceptsSignatureAt(tl.IssuedAt); err != nil {
		return nil, err
	}
	head, _ := json.Marshal(jwsHeader{Alg: "EdDSA", KID: keyID, Typ: trustListType})
	body, err := json.Marshal(tl)
	if err != nil {
		return nil, Wrapf(err, ReasonInternal, "the trust list cannot be encoded")
	}
	input := base64.RawURLEncoding.EncodeToString(head) + "." + base64.RawURLEncoding.EncodeToString(body)
	sig := ed25519.Sign(key, []byte(input))
	return []byte(input + "." + base64.RawURLEncoding.EncodeToString(sig)), nil
}

// ParseTrustList verifies a signed trust list with the trust anchors: the
// governance keys the verifier already trusts, configured out of band for
// the first list and taken from the previous list (GovernanceKeys) after
// that, so the governance department can rotate its key. The signing key
// must be an anchor whose validity and status accept a signature at the
// list's issue time, and must appear with the same public key in the list's
// own governance department.
func ParseTrustList(data []byte, anchors []Key) (*TrustList, error) {
	if len(data) > MaxTrustListSize {
		return nil, Errorf(ReasonInvalidTrustList, "trust list: larger than %d bytes", MaxTrustListSize)
	}
	parts := strings.Split(strings.TrimSpace(string(data)), ".")
	if len(parts) != 3 {
		return nil, Errorf(ReasonInvalidTrustList, "trust list: not a JWS in compact serialization")
	}
	raw := make([][]byte, 3)
	for i, p := range parts {
		b, err := base64.RawURLEncoding.DecodeString(p)
		if err != nil {
			return nil, Wrapf(err, ReasonInvalidTrustList, "trust list: part %d is not base64url", i+1)
		}
		raw[i] = b
	}
	var head jwsHeader
	if err := strictJSON(raw[0], &head); err != nil {
		return nil, Wrapf(err, ReasonInvalidTrustList, "trust list: bad JWS header")
	}
	if head.Alg != "EdDSA" || head.Typ != trustListType {
		return nil, Errorf(ReasonInvalidTrustList, "trust list: header must say alg EdDSA and typ %s", trustListType)
	}
	var anchor Key
	found := false
	for _, a := range anchors {
		if a.ID == head.KID {
			anchor, found = a, true
		}
	}
	if !found {
		return nil, Errorf(ReasonInvalidTrustList, "trust list: signed with key %q, which is not a trust anchor", head.KID)
	}
	pub, err := anchor.Ed25519()
	if err != nil {
		return nil, err
	}
	if len(raw[2]) != ed25519.SignatureSize || !ed25519.Verify(pub, []byte(parts[0]+"."+parts[1]), raw[2]) {
		return nil, Errorf(ReasonInvalidTrustList, "trust list: signature does not verify with key %s", head.KID)
	}
	var tl TrustList
	if err := strictJSON(raw[1], &tl); err != nil {
		return nil, Wrapf(err, ReasonInvalidTrustList, "trust list: bad content")
	}
	if tl.Format != TrustListFormat {
		return nil, Errorf(ReasonInvalidTrustList, "trust list: unknown format %q", tl.Format)
	}
	if err := anchor.AcceptsSignatureAt(tl.IssuedAt); err != nil {
		return nil, Errorf(ReasonInvalidTrustList, "trust list: %s", ErrorMessage(err))
	}
	gov, ok := tl.Registry.Department(tl.Issuer)
	if !ok || !gov.HasRole(RoleGovernance) {
		return nil, Errorf(ReasonInvalidTrustList, "trust list: issuer %q is not a governance department of the list", tl.Issuer)
	}
	if k, ok := gov.Key(head.KID); !ok || k.PublicKey != anchor.PublicKey {
		return nil, Errorf(ReasonInvalidTrustList, "trust list: key %s is not listed for %s with the anchor's public key", head.KID, tl.Issuer)
	}
	return &tl, nil
}

func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return Errorf(ReasonInvalidTrustList, "trailing data")
	}
	return nil
}

// GovernanceKeys returns the keys of the list's governance department: the
// anchors with which to verify the next list.
func (tl *TrustList) GovernanceKeys() []Key {
	gov, _ := tl.Registry.Department(tl.Issuer)
	return append([]Key(nil), gov.Keys...)
}

// Supersedes reports whether tl is a later list than old from the same
// issuer; a verifier refreshing its cache keeps old otherwise, so nobody
// can roll it back to a list from before a key was marked compromised.
func (tl *TrustList) Supersedes(old *TrustList) bool {
	return old == nil || (tl.Issuer == old.Issuer && tl.Sequence > old.Sequence && !tl.IssuedAt.Before(old.IssuedAt))
}

// Current reports whether now is before the list's next update.
func (tl *TrustList) Current(now time.Time) bool { return now.Before(tl.NextUpdate) }

// Verify checks a document or presentation offline against the trust list:
// credential.Verify with the list's registry, plus a check that the list is
// still current. Like every offline answer it is never "valid": revocation
// and suspension need the ledger. The details state times in loc.
func (tl *TrustList) Verify(d *Document, now time.Time, loc *time.Location) Verification {
	v := Verify(VerifyInput{Document: d, Registry: tl.Registry, Online: false, Now: now, Location: loc})
	c := Check{Name: CheckTrustList, OK: tl.Current(now),
		Detail: "trust list " + formatSeq(tl.Sequence) + " of " + FormatTime(tl.IssuedAt, loc) + ", current until " + FormatTime(tl.NextUpdate, loc)}
	if !c.OK {
		c.Detail = "trust list " + formatSeq(tl.Sequence) + " is out of date since " + FormatTime(tl.NextUpdate, loc) + ": key changes after it are unknown"
	}
	v.Checks = append(v.Checks, c)
	return v
}

// VerifyCompact decodes a compact QR payload and verifies it offline
// against the trust list. A payload that does not decode is an error; one
// that decodes always yields a Verification, forged or not.
func (tl *TrustList) VerifyCompact(text string, now time.Time, loc *time.Location) (*Document, Verification, error) {
	d, err := DecodeCompact(text)
	if err != nil {
		return nil, Verification{}, err
	}
	return d, tl.Verify(d, now, loc), nil
}

func formatSeq(n uint64) string { return "#" + strconv.FormatUint(n, 10) }
