package embedded

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/bits"
)

// stateDigest is a multiset hash of all state besides the log (the sum mod
// 2^256 of a hash of each entry), so a write updates it in constant time and
// Open checks state in one constant-memory pass (docs/architecture.md).
type stateDigest [4]uint64

func itemHash(bucket, key, value []byte) stateDigest {
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	for _, part := range [][]byte{bucket, key, value} {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(part)))])
		h.Write(part)
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	var d stateDigest
	for i := range d {
		d[i] = binary.BigEndian.Uint64(sum[8*i:])
	}
	return d
}

// add and sub treat the digest as a 256-bit big-endian number (d[0] most
// significant).
func (d *stateDigest) add(x stateDigest) {
	var carry uint64
	for i := 3; i >= 0; i-- {
		d[i], carry = bits.Add64(d[i], x[i], carry)
	}
}

func (d *stateDigest) sub(x stateDigest) {
	var borrow uint64
	for i := 3; i >= 0; i-- {
		d[i], borrow = bits.Sub64(d[i], x[i], borrow)
	}
}

func (d stateDigest) String() string {
	var b [32]byte
	for i := range d {
		binary.BigEndian.PutUint64(b[8*i:], d[i])
	}
	return hex.EncodeToString(b[:])
}

func parseDigest(s string) (stateDigest, error) {
	var d stateDigest
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return d, fmt.Errorf("state digest %q is not 32 bytes of hex", s)
	}
	for i := range d {
		d[i] = binary.BigEndian.Uint64(b[8*i:])
	}
	return d, nil
}
