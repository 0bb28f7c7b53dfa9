package vc

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/certledger/certledger/credential"
)

// StatusListSize is the number of entries of every status list: the
// minimum of the Bitstring Status List specification (16 KiB), which gives
// each credential herd privacy among 131,072 entries.
const StatusListSize = 131072

// statusMultiplier spreads consecutive sequence numbers over a list. It is
// odd, so x -> (x*statusMultiplier + statusOffset) mod StatusListSize is a
// permutation of the list: no two sequence numbers of one list share an
// index, and neighbouring credentials do not sit in neighbouring bits.
const (
	statusMultiplier = 0x9E3779B1
	statusOffset     = 0x5BD1
)

// StatusPosition maps a credential's status sequence number to its list and
// its index in that list, permuted within the list. The ledger keeps each
// number unique per department (docs/decisions/0004-status-list-index.md).
func StatusPosition(seq uint64) (list uint64, index int) {
	list = seq / StatusListSize
	index = int((seq%StatusListSize*statusMultiplier + statusOffset) % StatusListSize)
	return list, index
}

// Bitstring is a status list: bit i is the status of the credential at
// index i, index 0 being the most significant bit of the first byte.
type Bitstring []byte

// NewBitstring returns a list of StatusListSize cleared entries.
func NewBitstring() Bitstring { return make(Bitstring, StatusListSize/8) }

// Set sets or clears entry i.
func (b Bitstring) Set(i int, v bool) error {
	if i < 0 || i >= len(b)*8 {
		return credential.Errorf(credential.ReasonInvalidVC, "status index %d is outside the list", i)
	}
	mask := byte(0x80) >> (i % 8)
	if v {
		b[i/8] |= mask
	} else {
		b[i/8] &^= mask
	}
	return nil
}

// Get reports entry i; an index outside the list is an error.
func (b Bitstring) Get(i int) (bool, error) {
	if i < 0 || i >= len(b)*8 {
		return false, credential.Errorf(credential.ReasonInvalidVC, "status index %d is outside the list", i)
	}
	return b[i/8]&(byte(0x80)>>(i%8)) != 0, nil
}

// Encode returns the encodedList: GZIP, then multibase base64url without
// padding ('u' prefix).
func (b Bitstring) Encode() string {
	var z bytes.Buffer
	w, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
	w.Write(b)
	w.Close()
	return "u" + base64.RawURLEncoding.EncodeToString(z.Bytes())
}

// maxBitstringBytes bounds decompression of an encodedList (a list of
// 2^24 entries is far more than any issuer publishes).
const maxBitstringBytes = 2 << 20

// DecodeBitstring decodes an encodedList, refusing lists shorter than the
// specification's minimum and inflation beyond 2 MiB.
func DecodeBitstring(s string) (Bitstring, error) {
	rest, ok := strings.CutPrefix(s, "u")
	if !ok {
		return nil, credential.Errorf(credential.ReasonInvalidVC, "encodedList must be multibase base64url ('u')")
	}
	z, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		return nil, credential.Wrapf(err, credential.ReasonInvalidVC, "encodedList is not base64url")
	}
	r, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		return nil, credential.Wrapf(err, credential.ReasonInvalidVC, "encodedList is not GZIP data")
	}
	out, err := io.ReadAll(io.LimitReader(r, maxBitstringBytes+1))
	if err != nil {
		return nil, credential.Wrapf(err, credential.ReasonInvalidVC, "encodedList is corrupt")
	}
	if len(out) > maxBitstringBytes {
		return nil, credential.Errorf(credential.ReasonInvalidVC, "encodedList inflates to more than %d bytes", maxBitstringBytes)
	}
	if len(out) < StatusListSize/8 {
		return nil, credential.Errorf(credential.ReasonInvalidVC, "status list has %d entries, fewer than the minimum %d", len(out)*8, StatusListSize)
	}
	return Bitstring(out), nil
}

// StatusEntry is a credentialStatus entry of type BitstringStatusListEntry.
type StatusEntry struct {
	ID                   string `json:"id"`
	Type                 string `json:"type"`
	StatusPurpose        string `json:"statusPurpose"`
	StatusListIndex      string `json:"statusListIndex"`
	StatusListCredential string `json:"statusListCredential"`
}

// StatusEntries returns the revocation and suspension entries of a
// credential of department dept with status sequence number seq.
func StatusEntries(base, dept string, seq uint64) []StatusEntry {
	list, index := StatusPosition(seq)
	var out []StatusEntry
	for _, purpose := range []string{PurposeRevocation, PurposeSuspension} {
		u := StatusListURL(base, dept, purpose, list)
		out = append(out, StatusEntry{ID: u + "#" + strconv.Itoa(index), Type: "BitstringStatusListEntry",
			StatusPurpose: purpose, StatusListIndex: strconv.Itoa(index), StatusListCredential: u})
	}
	return out
}

