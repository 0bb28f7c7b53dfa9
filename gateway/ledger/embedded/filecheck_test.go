package embedded

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// boltLayout reads what a corruption needs from bbolt's meta pages (each
// page starts with a 16-byte header; the meta follows): the page size, and
// the root bucket's page and the high-water mark of the newer meta.
func boltLayout(t *testing.T, b []byte) (pageSize int, root, hwm uint64) {
	t.Helper()
	const metaAt = 16
	pageSize = int(binary.NativeEndian.Uint32(b[metaAt+8:]))
	newer := 0
	if binary.NativeEndian.Uint64(b[pageSize+metaAt+48:]) > binary.NativeEndian.Uint64(b[metaAt+48:]) {
		newer = 1
	}
	m := b[newer*pageSize+metaAt:]
	return pageSize, binary.NativeEndian.Uint64(m[16:]), binary.NativeEndian.Uint64(m[40:])
}

// damagedLedgerFiles are the corruptions Open must refuse with an error
// instead of a panic or a fault.
var damagedLedgerFiles = []struct {
	name   string
	damage func(t *testing.T, b []byte) []byte
	want   string
}{
	{"truncated inside a page", func(t *testing.T, b []byte) []byte {
		pageSize, _, _ := boltLayout(t, b)
		return b[:5*pageSize+100]
	}, "not a whole number of"},
	{"truncated below the high-water mark", func(t *testing.T, b []byte) []byte {
		pageSize, _, hwm := boltLayout(t, b)
		return b[:int(hwm/2)*pageSize]
	}, "high-water mark"},
	{"flipped page header", func(t *testing.T, b []byte) []byte {
		pageSize, root, _ := boltLayout(t, b)
		b[int(root)*pageSize] ^= 0x04 // the page's own ID
		return b
	}, "page"},
	{"both meta pages damaged", func(t *testing.T, b []byte) []byte {
		pageSize, _, _ := boltLayout(t, b)
		b[16+40] ^= 0x01
		b[pageSize+16+40] ^= 0x01
		return b
	}, "meta page"},
	{"zero-filled", func(t *testing.T, b []byte) []byte { return make([]byte, len(b)) }, "meta page"},
	{"empty", func(t *testing.T, b []byte) []byte { return nil }, "empty"},
}

// damageLedgerFile applies one corruption to the ledger file in dir.
func damageLedgerFile(t *testing.T, dir string, damage func(t *testing.T, b []byte) []byte) {
	t.Helper()
	path := filepath.Join(dir, FileName)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, damage(t, b), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestDamagedFileIsRefused(t *testing.T) {
	for _, tc := range damagedLedgerFiles {
		t.Run(tc.name, func(t *testing.T) {
			dir, _, _ := issued(t)
			damageLedgerFile(t, dir, tc.damage)
			l, err := Open(dir, testKEK)
			if err == nil {
				l.Close()
				t.Fatal("Open accepted a damaged file")
			}
			t.Log(err)
			var de *DamagedFileError
			if !errors.As(err, &de) {
				t.Fatalf("Open: %v, want a *DamagedFileError", err)
			}
			path := filepath.Join(dir, FileName)
			if de.Path != path || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("message %q does not name %s and %q", err, path, tc.want)
			}
			if _, err := Verify(dir, testKEK); !errors.As(err, &de) {
				t.Fatalf("Verify: %v, want a *DamagedFileError", err)
			}
		})
	}
}
