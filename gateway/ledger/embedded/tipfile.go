package embedded

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// TipFileName is the file beside ledger.db that records the last committed
// log entry. It lives outside the bbolt file so that a rollback of that file
// (a damaged meta page makes bbolt fall back to the previous commit, or an
// older copy is put in its place) cannot roll it back too.
const TipFileName = "ledger.tip"

// The tip file holds two slots of tipSlotSize bytes, each in its own disk
// sector, written in turn in place with one fdatasync: a torn write damages
// only the slot being written, and the other still holds the previous tip.
// A slot is the text line "certledger-tip v1 <seq> <hash> <checksum>\n".
const (
	tipFormat   = "certledger-tip v1"
	tipSlotSize = 512
)

// tipRecord is what the tip file holds: a log sequence and its entry hash.
type tipRecord struct {
	seq  uint64
	hash string
}

func (r tipRecord) line() string { return fmt.Sprintf("%s %020d %s", tipFormat, r.seq, r.hash) }

func encodeTipSlot(r tipRecord) []byte {
	line := r.line()
	sum := sha256.Sum256([]byte(line))
	slot := make([]byte, tipSlotSize)
	copy(slot, line+" "+hex.EncodeToString(sum[:8])+"\n")
	return slot
}

func decodeTipSlot(slot []byte) (tipRecord, bool) {
	text, _, found := strings.Cut(string(slot), "\n")
	fields := strings.Fields(text)
	if !found || len(fields) != 5 || fields[0]+" "+fields[1] != tipFormat {
		return tipRecord{}, false
	}
	seq, err := strconv.ParseUint(fields[2], 10, 64)
	if err != nil || len(fields[3]) != len(genesisHash) {
		return tipRecord{}, false
	}
	r := tipRecord{seq: seq, hash: fields[3]}
	sum := sha256.Sum256([]byte(r.line()))
	return r, fields[4] == hex.EncodeToString(sum[:8])
}

// readTipFile returns the newer intact slot in path, and which slot that
// is; ok is false when there is no tip file.
func readTipFile(path string) (rec tipRecord, slot int, ok bool, err error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return tipRecord{}, 0, false, nil
	}
	if err != nil {
		return tipRecord{}, 0, false, fmt.Errorf("embedded: read %s: %w", path, err)
	}
	for i := 0; i < 2 && (i+1)*tipSlotSize <= len(raw); i++ {
		if r, valid := decodeTipSlot(raw[i*tipSlotSize : (i+1)*tipSlotSize]); valid && (!ok || r.seq > rec.seq) {
			rec, slot, ok = r, i, true
		}
	}
	if !ok {
		return tipRecord{}, 0, false, fmt.Errorf("embedded: %s holds no intact ledger tip record: remove it to accept %s as it is", path, FileName)
	}
	return rec, slot, true, nil
}

// tipFile is the open tip file; only the committer writes it after Open.
type tipFile struct {
	f    *os.File
	next int // the slot the next write goes to
	sync bool
}

// createTipFile writes a new tip file holding rec in both slots, atomically
// (temporary file, fsync, rename, fsync of the folder), and opens it.
func createTipFile(path string, rec tipRecord, sync bool) (*tipFile, error) {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("embedded: create %s: %w", path, err)
	}
	slot := encodeTipSlot(rec)
	_, err = f.Write(append(slot, slot...))
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil && sync {
		err = syncDir(filepath.Dir(path))
	}
	if err != nil {
		return nil, fmt.Errorf("embedded: create %s: %w", path, err)
	}
	return openTipFile(path, 0, sync)
}

// openTipFile opens an existing tip file whose newest record is in slot.
func openTipFile(path string, slot int, sync bool) (*tipFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("embedded: open %s: %w", path, err)
	}
	return &tipFile{f: f, next: 1 - slot, sync: sync}, nil
}

// write overwrites the older slot with rec and makes it durable.
func (t *tipFile) write(rec tipRecord) error {
	_, err := t.f.WriteAt(encodeTipSlot(rec), int64(t.next*tipSlotSize))
	if err == nil && t.sync {
		err = fdatasync(t.f)
	}
	if err != nil {
		return fmt.Errorf("embedded: record the ledger tip in %s: %w", t.f.Name(), err)
	}
	t.next = 1 - t.next
	return nil
}

// openTip opens the tip file and brings it to end, the verified end of the
// log: a ledger without one (made by an earlier release) gets one.
func openTip(path string, recorded tipRecord, newest int, exists bool, end tipRecord, sync bool) (*tipFile, error) {
	if !exists {
		return createTipFile(path, end, sync)
	}
	t, err := openTipFile(path, newest, sync)
	if err != nil || recorded == end {
		return t, err
	}
	if err := t.write(end); err != nil {
		t.close()
		return nil, err
	}
	return t, nil
}

func (t *tipFile) close() error { return t.f.Close() }

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// RollbackError refuses a ledger file that lacks commits the tip file says
// were made (and acknowledged), or holds a different history.
type RollbackError struct {
	Path      string // the ledger file
	TipPath   string // the tip file
	TipSeq    uint64 // the last entry the tip file records
	LedgerSeq uint64 // the last entry in the ledger file
}

func (e *RollbackError) Error() string {
	what := fmt.Sprintf("%s ends at log entry %d, but %s records that entry %d was committed: "+
		"the file lost its last commits (a damaged bbolt meta page makes bbolt fall back to an earlier commit) "+
		"or was replaced by an older copy", e.Path, e.LedgerSeq, e.TipPath, e.TipSeq)
	if e.TipSeq <= e.LedgerSeq {
		what = fmt.Sprintf("entry %d of %s is not the entry %d that %s records: the file was replaced by another ledger's",
			e.TipSeq, e.Path, e.TipSeq, e.TipPath)
	}
	return "embedded: " + what + "; restore the data folder from a backup that has entry " + strconv.FormatUint(e.TipSeq, 10) +
		", or, to accept the loss and run with the file as it is, remove " + e.TipPath
}

// checkTip compares the log in btx with the tip record. The log bucket is
// absent in a new file.
func checkTip(btx *bolt.Tx, rec tipRecord, path, tipPath string) error {
	var last uint64
	hash := genesisHash
	if b := btx.Bucket(bucketLog); b != nil {
		if k, _ := b.Cursor().Last(); len(k) == 8 {
			last = seqFromKey(k)
		}
		if rec.seq > 0 {
			if v := b.Get(seqKey(rec.seq)); v != nil {
				e, err := decodeEntry(seqKey(rec.seq), v)
				if err != nil {
					return &ChainError{Seq: rec.seq, Reason: "entry cannot be decoded: " + err.Error()}
				}
				hash = e.Hash
			}
		}
	}
	if last < rec.seq || hash != rec.hash {
		return &RollbackError{Path: path, TipPath: tipPath, TipSeq: rec.seq, LedgerSeq: last}
	}
	return nil
}
