package chaincode

import (
	"testing"

	"github.com/certledger/certledger/vc"
)

// The contract and the VC export must agree on the list size, or a list's
// index scan would not cover the sequence numbers vc.StatusPosition puts in
// it.
func TestStatusListSizeMatchesVC(t *testing.T) {
	if StatusListSize != vc.StatusListSize {
		t.Fatalf("chaincode lists hold %d entries, vc lists %d", StatusListSize, vc.StatusListSize)
	}
	for _, seq := range []uint64{0, 1, StatusListSize - 1, StatusListSize, 5*StatusListSize + 7, MaxStatusSequence - 1} {
		list, _ := vc.StatusPosition(seq)
		if got, want := statusIndexKey("samr", seq), statusListPrefix("samr", list); got[:len(want)] != want {
			t.Errorf("sequence %d: key %s is not under list %d's prefix %s", seq, got, list, want)
		}
	}
}

// Zero padding makes byte order numeric order, so a list scan returns
// entries by sequence number and never strays into the next list.
func TestStatusIndexKeysSortNumerically(t *testing.T) {
	seqs := []uint64{0, 9, 10, 99, 100, StatusListSize - 1, StatusListSize, 10 * StatusListSize, MaxStatusSequence - 1}
	for i := 1; i < len(seqs); i++ {
		if a, b := statusIndexKey("samr", seqs[i-1]), statusIndexKey("samr", seqs[i]); a >= b {
			t.Errorf("%s sorts after %s", a, b)
		}
	}
	p := statusListPrefix("samr", 0)
	if k := statusIndexKey("samr", StatusListSize); k >= p && k < prefixEnd(p) {
		t.Errorf("list 1's key %s falls in list 0's range", k)
	}
	if k := statusIndexKey("samr-x", 0); k >= p && k < prefixEnd(p) {
		t.Errorf("another department's key %s falls in samr's range", k)
	}
}
