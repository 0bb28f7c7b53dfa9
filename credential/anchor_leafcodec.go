package credential

import (
	"encoding/binary"
	"encoding/hex"
	"math"
	"time"
)

// AnchorLeafSize is the stored size of one leaf: digest, holder reference,
// validFrom and validUntil. Leaves are most of what an anchored batch puts
// on every peer, so they are stored as fixed-size binary, not JSON: a
// third of the bytes each peer receives, hashes and writes per credential.
const AnchorLeafSize = 32 + 32 + 8 + 8

// noTime stands for a leaf without validUntil.
const noTime = math.MinInt64

// EncodeAnchorLeaves is the stored form of leaves: AnchorLeafSize bytes
// each, hashes raw and times as big-endian Unix nanoseconds. The leaves must
// have passed validation (lower-case hex of 32 bytes).
func EncodeAnchorLeaves(leaves []AnchorLeaf) ([]byte, error) {
	out := make([]byte, len(leaves)*AnchorLeafSize)
	for i, l := range leaves {
		b := out[i*AnchorLeafSize:]
		if _, err := hex.Decode(b[:32], []byte(l.Digest)); err != nil || len(l.Digest) != 64 {
			return nil, Errorf(ReasonInvalidField, "leaf %d: digest must be 64 hex characters", i)
		}
		if _, err := hex.Decode(b[32:64], []byte(l.HolderRef)); err != nil || len(l.HolderRef) != 64 {
			return nil, Errorf(ReasonInvalidField, "leaf %d: holderRef must be 64 hex characters", i)
		}
		binary.BigEndian.PutUint64(b[64:], uint64(unixNano(l.ValidFrom)))
		binary.BigEndian.PutUint64(b[72:], uint64(unixNano(l.ValidUntil)))
	}
	return out, nil
}

// DecodeAnchorLeaves reads what EncodeAnchorLeaves wrote.
func DecodeAnchorLeaves(b []byte) ([]AnchorLeaf, error) {
	if len(b)%AnchorLeafSize != 0 {
		return nil, Errorf(ReasonInvalidRequest, "leaves take %d bytes, not a multiple of %d", len(b), AnchorLeafSize)
	}
	out := make([]AnchorLeaf, len(b)/AnchorLeafSize)
	for i := range out {
		p := b[i*AnchorLeafSize:]
		out[i] = AnchorLeaf{
			Digest:     hex.EncodeToString(p[:32]),
			HolderRef:  hex.EncodeToString(p[32:64]),
			ValidFrom:  fromUnixNano(int64(binary.BigEndian.Uint64(p[64:]))),
			ValidUntil: fromUnixNano(int64(binary.BigEndian.Uint64(p[72:]))),
		}
	}
	return out, nil
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return noTime
	}
	return t.UnixNano()
}

func fromUnixNano(n int64) time.Time {
	if n == noTime {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}
