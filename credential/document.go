package credential

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"sort"
	"strconv"
	"time"
)

// Format names the document encoding and hashing scheme.
const Format = "certledger/v1"

// Holder claim names. Type fields cannot contain a dot, so these never
// collide with a credential type's own fields.
const (
	ClaimHolderName     = "holder.name"
	ClaimHolderIDType   = "holder.idType"
	ClaimHolderIDNumber = "holder.idNumber"
)

// SaltSize is the size in bytes of each claim's random salt.
const SaltSize = 16

// Claim is one disclosed field of a credential with the salt that makes its
// commitment unguessable.
type Claim struct {
	Name  string    `json:"name"`
	Type  FieldType `json:"type"`
	Value string    `json:"value"`
	Salt  string    `json:"salt"` // base64url, no padding
}

// Proof is the issuing department's signature over the document digest.
type Proof struct {
	Algorithm string `json:"alg"` // "Ed25519"
	KeyID     string `json:"kid"`
	Digest    string `json:"digest"`    // hex SHA-256, the value recorded on the ledger
	Signature string `json:"signature"` // base64url, no padding
	// Anchor places an anchored credential under its batch's Merkle root
	// (docs/decisions/0021-anchored-batches.md). It is outside the digest:
	// the ledger adds it when it hands out the document.
	Anchor *AnchorProof `json:"anchor,omitempty"`
}

// Document is a signed credential. A full document discloses every claim; a
// presentation discloses some and keeps only the commitments of the rest in
// Hidden, so it verifies against the same digest and signature.
type Document struct {
	Format     string    `json:"format"`
	ID         string    `json:"id"`
	Type       string    `json:"type"` // credential type code
	Issuer     string    `json:"issuer"`
	IssuedAt   time.Time `json:"issuedAt"`
	ValidFrom  time.Time `json:"validFrom"`
	ValidUntil time.Time `json:"validUntil,omitzero"`
	Version    int       `json:"version"`
	Renews     string    `json:"renews,omitempty"`
	Claims     []Claim   `json:"claims"`
	Hidden     []string  `json:"hidden,omitempty"` // hex commitments of undisclosed claims
	Proof      Proof     `json:"proof"`
}

