package credential

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"math/bits"
	"time"
)

// anchorLeafDomain separates anchored leaves from every other hash.
const anchorLeafDomain = "certledger.anchor-leaf.v1"

// AnchorLeafHash is the Merkle leaf of a credential with identifier id: the
// RFC 9162 leaf hash (0x00 prefix) of its public leaf, so the root commits to
// every identifier, digest, holder reference and validity period of the
// batch.
func AnchorLeafHash(id string, l AnchorLeaf) [32]byte {
	b := make([]byte, 0, 256)
	b = append(b, 0)
	b = appendLP(b, anchorLeafDomain)
	b = appendLP(b, id)
	b = appendLP(b, l.Digest)
	b = appendLP(b, l.HolderRef)
	b = appendLP(b, anchorTime(l.ValidFrom))
	b = appendLP(b, anchorTime(l.ValidUntil))
	return sha256.Sum256(b)
}

func anchorTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func merkleNode(l, r [32]byte) [32]byte {
	var b [65]byte
	b[0] = 1
	copy(b[1:], l[:])
	copy(b[33:], r[:])
	return sha256.Sum256(b[:])
}

// split is RFC 9162's k: the largest power of two below n (n > 1).
func split(n int) int { return 1 << (bits.Len(uint(n-1)) - 1) }

// MerkleRoot is the RFC 9162 Merkle tree hash of leaf hashes (at least one).
func MerkleRoot(h [][32]byte) [32]byte {
	if len(h) == 1 {
		return h[0]
	}
	k := split(len(h))
	return merkleNode(MerkleRoot(h[:k]), MerkleRoot(h[k:]))
}

// merklePath is RFC 9162's inclusion path of leaf m, leaf level first.
func merklePath(h [][32]byte, m int) [][32]byte {
	if len(h) == 1 {
		return nil
	}
	k := split(len(h))
	if m < k {
		return append(merklePath(h[:k], m), MerkleRoot(h[k:]))
	}
	return append(merklePath(h[k:], m-k), MerkleRoot(h[:k]))
}

// merklePathLen is len(merklePath(h, m)) for len(h) == n.
func merklePathLen(m, n int) int {
	l := 0
	for n > 1 {
		k := split(n)
		if m < k {
			n = k
		} else {
			m, n = m-k, n-k
		}
		l++
	}
	return l
}

// merkleClimb is RFC 9162's inclusion proof verification (section
// 2.1.3.2): the root that leaf r at index m of n leaves reaches through
// path, or false when the path has the wrong length for (m, n).
func merkleClimb(r [32]byte, m, n int, path [][32]byte) ([32]byte, bool) {
	if m < 0 || m >= n {
		return r, false
	}
	fn, sn := m, n-1
	for _, p := range path {
		if sn == 0 {
			return r, false
		}
		if fn&1 == 1 || fn == sn {
			r = merkleNode(p, r)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			r = merkleNode(r, p)
		}
		fn >>= 1
		sn >>= 1
	}
	return r, sn == 0
}

// AnchorRoots computes a batch's chunk roots and root from its leaves, as
// the contract recomputes them: leaf i is the credential
// AnchoredSerial(token, i) of typeCode and the issuer whose unified social
// credit code is issuerCode.
func AnchorRoots(typeCode, issuerCode, token string, leaves []AnchorLeaf) (root [32]byte, chunkRoots [][32]byte) {
	a := Anchor{Type: typeCode, IssuerCode: issuerCode, Token: token}
	hashes := make([][32]byte, len(leaves))
	for i, l := range leaves {
		hashes[i] = AnchorLeafHash(a.CredentialID(i), l)
	}
	for c := 0; c < len(hashes); c += AnchorChunkSize {
		chunkRoots = append(chunkRoots, MerkleRoot(hashes[c:min(c+AnchorChunkSize, len(hashes))]))
	}
	return MerkleRoot(chunkRoots), chunkRoots
}

// chunkLen is how many leaves chunk c of a batch of n holds.
func chunkLen(c, n int) int { return min(AnchorChunkSize, n-c*AnchorChunkSize) }

// Proof is the inclusion proof of leaf i, given the leaves of its chunk
// (chunk i/AnchorChunkSize).
func (a Anchor) Proof(i int, chunk []AnchorLeaf) (AnchorProof, error) {
	c, j := i/AnchorChunkSize, i%AnchorChunkSize
	if i < 0 || i >= a.Count || len(a.ChunkRoots) != a.Chunks() || len(chunk) != chunkLen(c, a.Count) {
		return AnchorProof{}, Errorf(ReasonInvalidRequest, "leaf %d is not in a batch of %d with this chunk", i, a.Count)
	}
	hashes := make([][32]byte, len(chunk))
	for k, l := range chunk {
		hashes[k] = AnchorLeafHash(a.CredentialID(c*AnchorChunkSize+k), l)
	}
	roots := make([][32]byte, len(a.ChunkRoots))
	for k, s := range a.ChunkRoots {
		if _, err := hex.Decode(roots[k][:], []byte(s)); err != nil || len(s) != 64 {
			return AnchorProof{}, Errorf(ReasonInvalidRequest, "chunk root %d is not 64 hex characters", k)
		}
	}
	p := AnchorProof{Token: a.Token, Index: i, Count: a.Count, Root: a.Root}
	for _, h := range append(merklePath(hashes, j), merklePath(roots, c)...) {
		p.Path = append(p.Path, hex.EncodeToString(h[:]))
	}
	return p, nil
}

// Verify checks that the credential id with public leaf l is leaf p.Index
// of the batch whose root is p.Root. Whether that root is on the ledger,
// and names this token, is the caller's to check.
func (p AnchorProof) Verify(id string, l AnchorLeaf) error {
	bad := func(what string) error {
		return Errorf(ReasonInvalidDocument, "the anchor proof of %s %s", id, what)
	}
	parsed, err := ParseIdentifier(id)
	if err != nil {
		return err
	}
	if tok, i, ok := IsAnchoredSerial(parsed.Serial); !ok || tok != p.Token || i != p.Index || parsed.Version != 1 {
		return bad("names another batch or position")
	}
	if p.Count < 1 || p.Count > MaxAnchorLeaves || p.Index >= p.Count {
		return bad("has an impossible position")
	}
	path := make([][32]byte, len(p.Path))
	for k, s := range p.Path {
		if len(s) != 64 {
			return bad("has a malformed hash")
		}
		if _, err := hex.Decode(path[k][:], []byte(s)); err != nil {
			return bad("has a malformed hash")
		}
	}
	c, j := p.Index/AnchorChunkSize, p.Index%AnchorChunkSize
	inner := merklePathLen(j, chunkLen(c, p.Count))
	if len(path) < inner {
		return bad("is too short")
	}
	chunkRoot, ok := merkleClimb(AnchorLeafHash(id, l), j, chunkLen(c, p.Count), path[:inner])
	if !ok {
		return bad("does not fit its chunk")
	}
	root, ok := merkleClimb(chunkRoot, c, AnchorChunks(p.Count), path[inner:])
	want, err := hex.DecodeString(p.Root)
	if !ok || err != nil || !bytes.Equal(root[:], want) {
		return bad("does not lead to its root")
	}
	return nil
}