// statusListSubject is the credentialSubject of a status list credential.
type statusListSubject struct {
	ID            string `json:"id"`
	Type          string `json:"type"`
	StatusPurpose string `json:"statusPurpose"`
	EncodedList   string `json:"encodedList"`
}

type statusListCredential struct {
	Context           []string          `json:"@context"`
	ID                string            `json:"id"`
	Type              []string          `json:"type"`
	Issuer            string            `json:"issuer"`
	ValidFrom         string            `json:"validFrom"`
	ValidUntil        string            `json:"validUntil,omitempty"`
	CredentialSubject statusListSubject `json:"credentialSubject"`
	Proof             *Proof            `json:"proof,omitempty"`
}

// StatusListParams identifies one status list of a department.
type StatusListParams struct {
	BaseURL    string
	Department credential.Department
	Purpose    string // PurposeRevocation or PurposeSuspension
	List       uint64
	ValidFrom  time.Time // when the list was built, and the proof's creation time
	ValidUntil time.Time // optional: when verifiers should fetch a fresh list
}

// NewStatusListCredential builds and signs a BitstringStatusListCredential
// in which exactly the given indexes are set: for revocation the revoked
// credentials of the list, for suspension the currently suspended ones.
func NewStatusListCredential(p StatusListParams, set []int, s Signer) ([]byte, error) {
	if p.Purpose != PurposeRevocation && p.Purpose != PurposeSuspension {
		return nil, credential.Errorf(credential.ReasonInvalidVC, "unknown status purpose %q", p.Purpose)
	}
	if err := s.check(p.Department, p.ValidFrom); err != nil {
		return nil, err
	}
	bits := NewBitstring()
	for _, i := range set {
		if err := bits.Set(i, true); err != nil {
			return nil, err
		}
	}
	u := StatusListURL(p.BaseURL, p.Department.ID, p.Purpose, p.List)
	c := statusListCredential{
		Context:    []string{ContextCredentialsV2},
		ID:         u,
		Type:       []string{"VerifiableCredential", "BitstringStatusListCredential"},
		Issuer:     IssuerURL(p.BaseURL, p.Department.ID),
		ValidFrom:  formatTime(p.ValidFrom),
		ValidUntil: formatTime(p.ValidUntil),
		CredentialSubject: statusListSubject{ID: u + "#list", Type: "BitstringStatusList",
			StatusPurpose: p.Purpose, EncodedList: bits.Encode()},
	}
	m, err := generic(c)
	if err != nil {
		return nil, err
	}
	return sign(m, VerificationMethodURL(p.BaseURL, p.Department.ID, s.KeyID), p.ValidFrom, s.Key)
}

// CheckStatus verifies a status list credential and reports whether the
// entry's bit is set in it. The list must be the one the entry names, have
// the entry's purpose, and be signed by a key of the same issuer as the
// credential (issuer).
func CheckStatus(listJSON []byte, entry StatusEntry, issuer string, resolve KeyResolver) (bool, error) {
	doc, proof, err := VerifyProof(listJSON, resolve)
	if err != nil {
		return false, err
	}
	var c statusListCredential
	if err := strictJSON(mustJSON(doc), &c); err != nil {
		return false, credential.Wrapf(err, credential.ReasonInvalidVC, "the status list credential does not verify")
	}
	switch {
	case c.ID != entry.StatusListCredential:
		return false, credential.Errorf(credential.ReasonInvalidVC, "status list %s is not the list %s the credential names", c.ID, entry.StatusListCredential)
	case c.Issuer != issuer || !strings.HasPrefix(proof.VerificationMethod, issuer+"#"):
		return false, credential.Errorf(credential.ReasonInvalidVC, "status list is not issued and signed by %s", issuer)
	case c.CredentialSubject.StatusPurpose != entry.StatusPurpose || c.CredentialSubject.Type != "BitstringStatusList":
		return false, credential.Errorf(credential.ReasonInvalidVC, "status list has purpose %q, the entry %q", c.CredentialSubject.StatusPurpose, entry.StatusPurpose)
	}
	bits, err := DecodeBitstring(c.CredentialSubject.EncodedList)
	if err != nil {
		return false, err
	}
	i, err := strconv.Atoi(entry.StatusListIndex)
	if err != nil || strconv.Itoa(i) != entry.StatusListIndex {
		return false, credential.Errorf(credential.ReasonInvalidVC, "statusListIndex %q is not a decimal integer", entry.StatusListIndex)
	}
	return bits.Get(i)
}