// NewSalt returns a fresh random salt, encoded as in Claim.Salt.
func NewSalt() string {
	var b [SaltSize]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("credential: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// appendLP appends a length-prefixed byte string: the canonical encoding
// that makes every hash input unambiguous.
func appendLP(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// saltTextLen is the length of a salt in unpadded base64url: 4 characters
// per 3 bytes, rounded up.
const saltTextLen = (SaltSize*8 + 5) / 6

func errBadSalt(claim string) error {
	return Errorf(ReasonInvalidDocument, "claim %s: salt must be %d bytes of base64url", claim, SaltSize)
}

// Commitment returns the SHA-256 commitment of a claim.
func (c Claim) Commitment() ([sha256.Size]byte, error) {
	// Salts are decoded and re-encoded in stack buffers, since Verify
	// computes one commitment per claim on every request. The length check
	// comes first: Decode writes as many bytes as the input holds.
	if len(c.Salt) != saltTextLen {
		return [sha256.Size]byte{}, errBadSalt(c.Name)
	}
	var salt, again [saltTextLen]byte
	n, err := base64.RawURLEncoding.Decode(salt[:], []byte(c.Salt))
	// Re-encoding must give back the same text: the decoder ignores line
	// breaks and unused trailing bits, which would let several salt strings
	// (and so several documents) share one commitment.
	if err != nil || n != SaltSize || string(base64.RawURLEncoding.AppendEncode(again[:0], salt[:n])) != c.Salt {
		return [sha256.Size]byte{}, errBadSalt(c.Name)
	}
	var stack [256]byte
	buf := stack[:0]
	buf = appendLP(buf, "certledger.claim.v1")
	buf = appendLP(buf, c.Name)
	buf = appendLP(buf, string(c.Type))
	buf = binary.AppendUvarint(buf, SaltSize)
	buf = append(buf, salt[:SaltSize]...)
	buf = appendLP(buf, c.Value)
	return sha256.Sum256(buf), nil
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// Commitments returns the sorted commitments of all claims, disclosed and
// hidden.
func (d *Document) Commitments() ([][sha256.Size]byte, error) {
	out := make([][sha256.Size]byte, 0, len(d.Claims)+len(d.Hidden))
	for _, c := range d.Claims {
		h, err := c.Commitment()
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	for _, s := range d.Hidden {
		var h [sha256.Size]byte
		// Lower-case only, so one commitment has exactly one spelling.
		if b, err := hex.DecodeString(s); err != nil || len(b) != sha256.Size || hex.EncodeToString(b) != s {
			return nil, Errorf(ReasonInvalidDocument, "hidden commitment %q is not 32 bytes of lower-case hex", s)
		} else {
			copy(h[:], b)
		}
		out = append(out, h)
	}
	slices.SortFunc(out, func(a, b [sha256.Size]byte) int { return bytes.Compare(a[:], b[:]) })
	for i := 1; i < len(out); i++ {
		if out[i] == out[i-1] {
			return nil, Errorf(ReasonInvalidDocument, "duplicate claim commitment")
		}
	}
	return out, nil
}

// ComputeDigest returns the hex digest of the document: a hash of the
// header (identifier, type, issuer, times, version, renewal link) and the
// sorted claim commitments. It does not read d.Proof.
func (d *Document) ComputeDigest() (string, error) {
	cs, err := d.Commitments()
	if err != nil {
		return "", err
	}
	buf := make([]byte, 0, 256+len(cs)*sha256.Size)
	buf = appendLP(buf, "certledger.credential.v1")
	buf = appendLP(buf, d.ID)
	buf = appendLP(buf, d.Type)
	buf = appendLP(buf, d.Issuer)
	buf = appendLP(buf, formatTime(d.IssuedAt))
	buf = appendLP(buf, formatTime(d.ValidFrom))
	buf = appendLP(buf, formatTime(d.ValidUntil))
	buf = appendLP(buf, strconv.Itoa(d.Version))
	buf = appendLP(buf, d.Renews)
	buf = binary.AppendUvarint(buf, uint64(len(cs)))
	for _, c := range cs {
		buf = append(buf, c[:]...)
	}
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:]), nil
}

// signingInput binds the key ID to the digest so a signature cannot be
// presented under another key's name.
func signingInput(keyID, digest string) []byte {
	buf := make([]byte, 0, 32+len(keyID)+len(digest))
	buf = appendLP(buf, "certledger.signature.v1")
	buf = appendLP(buf, keyID)
	return appendLP(buf, digest)
}

// Sign computes the digest and signs it with key, filling d.Proof.
func (d *Document) Sign(keyID string, key ed25519.PrivateKey) error {
	digest, err := d.ComputeDigest()
	if err != nil {
		return err
	}
	sig := ed25519.Sign(key, signingInput(keyID, digest))
	d.Proof = Proof{Algorithm: "Ed25519", KeyID: keyID, Digest: digest, Signature: base64.RawURLEncoding.EncodeToString(sig)}
	return nil
}

// CheckIntegrity recomputes the digest from the claims and compares it with
// the digest in the proof.
func (d *Document) CheckIntegrity() error {
	digest, err := d.ComputeDigest()
	if err != nil {
		return err
	}
	if digest != d.Proof.Digest {
		return Errorf(ReasonInvalidSignature, "the content does not match its digest: a field was altered")
	}
	return nil
}

// CheckSignature verifies the proof's signature over its digest with pub.
func (d *Document) CheckSignature(pub ed25519.PublicKey) error {
	if d.Proof.Algorithm != "Ed25519" {
		return Errorf(ReasonInvalidSignature, "unsupported signature algorithm %q", d.Proof.Algorithm)
	}
	if len(pub) != ed25519.PublicKeySize {
		// ed25519.Verify panics on a key of the wrong size.
		return Errorf(ReasonInvalidSignature, "key %s is not an Ed25519 public key", d.Proof.KeyID)
	}
	sig, err := base64.RawURLEncoding.DecodeString(d.Proof.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize || base64.RawURLEncoding.EncodeToString(sig) != d.Proof.Signature {
		return Errorf(ReasonInvalidSignature, "signature is not canonical base64url Ed25519")
	}
	if !ed25519.Verify(pub, signingInput(d.Proof.KeyID, d.Proof.Digest), sig) {
		return Errorf(ReasonInvalidSignature, "signature does not verify with key %s", d.Proof.KeyID)
	}
	return nil
}

// Claim returns the disclosed claim with the given name.
func (d *Document) Claim(name string) (Claim, bool) {
	for _, c := range d.Claims {
		if c.Name == name {
			return c, true
		}
	}
	return Claim{}, false
}

// SortClaims orders claims by name and hidden commitments bytewise so the
// JSON encoding of a document is canonical.
func (d *Document) SortClaims() {
	sort.Slice(d.Claims, func(i, j int) bool { return d.Claims[i].Name < d.Claims[j].Name })
	sort.Strings(d.Hidden)
}
