package embedded

import (
	"reflect"
	"testing"
	"time"
)

func TestLogEntryEncoding(t *testing.T) {
	e := LogEntry{Seq: 42, TxID: "ab", Time: time.Date(2026, 3, 1, 9, 0, 0, 123456789, time.UTC), MSPID: "SamrMSP",
		Department: "samr", Function: "Issue", StateDigest: stateDigest{1, 2, 3, 4}.String(), Prev: genesisHash,
		Writes: []Write{{Namespace: NSState, Key: "cred/x", ValueHash: valueHash([]byte("v"))}, {Namespace: NSState, Key: "msp/y", Delete: true}}}
	v := encodeEntry(&e)
	got, err := decodeEntry(seqKey(42), v)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, e) || !entryHashOK(v) || got.ComputeHash() != e.Hash {
		t.Fatalf("round trip:\n%+v\n%+v", got, e)
	}
	tests := []struct {
		name string
		v    []byte
	}{
		{"truncated", v[:len(v)-40]},
		{"trailing byte before the hash", append(append(append([]byte{}, v[:len(v)-32]...), 0), v[len(v)-32:]...)},
		{"empty", nil},
		{"wrong format tag", append([]byte{3, 'x', 'y', 'z'}, v[27:]...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := decodeEntry(seqKey(42), tt.v); err == nil {
				t.Fatal("decoded a malformed entry")
			}
		})
	}
	changed := append([]byte{}, v...)
	changed[30] ^= 1
	if entryHashOK(changed) {
		t.Fatal("a changed byte kept the hash valid")
	}
}

func TestStateDigestArithmetic(t *testing.T) {
	a, b := itemHash([]byte("state"), []byte("k"), []byte("1")), itemHash([]byte("state"), []byte("k"), []byte("2"))
	var d stateDigest
	d.add(a)
	d.add(b)
	d.sub(a)
	if d != b {
		t.Fatalf("add/sub do not cancel: %v != %v", d, b)
	}
	d.sub(b)
	if d != (stateDigest{}) {
		t.Fatalf("digest of nothing is %v", d)
	}
	// Borrow and carry cross limbs.
	x := stateDigest{0, 0, 0, 1}
	d.sub(x)
	if d != (stateDigest{^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0)}) {
		t.Fatalf("0 - 1 = %v", d)
	}
	d.add(x)
	if d != (stateDigest{}) {
		t.Fatalf("-1 + 1 = %v", d)
	}
	if p, err := parseDigest(a.String()); err != nil || p != a {
		t.Fatalf("parse %v: %v %v", a, p, err)
	}
}
