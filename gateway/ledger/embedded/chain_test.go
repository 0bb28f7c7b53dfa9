package embedded

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
	bolt "go.etcd.io/bbolt"
)

// issued returns a closed ledger folder with a few credentials, and the
// number of log entries.
func issued(t *testing.T) (dir string, entries uint64, recs []credential.Record) {
	t.Helper()
	f := newFixture(t)
	for _, name := range []string{"甲公司", "乙公司", "丙公司"} {
		recs = append(recs, f.issue(f.licence(name)))
	}
	if _, err := f.ledger.ChangeStatus(context.Background(), f.msp(demo.Market), recs[0].ID,
		credential.StatusChange{Action: credential.ActionSuspend, Reason: "核查"}); err != nil {
		t.Fatal(err)
	}
	n, err := f.ledger.VerifyChain()
	if err != nil {
		t.Fatal(err)
	}
	if err := f.ledger.Close(); err != nil {
		t.Fatal(err)
	}
	return f.dir, n, recs
}

// edit changes the ledger file behind the ledger's back.
func edit(t *testing.T, dir string, fn func(btx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, FileName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
}

func editEntry(seq uint64, change func(e *LogEntry)) func(btx *bolt.Tx) error {
	return func(btx *bolt.Tx) error {
		b := btx.Bucket(bucketLog)
		e, err := decodeEntry(seqKey(seq), b.Get(seqKey(seq)))
		if err != nil {
			return err
		}
		change(&e)
		// Store the changed fields with whatever hash e now carries.
		hash, _ := hex.DecodeString(e.Hash)
		return b.Put(seqKey(seq), append(e.canonical(), hash...))
	}
}

func TestTamperedLedgerIsRefused(t *testing.T) {
	tests := []struct {
		name    string
		tamper  func(t *testing.T, dir string, n uint64, recs []credential.Record)
		wantSeq func(n uint64) uint64
		reason  string
	}{
		{"entry content changed", func(t *testing.T, dir string, n uint64, _ []credential.Record) {
			edit(t, dir, editEntry(3, func(e *LogEntry) { e.MSPID = "SamrMSP" }))
		}, func(uint64) uint64 { return 3 }, "does not match its hash"},
		{"entry rehashed but not relinked", func(t *testing.T, dir string, n uint64, _ []credential.Record) {
			edit(t, dir, editEntry(5, func(e *LogEntry) { e.Function = "Forged"; e.Hash = e.ComputeHash() }))
		}, func(uint64) uint64 { return 6 }, "previous-entry hash"},
		{"entry deleted", func(t *testing.T, dir string, n uint64, _ []credential.Record) {
			edit(t, dir, func(btx *bolt.Tx) error { return btx.Bucket(bucketLog).Delete(seqKey(4)) })
		}, func(uint64) uint64 { return 4 }, "missing or out of order"},
		{"last entry removed", func(t *testing.T, dir string, n uint64, _ []credential.Record) {
			edit(t, dir, func(btx *bolt.Tx) error { return btx.Bucket(bucketLog).Delete(seqKey(n)) })
		}, func(n uint64) uint64 { return n - 1 }, "state digest"},
		{"record rewritten in state", func(t *testing.T, dir string, n uint64, recs []credential.Record) {
			edit(t, dir, func(btx *bolt.Tx) error {
				k := []byte(chaincode.RecordKey(recs[1].ID))
				v := bytes.Replace(btx.Bucket(bucketState).Get(k), []byte(`"valid"`), []byte(`"revoked"`), 1)
				return btx.Bucket(bucketState).Put(k, v)
			})
		}, func(n uint64) uint64 { return n }, "changed outside the ledger"},
		{"history entry removed", func(t *testing.T, dir string, n uint64, recs []credential.Record) {
			edit(t, dir, func(btx *bolt.Tx) error {
				c := btx.Bucket(bucketHistory).Cursor()
				k, _ := c.Seek([]byte(chaincode.RecordKey(recs[0].ID)))
				return btx.Bucket(bucketHistory).Delete(k)
			})
		}, func(n uint64) uint64 { return n }, "changed outside the ledger"},
		{"bytes of the file flipped", func(t *testing.T, dir string, n uint64, _ []credential.Record) {
			// Change one character of entry 2's transaction ID in every
			// copy in the file (bbolt may keep stale page copies, and the
			// history repeats the ID).
			txID := storedEntry(t, dir, 2).TxID
			path := filepath.Join(dir, FileName)
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(raw, []byte(txID)) {
				t.Fatal("entry 2 not found in the file")
			}
			digit := byte('0')
			if txID[0] == '0' {
				digit = '1'
			}
			raw = bytes.ReplaceAll(raw, []byte(txID), []byte(string(digit)+txID[1:]))
			if err := os.WriteFile(path, raw, 0o600); err != nil {
				t.Fatal(err)
			}
		}, func(uint64) uint64 { return 2 }, "does not match its hash"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, n, recs := issued(t)
			tt.tamper(t, dir, n, recs)
			_, err := Open(dir, testKEK)
			var ce *ChainError
			if !errors.As(err, &ce) {
				t.Fatalf("Open: %v, want a *ChainError", err)
			}
			want := tt.wantSeq(n)
			if ce.Seq != want || !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("Open: %v (entry %d), want entry %d and %q", err, ce.Seq, want, tt.reason)
			}
			if !strings.Contains(err.Error(), "entry "+strconvU(want)) {
				t.Fatalf("error %q does not name entry %d", err, want)
			}
			if _, verr := Verify(dir, testKEK); verr == nil || verr.Error() != err.Error() {
				t.Fatalf("Verify: %v, want %v", verr, err)
			}
		})
	}
}

