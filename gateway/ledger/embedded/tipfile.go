package embedded

import (
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

// tipFormat tags a tip record: "certledger-tip v1 <seq> <hash>\n".
const tipFormat = "certledger-tip v1"

// tipRecord is what the tip file holds: a log sequence and its entry hash.
type tipRecord struct {
	seq  uint64
	hash string
}

// readTipFile returns the record in path; ok is false when there is none.
func readTipFile(path string) (rec tipRecord, ok bool, err error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return tipRecord{}, false, nil
	}
	if err != nil {
		return tipRecord{}, false, fmt.Errorf("embedded: read %s: %w", path, err)
	}
	fields := strings.Fields(strings.TrimPrefix(string(raw), tipFormat+" "))
	if !strings.HasPrefix(string(raw), tipFormat+" ") || len(fields) != 2 || len(fields[1]) != len(genesisHash) {
		return tipRecord{}, false, fmt.Errorf("embedded: %s is not a ledger tip record: remove it to accept %s as it is", path, FileName)
	}
	seq, err := strconv.ParseUint(fields[0], 10, 64)
	if err != nil {
		return tipRecord{}, false, fmt.Errorf("embedded: %s has an unreadable sequence number: remove it to accept %s as it is", path, FileName)
	}
	return tipRecord{seq: seq, hash: fields[1]}, true, nil
}

// writeTipFile replaces the record in path atomically: a crash leaves
// either the old record or the new one.
func writeTipFile(path string, rec tipRecord, sync bool) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(f, "%s %d %s\n", tipFormat, rec.seq, rec.hash)
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
		return fmt.Errorf("embedded: record the ledger tip in %s: %w", path, err)
	}
	return nil
}

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
