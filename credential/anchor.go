package credential

import (
	"encoding/binary"
	"strconv"
	"strings"
	"time"
)

// Anchored batches (docs/decisions/0021-anchored-batches.md): one ledger
// transaction records up to MaxAnchorLeaves credentials of one department and
// type under a Merkle root. Each credential stays individually verifiable:
// its public record is derived from the anchor and its leaf, and its
// per-credential state is written only when it changes.
const (
	// AnchorChunkSize is how many leaves (and documents) one stored chunk
	// holds; a record read loads one chunk of leaves, a document read one
	// chunk of documents.
	AnchorChunkSize = 256
	// MaxAnchorLeaves bounds one batch. Leaf indexes are three base-36
	// characters of the serial, so a batch may never exceed 36^3.
	MaxAnchorLeaves = 8192
	// AnchorTokenLen is the length of a batch token: base-36 characters
	// drawn from a hash of the batch's rows, about 62 bits.
	AnchorTokenLen = 12
	// anchorSerialMark starts every anchored serial. NewSerial's serials
	// start with a base-36 timestamp, never with '0', so the two kinds of
	// serial never meet; the contract still checks both ways.
	anchorSerialMark = '0'
	anchorIndexLen   = 3
	// AnchorStatusListBase is the first status list of anchored batches:
	// a batch takes a contiguous run of sequence numbers, which must not
	// meet the random positions single issuances draw in the lists below.
	AnchorStatusListBase = 3 << 21
	// statusListSize mirrors vc.StatusListSize (the W3C Bitstring Status
	// List's 131,072 entries), which this package cannot import.
	statusListSize = 131072
)

// AnchorStatusBase is the first status sequence number of anchored batches.
const AnchorStatusBase uint64 = AnchorStatusListBase * statusListSize

// AnchorLeaf is the public part of one anchored credential: what its record
// needs beyond the anchor. It holds no personal data; the holder is the
// same keyed reference a single issuance records.
type AnchorLeaf struct {
	Digest     string    `json:"d"`
	HolderRef  string    `json:"h"`
	ValidFrom  time.Time `json:"f"`
	ValidUntil time.Time `json:"u,omitzero"`
}

// Anchor is an anchored batch as the ledger keeps it, public data only.
type Anchor struct {
	Token  string `json:"token"`
	Type   string `json:"type"`   // credential type code
	Issuer string `json:"issuer"` // department ID, as records name it
	// IssuerCode is the issuer's unified social credit code, as the
	// batch's identifiers (and its ledger keys) spell the issuer.
	IssuerCode string    `json:"issuerCode"`
	KeyID      string    `json:"kid"`
	IssuedAt   time.Time `json:"issuedAt"`
	Count      int       `json:"count"`
	// Root is the hex Merkle root over the chunk roots; ChunkRoots are the
	// roots over each chunk's leaves (MerkleRoot of AnchorLeafHash).
	Root       string   `json:"root"`
	ChunkRoots []string `json:"chunkRoots"`
	// StatusFrom is the status sequence of leaf 0; leaf i has StatusFrom+i.
	StatusFrom uint64 `json:"statusFrom"`
	// RequestHash is the gateway's keyed hash of the batch's rows, so the
	// same token sent with other rows is told apart from a replay.
	RequestHash string `json:"requestHash"`
	APIKeyID    string `json:"apiKeyId,omitempty"`
	Staff       string `json:"staff,omitempty"`
	MSPID       string `json:"mspId"`
	TxID        string `json:"txId"`
	// Time is the anchoring transaction's time.
	Time time.Time `json:"time"`
}