func TestReopenKeepsEverything(t *testing.T) {
	ctx := context.Background()
	dir, n, recs := issued(t)
	if got, err := Verify(dir, testKEK); err != nil || got != n {
		t.Fatalf("Verify: %d entries, %v; want %d", got, err, n)
	}
	l, err := Open(dir, testKEK)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	reg, err := l.Registry(ctx)
	if err != nil || len(reg.Departments) != 4 || len(reg.Types) != 3 {
		t.Fatalf("registry after reopen: %+v %v", reg, err)
	}
	for _, r := range recs {
		got, err := l.Record(ctx, r.ID)
		if err != nil || got.Digest != r.Digest || got.BlockNumber != r.BlockNumber || got.IssueTxID != r.IssueTxID {
			t.Fatalf("record after reopen: %+v %v; want %+v", got, err, r)
		}
		if _, err := l.Document(ctx, "", r.ID); err != nil {
			t.Fatal(err)
		}
	}
	if h, err := l.History(ctx, recs[0].ID); err != nil || len(h) != 2 {
		t.Fatalf("history after reopen: %+v %v", h, err)
	}
	// The log continues where it stopped.
	rec, err := l.ChangeStatus(ctx, "SamrMSP", recs[0].ID, credential.StatusChange{Action: credential.ActionReinstate})
	if err != nil {
		t.Fatal(err)
	}
	if m, err := l.VerifyChain(); err != nil || m != n+1 {
		t.Fatalf("after one more change: %d entries, %v; want %d", m, err, n+1)
	}
	if rec.Status != credential.StatusValid {
		t.Fatalf("status %s", rec.Status)
	}
}

func TestOpenRefusesAFolderInUse(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir, testKEK)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := Open(dir, testKEK, WithLockTimeout(50*time.Millisecond)); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second Open: %v, want in use", err)
	}
}

func TestLogEntriesDescribeTransactions(t *testing.T) {
	dir, n, recs := issued(t)
	l, err := Open(dir, testKEK)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	all, err := l.Log(0, 1000)
	if err != nil || uint64(len(all)) != n {
		t.Fatalf("log has %d entries (%v), want %d", len(all), err, n)
	}
	for i, e := range all {
		if e.Seq != uint64(i+1) || (i > 0 && e.Prev != all[i-1].Hash) || e.ComputeHash() != e.Hash {
			t.Fatalf("entry %d does not chain: %+v", i+1, e)
		}
	}
	page, err := l.Log(recs[0].BlockNumber, 1)
	if err != nil || len(page) != 1 {
		t.Fatalf("one entry from %d: %v %v", recs[0].BlockNumber, page, err)
	}
	first, issue := all[0], page[0]
	if first.Prev != genesisHash || first.Function != chaincode.FnPutDepartment || first.Department != demo.Governance {
		t.Errorf("first entry %+v", first)
	}
	if issue.TxID != recs[0].IssueTxID || issue.Function != chaincode.FnIssue || issue.Department != demo.Market || issue.MSPID != "SamrMSP" {
		t.Errorf("issue entry %+v", issue)
	}
	keys := map[string]bool{}
	for _, w := range issue.Writes {
		keys[w.Namespace+" "+w.Key] = len(w.ValueHash) == 64
	}
	for _, k := range []string{"state cred/" + recs[0].ID, "private " + chaincode.DocumentCollection("SamrMSP") + "/doc/" + recs[0].ID, "policy cred/" + recs[0].ID} {
		if !keys[k] {
			t.Errorf("issue entry does not list %s with a value hash: %v", k, keys)
		}
	}
}

func storedEntry(t *testing.T, dir string, seq uint64) LogEntry {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, FileName), 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var e LogEntry
	err = db.View(func(btx *bolt.Tx) (err error) {
		e, err = decodeEntry(seqKey(seq), btx.Bucket(bucketLog).Get(seqKey(seq)))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}
