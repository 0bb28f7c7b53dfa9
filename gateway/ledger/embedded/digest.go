package embedded

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/bits"
)

// stateDigest is a multiset hash of everything the ledger stores besides
// the log: the sum, modulo 2^256, of a hash of every (bucket, key, value).
// A transaction updates it in constant time by subtracting the hashes of the
// entries it overwrites and adding those it writes, and each log entry
// records the digest after its transaction. Open recomputes the digest from
// the buckets in one pass with constant memory and compares it with the
// last entry's, so a value changed behind the ledger's back is detected
// without holding an index of every key.
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