// AnchorRequest asks the ledger to anchor a batch. Leaves travel as
// transient data with it; the documents travel beside it, one
// EncodeAnchorChunk blob per chunk, also as transient data, and go to the
// department's private collection unread by the contract.
type AnchorRequest struct {
	Token      string    `json:"token"`
	Type       string    `json:"type"`
	KeyID      string    `json:"kid"`
	IssuedAt   time.Time `json:"issuedAt"`
	Root       string    `json:"root"`
	StatusFrom uint64    `json:"statusFrom"`
	// RequestHash is a keyed hash of the rows' contents (the request hashes
	// of their issuances): the token names the batch, and this tells a
	// replay (same rows, new salts and signatures) from a reuse.
	RequestHash string `json:"requestHash"`
	// Leaves travel beside the request as EncodeAnchorLeaves bytes (the
	// transient TransientAnchorLeaves), not in its JSON.
	Leaves   []AnchorLeaf `json:"-"`
	APIKeyID string       `json:"apiKeyId,omitempty"`
	Staff    string       `json:"staff,omitempty"`
	// Chunks are the documents, one blob per AnchorChunkSize leaves. They
	// never go into the request's JSON: backends carry them as separate
	// transient values.
	Chunks [][]byte `json:"-"`
}

// AnchorResult is the outcome of an anchoring. Replayed is true when the
// same batch (same token and request hash) was already anchored: Anchor is
// then the first anchoring's, whose documents are the ones on the ledger.
type AnchorResult struct {
	Anchor   Anchor `json:"anchor"`
	Replayed bool   `json:"replayed"`
}

// AnchorProof places a document's leaf under its batch's root: the sibling
// hashes from the leaf to its chunk root, then from the chunk root to the
// batch root (RFC 9162 inclusion proofs, one per level).
type AnchorProof struct {
	Token string   `json:"token"`
	Index int      `json:"index"`
	Count int      `json:"count"`
	Root  string   `json:"root"`
	Path  []string `json:"path"` // hex SHA-256, leaf level first
}

// AnchoredSerial is the serial of leaf index of the batch with token.
func AnchoredSerial(token string, index int) string {
	if index >= 0 && index < 36*36*36 {
		return string(append(append([]byte{anchorSerialMark}, token...), alnum36[index/(36*36)], alnum36[index/36%36], alnum36[index%36]))
	}
	s := strings.ToUpper(strconv.FormatInt(int64(index), 36))
	for len(s) < anchorIndexLen {
		s = "0" + s
	}
	return string(anchorSerialMark) + token + s
}

// IsAnchoredSerial reports whether serial has the shape of an anchored
// batch's serial, and if so its token and leaf index.
func IsAnchoredSerial(serial string) (token string, index int, ok bool) {
	if len(serial) != 1+AnchorTokenLen+anchorIndexLen || serial[0] != anchorSerialMark {
		return "", 0, false
	}
	n, err := strconv.ParseInt(serial[1+AnchorTokenLen:], 36, 32)
	if err != nil || n >= MaxAnchorLeaves {
		return "", 0, false
	}
	return serial[1 : 1+AnchorTokenLen], int(n), true
}

// AnchoredSerialPrefix is what every serial of the batch starts with.
func AnchoredSerialPrefix(token string) string { return string(anchorSerialMark) + token }

// AnchorToken derives a batch token from a hash of what identifies the
// batch (its department, type and rows' idempotency keys), so sending the
// same rows again names the same batch.
func AnchorToken(h [32]byte) string {
	v := binary.BigEndian.Uint64(h[:8])
	out := make([]byte, AnchorTokenLen)
	for i := AnchorTokenLen - 1; i >= 0; i-- {
		out[i] = alnum36[v%36]
		v /= 36
	}
	return string(out)
}

// ValidAnchorToken reports whether s is a token AnchorToken can produce.
func ValidAnchorToken(s string) bool {
	if len(s) != AnchorTokenLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(alnum36, s[i]) < 0 {
			return false
		}
	}
	return true
}

// CredentialID is the identifier of leaf i of the anchor.
func (a Anchor) CredentialID(i int) string {
	return Identifier{TypeCode: a.Type, Issuer: a.IssuerCode, Serial: AnchoredSerial(a.Token, i), Version: 1}.String()
}

// Chunks is how many chunks the anchor's leaves fill.
func (a Anchor) Chunks() int { return AnchorChunks(a.Count) }

// AnchorChunks is how many chunks n leaves fill.
func AnchorChunks(n int) int { return (n + AnchorChunkSize - 1) / AnchorChunkSize }

