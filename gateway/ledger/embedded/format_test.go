package embedded

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// setRecord writes a format record as a program of another release would.
func setRecord(v string) func(btx *bolt.Tx) error {
	return func(btx *bolt.Tx) error {
		meta, err := btx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		return meta.Put(keyFormat, []byte(v))
	}
}

func TestFormatVersion(t *testing.T) {
	tests := []struct {
		name string
		// prepare returns the folder and its number of log entries.
		prepare    func(t *testing.T) (string, uint64)
		refused    bool   // Open and Verify refuse the file
		wantRecord string // the format record left in the file
	}{
		{"new file", func(t *testing.T) (string, uint64) { return t.TempDir(), 0 }, false, "4"},
		// Format 1, clear and without a holder index: Open seals it, then
		// lists its records in the index in one governance transaction.
		{"file of format 1", func(t *testing.T) (string, uint64) {
			return format1Folder(t), format1Entries + 1
		}, false, "4"},
		// Format 2, sealed but without a holder index (nothing to add: the
		// records were issued by this program).
		{"file of format 2", func(t *testing.T) (string, uint64) {
			dir, n, _ := issued(t)
			edit(t, dir, setRecord("2"))
			return dir, n
		}, false, "4"},
		{"file from before the format record", func(t *testing.T) (string, uint64) {
			dir := format1Folder(t)
			edit(t, dir, func(btx *bolt.Tx) error { return btx.DeleteBucket(bucketMeta) })
			return dir, format1Entries + 1
		}, false, "4"},
		{"file of a newer format", func(t *testing.T) (string, uint64) {
			dir, n, _ := issued(t)
			edit(t, dir, setRecord("5"))
			return dir, n
		}, true, "5"},
		{"unreadable format record", func(t *testing.T) (string, uint64) {
			dir, n, _ := issued(t)
			edit(t, dir, setRecord("two"))
			return dir, n
		}, true, "two"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, n := tt.prepare(t)
			l, err := Open(dir, testKEK)
			if tt.refused {
				if err == nil {
					l.Close()
					t.Fatal("Open accepted the file")
				}
				if _, verr := Verify(dir, testKEK); verr == nil || verr.Error() != err.Error() {
					t.Fatalf("Verify: %v, want %v", verr, err)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				if got, err := l.VerifyChain(); err != nil || got != n {
					t.Fatalf("VerifyChain: %d entries, %v; want %d", got, err, n)
				}
				if err := l.Close(); err != nil {
					t.Fatal(err)
				}
			}
			if got := storedFormat(t, dir); got != tt.wantRecord {
				t.Fatalf("format record %q, want %q", got, tt.wantRecord)
			}
		})
	}
}

func TestNewerFormatErrorSaysWhatToDo(t *testing.T) {
	dir, _, _ := issued(t)
	edit(t, dir, setRecord("7"))
	_, err := Open(dir, testKEK)
	var fe *FormatError
	if !errors.As(err, &fe) || fe.Version != 7 || fe.Supported != formatVersion {
		t.Fatalf("Open: %v, want a *FormatError for format 7", err)
	}
	for _, want := range []string{filepath.Join(dir, FileName), "format version 7", "reads formats up to 4", "release that wrote the file"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// storedFormat reads the format record of the closed ledger in dir.
func storedFormat(t *testing.T, dir string) string {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, FileName), 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v string
	_ = db.View(func(btx *bolt.Tx) error {
		if meta := btx.Bucket(bucketMeta); meta != nil {
			v = string(meta.Get(keyFormat))
		}
		return nil
	})
	return v
}
