package embedded

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/certledger/certledger/gateway/atrest"
)

func TestRekey(t *testing.T) {
	ctx := context.Background()
	dir, n, recs := issued(t)
	next := atrest.Generate()
	oldSealed := storedPrivate(t, dir)
	tipBefore, _ := os.ReadFile(filepath.Join(dir, TipFileName))
	logBefore := readLog(t, dir, testKEK)

	for i, want := range []bool{true, false} { // a second run finds the work done
		changed, err := Rekey(dir, testKEK, next)
		if err != nil || changed != want {
			t.Fatalf("Rekey run %d: changed %v, %v; want %v", i+1, changed, err, want)
		}
	}
	var wrong *atrest.WrongKEKError
	if _, err := Open(dir, testKEK); !errors.As(err, &wrong) || wrong.Sealed != next.ID() {
		t.Fatalf("Open under the old KEK after Rekey: %v, want a *WrongKEKError naming %s", err, next.ID())
	}
	l, err := Open(dir, next)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if _, err := l.Document(ctx, "", r.ID); err != nil {
			t.Fatalf("document %s after Rekey: %v", r.ID, err)
		}
	}
	if m, err := l.VerifyChain(); err != nil || m != n {
		t.Fatalf("VerifyChain after Rekey: %d, %v; want %d", m, err, n)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(readLog(t, dir, next), logBefore) {
		t.Fatal("Rekey changed the log")
	}
	if tipAfter, _ := os.ReadFile(filepath.Join(dir, TipFileName)); !bytes.Equal(tipBefore, tipAfter) {
		t.Fatal("Rekey changed ledger.tip")
	}
	// No value sealed under the old KEK is left anywhere in the file, not
	// even in a freed page.
	raw := rawLedger(t, dir)
	newSealed := storedPrivate(t, dir)
	for k, v := range oldSealed {
		if bytes.Contains(raw, v[atrest.NonceSize:]) {
			t.Errorf("ledger.db still holds %s sealed under the old KEK", k)
		}
		if bytes.Equal(newSealed[k], v) {
			t.Errorf("%s was not sealed again", k)
		}
	}
	if len(newSealed) != len(oldSealed) {
		t.Fatalf("%d private values after Rekey, %d before", len(newSealed), len(oldSealed))
	}

	if _, err := Rekey(dir, testKEK, atrest.Generate()); !errors.As(err, &wrong) || wrong.Sealed != next.ID() {
		t.Fatalf("Rekey from a KEK the file is not under: %v, want a *WrongKEKError", err)
	}
	if changed, err := Rekey(dir, next, testKEK); err != nil || !changed {
		t.Fatalf("Rekey back: %v, %v", changed, err)
	}
	if _, err := Rekey(t.TempDir(), testKEK, next); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Rekey of a folder without a ledger: %v, want not exist", err)
	}
}

func TestFailedRekeyLeavesTheFileAsItWas(t *testing.T) {
	dir, n, _ := issued(t)
	before := storedPrivate(t, dir)
	// The new file cannot be made: its name is taken by a folder that is
	// not empty.
	blocker := filepath.Join(dir, FileName+RewriteSuffix)
	if err := os.MkdirAll(filepath.Join(blocker, "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := Rekey(dir, testKEK, atrest.Generate()); err == nil {
		t.Fatal("Rekey succeeded without a place for the new file")
	}
	if !reflect.DeepEqual(before, storedPrivate(t, dir)) {
		t.Fatal("a failed Rekey changed the sealed values")
	}
	if err := os.RemoveAll(blocker); err != nil {
		t.Fatal(err)
	}
	if m, err := Verify(dir, testKEK); err != nil || m != n {
		t.Fatalf("after a failed Rekey: %d, %v; want the ledger whole under the old KEK", m, err)
	}
	// A new file half written by a crash is replaced by the next rewrite.
	if err := os.WriteFile(blocker, []byte("half a ledger"), 0o600); err != nil {
		t.Fatal(err)
	}
	next := atrest.Generate()
	if changed, err := Rekey(dir, testKEK, next); err != nil || !changed {
		t.Fatalf("Rekey over a leftover file: %v, %v", changed, err)
	}
	if m, err := Verify(dir, next); err != nil || m != n {
		t.Fatalf("after Rekey: %d, %v", m, err)
	}
}

func readLog(t *testing.T, dir string, kek atrest.KEK) []LogEntry {
	t.Helper()
	l, err := Open(dir, kek)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	entries, err := l.Log(1, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	return entries
}
