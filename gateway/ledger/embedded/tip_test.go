package embedded

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func storedTip(t *testing.T, dir string) tipRecord {
	t.Helper()
	rec, _, ok, err := readTipFile(filepath.Join(dir, TipFileName))
	if err != nil || !ok {
		t.Fatalf("read tip: ok %v, %v", ok, err)
	}
	return rec
}

func TestTipFollowsEveryCommit(t *testing.T) {
	f := newFixture(t)
	n, err := f.ledger.VerifyChain()
	if err != nil {
		t.Fatal(err)
	}
	if got := storedTip(t, f.dir); got.seq != n {
		t.Fatalf("tip after provisioning is entry %d, want %d", got.seq, n)
	}
	rec := f.issue(f.licence("甲公司"))
	entries, err := f.ledger.Log(rec.BlockNumber, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := storedTip(t, f.dir); got.seq != n+1 || got.hash != entries[0].Hash {
		t.Fatalf("tip after one issuance is %+v, want entry %d with hash %s", got, n+1, entries[0].Hash)
	}
}

func TestReopenChecksTheTip(t *testing.T) {
	f := newFixture(t)
	f.issue(f.licence("甲公司"))
	f.reopen()
	f.issue(f.licence("乙公司"))

	// A folder from before the tip file existed gets one on open.
	if err := f.ledger.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(f.dir, TipFileName)); err != nil {
		t.Fatal(err)
	}
	f.open()
	n, err := f.ledger.VerifyChain()
	if err != nil {
		t.Fatal(err)
	}
	if got := storedTip(t, f.dir); got.seq != n {
		t.Fatalf("recreated tip is entry %d, want %d", got.seq, n)
	}
}

// corruptNewerMeta flips a byte in whichever of bbolt's two meta pages
// (pages 0 and 1) has the higher transaction ID, so bbolt falls back to the
// other: the file silently loses its last commit.
func corruptNewerMeta(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const metaAt = 16 // page header size
	pageSize := int(binary.NativeEndian.Uint32(b[metaAt+8:]))
	txid := func(page int) uint64 { return binary.NativeEndian.Uint64(b[page*pageSize+metaAt+48:]) }
	newer := 0
	if txid(1) > txid(0) {
		newer = 1
	}
	b[newer*pageSize+metaAt+40] ^= 0x01 // high-water mark; the checksum no longer matches
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestRolledBackLedgerIsRefused(t *testing.T) {
	f := newFixture(t)
	for _, name := range []string{"甲公司", "乙公司", "丙公司"} {
		f.issue(f.licence(name))
	}
	n, err := f.ledger.VerifyChain()
	if err != nil {
		t.Fatal(err)
	}
	if err := f.ledger.Close(); err != nil {
		t.Fatal(err)
	}
	corruptNewerMeta(t, filepath.Join(f.dir, FileName))

	_, err = Open(f.dir, testKEK)
	var rb *RollbackError
	if !errors.As(err, &rb) {
		t.Fatalf("Open of a rolled-back file: %v, want a *RollbackError", err)
	}
	if rb.TipSeq != n || rb.LedgerSeq != n-1 {
		t.Fatalf("RollbackError names tip %d and ledger %d, want %d and %d", rb.TipSeq, rb.LedgerSeq, n, n-1)
	}
	for _, want := range []string{strconvU(n), strconvU(n - 1), TipFileName, "backup"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q does not mention %q", err, want)
		}
	}

	// An operator who accepts the loss removes the tip file.
	if err := os.Remove(filepath.Join(f.dir, TipFileName)); err != nil {
		t.Fatal(err)
	}
	l, err := Open(f.dir, testKEK)
	if err != nil {
		t.Fatalf("Open after removing the tip: %v", err)
	}
	defer l.Close()
	if got, err := l.VerifyChain(); err != nil || got != n-1 {
		t.Fatalf("accepted ledger has %d entries (%v), want %d", got, err, n-1)
	}
	if _, err := l.Registry(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestLedgerReplacedByAnotherIsRefused(t *testing.T) {
	a, b := newFixture(t), newFixture(t)
	for _, f := range []*fixture{a, b} {
		if err := f.ledger.Close(); err != nil {
			t.Fatal(err)
		}
	}
	// Same length, different history: the tip's hash does not match.
	raw, err := os.ReadFile(filepath.Join(b.dir, TipFileName))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(a.dir, TipFileName), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Open(a.dir, testKEK)
	var rb *RollbackError
	if !errors.As(err, &rb) || rb.TipSeq != rb.LedgerSeq {
		t.Fatalf("Open with another ledger's tip: %v, want a *RollbackError for a hash mismatch", err)
	}
}

func TestTornTipWrite(t *testing.T) {
	f := newFixture(t)
	f.issue(f.licence("甲公司"))
	n, err := f.ledger.VerifyChain()
	if err != nil {
		t.Fatal(err)
	}
	if err := f.ledger.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(f.dir, TipFileName)
	_, newest, _, err := readTipFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tear := func(slot int) {
		t.Helper()
		file, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer file.Close()
		if _, err := file.WriteAt([]byte("certledger-tip v1 0000"), int64(slot*tipSlotSize+20)); err != nil {
			t.Fatal(err)
		}
	}

	// A write torn by a crash leaves the previous tip in the other slot.
	tear(newest)
	f.open()
	if got := storedTip(t, f.dir); got.seq != n {
		t.Fatalf("tip after reopening is entry %d, want %d", got.seq, n)
	}
	if err := f.ledger.Close(); err != nil {
		t.Fatal(err)
	}

	tear(0)
	tear(1)
	if _, err := Open(f.dir, testKEK); err == nil || !strings.Contains(err.Error(), TipFileName) {
		t.Fatalf("Open with both slots damaged: %v, want a refusal naming %s", err, TipFileName)
	}
}
