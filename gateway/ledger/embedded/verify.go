package embedded

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/certledger/certledger/gateway/atrest"
	bolt "go.etcd.io/bbolt"
)

// verify walks the whole log: sequence numbers, links and entry hashes, and
// that every transaction ID maps back to its entry; then it recomputes the
// state digest from the buckets and compares it with the last entry's. The
// digest covers private values' plaintext: sealed opens them (nil: they are
// stored in clear). It returns the end of the log.
func verify(btx *bolt.Tx, sealed *atrest.Sealer) (tip, error) {
	var (
		n    uint64
		last LogEntry
		prev = genesisHash
	)
	c := btx.Bucket(bucketLog).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		want := n + 1
		e, err := decodeEntry(k, v)
		if err != nil {
			return tip{}, &ChainError{Seq: want, Reason: "entry cannot be decoded: " + err.Error()}
		}
		switch {
		case !bytes.Equal(k, seqKey(want)):
			return tip{}, &ChainError{Seq: want, Reason: fmt.Sprintf("entry %x is missing or out of order", k)}
		case e.Seq != want:
			return tip{}, &ChainError{Seq: want, TxID: e.TxID, Reason: fmt.Sprintf("entry claims sequence %d", e.Seq)}
		case e.Prev != prev:
			return tip{}, &ChainError{Seq: want, TxID: e.TxID, Reason: "previous-entry hash does not match entry " + fmt.Sprint(n)}
		case !entryHashOK(v):
			return tip{}, &ChainError{Seq: want, TxID: e.TxID, Reason: "entry content does not match its hash"}
		}
		if _, err := parseDigest(e.StateDigest); err != nil {
			return tip{}, &ChainError{Seq: want, TxID: e.TxID, Reason: err.Error()}
		}
		n, prev, last = want, e.Hash, e
	}
	var d stateDigest
	for _, name := range allBuckets {
		if bytes.Equal(name, bucketLog) {
			continue
		}
		err := btx.Bucket(name).ForEach(func(k, v []byte) error {
			plain, err := plainValue(sealed, name, k, v)
			if err != nil {
				return err
			}
			d.add(itemHash(name, k, plain))
			return nil
		})
		if err != nil {
			return tip{}, err
		}
	}
	end := tip{seq: n, hash: prev}
	if n > 0 {
		end.digest, _ = parseDigest(last.StateDigest)
	}
	if d != end.digest {
		return tip{}, &ChainError{Seq: n, TxID: last.TxID,
			Reason: "the stored state does not match the state digest recorded by the last entry: data was changed outside the ledger"}
	}
	return end, nil
}

// VerifyChain verifies the open ledger's log and state as Open does, and
// returns the number of log entries.
func (l *Ledger) VerifyChain() (uint64, error) {
	var end tip
	err := l.db.View(func(btx *bolt.Tx) (err error) {
		end, err = verify(btx, l.private)
		return err
	})
	return end.seq, err
}

// Verify checks the ledger in dir without opening it for writing, for
// operators and tests; the state digest covers private values' plaintext,
// so it needs the KEK they are sealed under. It fails if another process
// holds the ledger open.
func Verify(dir string, kek atrest.KEK) (uint64, error) {
	if !kek.Valid() {
		return 0, errors.New("embedded: no key-encryption key given; " + atrest.GenerateHint)
	}
	path := filepath.Join(dir, FileName)
	if err := checkFile(path, true, true, DefaultConfig().LockTimeout); err != nil {
		return 0, err
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: DefaultConfig().LockTimeout})
	if err != nil {
		return 0, fmt.Errorf("embedded: open %s: %w", path, err)
	}
	defer db.Close()
	var end tip
	err = db.View(func(btx *bolt.Tx) error {
		format, _, err := fileFormat(btx, path)
		if err != nil {
			return err
		}
		for _, b := range allBuckets {
			if btx.Bucket(b) == nil {
				return fmt.Errorf("embedded: %s has no %s bucket: not a ledger file", path, b)
			}
		}
		var sealed *atrest.Sealer
		if format >= sealedFormat {
			sealed = kek.Sealer(atrest.PurposeLedgerPrivate)
			if err := checkKEK(btx, sealed, path); err != nil {
				return err
			}
		}
		end, err = verify(btx, sealed)
		return err
	})
	return end.seq, err
}

// Log returns up to limit log entries starting at sequence from (1 is the
// first), for audits: each entry names its transaction, time, department,
// function and the hashes of what it wrote.
func (l *Ledger) Log(from uint64, limit int) ([]LogEntry, error) {
	if from == 0 {
		from = 1
	}
	var out []LogEntry
	err := l.db.View(func(btx *bolt.Tx) error {
		c := btx.Bucket(bucketLog).Cursor()
		for k, v := c.Seek(seqKey(from)); k != nil && len(out) < limit; k, v = c.Next() {
			e, err := decodeEntry(k, v)
			if err != nil {
				return &ChainError{Seq: from + uint64(len(out)), Reason: "entry cannot be decoded: " + err.Error()}
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}