// Record is the public record of leaf i as issued, before any change: what a
// single issuance of the same credential would have recorded.
func (a Anchor) Record(i int, leaf AnchorLeaf) Record {
	change := Change{
		Action:   ActionIssue,
		Actor:    a.Issuer,
		APIKeyID: a.APIKeyID,
		Staff:    a.Staff,
		MSPID:    a.MSPID,
		TxID:     a.TxID,
		Time:     a.Time,
		Status:   StatusValid,
	}
	rec := Record{
		ID:         a.CredentialID(i),
		Type:       a.Type,
		Issuer:     a.Issuer,
		Digest:     leaf.Digest,
		KeyID:      a.KeyID,
		HolderRef:  leaf.HolderRef,
		Status:     StatusValid,
		IssuedAt:   a.IssuedAt,
		ValidFrom:  leaf.ValidFrom,
		ValidUntil: leaf.ValidUntil,
		Version:    1,
		IssueTxID:  a.TxID,
		LastChange: change,
		Revision:   1,
	}
	if a.StatusFrom != 0 {
		rec.StatusSequence = a.StatusFrom + uint64(i)
	}
	return rec
}

// AnchorStatusRange reports whether the status sequences [from, from+n) are
// a valid run for an anchored batch: in the anchored lists, inside one list.
func AnchorStatusRange(from uint64, n int) error {
	if n < 1 || n > MaxAnchorLeaves {
		return Errorf(ReasonInvalidField, "an anchored batch holds 1 to %d credentials, not %d", MaxAnchorLeaves, n)
	}
	last := from + uint64(n) - 1
	switch {
	case from < AnchorStatusBase:
		return Errorf(ReasonInvalidStatusList, "statusFrom %d is below the anchored lists, which start at %d", from, AnchorStatusBase)
	case last >= MaxStatusSequence:
		return Errorf(ReasonInvalidStatusList, "status sequences up to %d reach past %d", last, uint64(MaxStatusSequence))
	case from/statusListSize != last/statusListSize:
		return Errorf(ReasonInvalidStatusList, "status sequences %d to %d cross a status list boundary", from, last)
	}
	return nil
}

// Validate checks a request's form: what the contract can check without the
// registry or the ledger.
func (r AnchorRequest) Validate() error {
	n := len(r.Leaves)
	switch {
	case !ValidAnchorToken(r.Token):
		return Errorf(ReasonInvalidField, "token must be %d characters of 0-9 and A-Z", AnchorTokenLen)
	case !ValidTypeCode(r.Type):
		return Errorf(ReasonInvalidField, "type %q is not a credential type code", r.Type)
	case r.KeyID == "" || len(r.KeyID) > 64:
		return Errorf(ReasonInvalidField, "kid must be 1-64 characters")
	case r.RequestHash == "" || len(r.RequestHash) > 128:
		return Errorf(ReasonInvalidField, "requestHash must be 1-128 characters")
	case r.IssuedAt.IsZero():
		return Errorf(ReasonInvalidField, "issuedAt is required")
	case n == 0 || n > MaxAnchorLeaves:
		return Errorf(ReasonInvalidField, "an anchored batch holds 1 to %d credentials, not %d", MaxAnchorLeaves, n)
	}
	if err := AnchorStatusRange(r.StatusFrom, n); err != nil {
		return err
	}
	for i, l := range r.Leaves {
		if err := l.validate(); err != nil {
			e := Errorf(ReasonInvalidField, "leaf %d: %s", i, err.Error())
			return e
		}
	}
	return nil
}

func (l AnchorLeaf) validate() error {
	switch {
	case !isHex(l.Digest, 64):
		return Errorf(ReasonInvalidField, "digest must be 64 hex characters")
	case !isHex(l.HolderRef, 64):
		return Errorf(ReasonInvalidField, "holderRef must be 64 hex characters")
	case l.ValidFrom.IsZero():
		return Errorf(ReasonInvalidField, "validFrom is required")
	case !l.ValidUntil.IsZero() && !l.ValidUntil.After(l.ValidFrom):
		return Errorf(ReasonInvalidField, "validUntil must be after validFrom")
	}
	return nil
}

// isHex reports whether s is n lower-case hex digits: the one spelling, so
// the hash of a leaf and of its stored binary form agree.
func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
