package chaincode

import (
	"strconv"
	"testing"

	"github.com/certledger/certledger/credential/vc"
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

// rangeLog records the range scans a contract function makes.
type rangeLog struct {
	Tx
	ranges [][2]string
}

func (r *rangeLog) StateRange(start, end string) ([]KV, error) {
	r.ranges = append(r.ranges, [2]string{start, end})
	return r.Tx.StateRange(start, end)
}

// GetStatusEntries must return a whole list, including the entries at
// chunk boundaries, while no single range scan covers more sequence numbers
// than a Fabric peer returns from one query.
func TestStatusEntriesScanInChunks(t *testing.T) {
	l := newMemLedger()
	const list = 5
	base := uint64(list * StatusListSize)
	var seqs []uint64
	for c := uint64(0); c < StatusListSize/statusScanChunk; c++ {
		from := base + c*statusScanChunk
		seqs = append(seqs, from, from+1, from+statusScanChunk-1)
	}
	tx := l.tx("a", t0, "SamrMSP", nil)
	// Neighbours that must stay out: the lists on either side, and a
	// department whose id extends samr's.
	for _, k := range []string{statusIndexKey("samr", base-1), statusIndexKey("samr", base+StatusListSize), statusIndexKey("samr0", base+3), statusIndexKey("samr-a", base+3)} {
		tx.PutState(k, []byte(`{"id":"outside","status":"revoked"}`))
	}
	for _, s := range seqs {
		tx.PutState(statusIndexKey("samr", s), []byte(`{"id":"in-`+strconv.FormatUint(s, 10)+`","status":"valid"}`))
	}
	tx.commit()

	rl := &rangeLog{Tx: l.tx("", t0, "", nil)}
	got, err := GetStatusEntries(rl, "samr", list)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(seqs) {
		t.Fatalf("%d entries, want %d: %+v", len(got), len(seqs), got)
	}
	for i, e := range got {
		if e.Sequence != seqs[i] || e.ID != "in-"+strconv.FormatUint(seqs[i], 10) {
			t.Fatalf("entry %d: %+v, want sequence %d", i, e, seqs[i])
		}
	}
	if len(rl.ranges) < StatusListSize/statusScanChunk {
		t.Fatalf("%d scans", len(rl.ranges))
	}
	if statusScanChunk > 50000 {
		t.Fatalf("a scan covers %d sequence numbers, more than half of Fabric's default totalQueryLimit", statusScanChunk)
	}
	for i, r := range rl.ranges {
		lo := base + uint64(i)*statusScanChunk
		if r[0] != statusIndexKey("samr", lo) || (i < len(rl.ranges)-1 && r[1] != statusIndexKey("samr", lo+statusScanChunk)) {
			t.Errorf("scan %d is [%s, %s), want %d sequence numbers from %d", i, r[0], r[1], statusScanChunk, lo)
		}
	}
}
