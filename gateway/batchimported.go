package gateway

import (
	"bytes"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// The rows each department imported on this gateway, so a corrected file
// whose valid rows fall into other batches than before issues none twice
// (docs/decisions/0021-anchored-batches.md): a row's idempotency key -> the
// credential and the row's request hash, keyed hashes and identifiers,
// nothing sealed. Keyed by the idempotency key, the record is written all
// over its pages; so a job's batches only append their rows to the job's
// own log, in row order, and the log goes into the record once per job:
// when the job ends, and when it resumes, so that rows logged before a stop
// are known to the rows after them.
var (
	// importedBucket holds the record, one bucket per department.
	importedBucket = []byte("imported")
	// jobImportedBucket, in a job's bucket, is its log: row index -> row.
	jobImportedBucket = []byte("imported")
)

// importedRow is a row that became a credential.
type importedRow struct {
	Key         string // the row's idempotency key
	ID          string
	RequestHash string
}

// loggedRow is an imported row at its place in its job.
type loggedRow struct {
	idx int
	importedRow
}

// encode is the row in a job's log: its key, then what the department's
// record keeps under the key, its credential and request hash.
func (r importedRow) encode() []byte {
	return []byte(r.Key + "\x00" + r.ID + "\x00" + r.RequestHash)
}

// decodeImported reads what the record keeps under key.
func decodeImported(key string, v []byte) importedRow {
	id, req, _ := strings.Cut(string(v), "\x00")
	return importedRow{Key: key, ID: id, RequestHash: req}
}

// logImported appends rows to the log of the job whose bucket is jb.
func logImported(jb *bolt.Bucket, rows []loggedRow) error {
	if len(rows) == 0 {
		return nil
	}
	log, err := jb.CreateBucketIfNotExists(jobImportedBucket)
	if err != nil {
		return err
	}
	log.FillPercent = 1 // appended in row order
	for _, r := range rows {
		if err := log.Put(rowKey(r.idx), r.encode()); err != nil {
			return err
		}
	}
	return nil
}

// imported looks up rows department dept imported in jobs merged into its
// record, by idempotency key; found[i] is keys[i]'s, when ok[i].
func (b *batchStore) imported(dept string, keys []string) (found []importedRow, ok []bool, err error) {
	found, ok = make([]importedRow, len(keys)), make([]bool, len(keys))
	err = b.db.View(func(tx *bolt.Tx) error {
		db := tx.Bucket(importedBucket).Bucket([]byte(dept))
		if db == nil {
			return nil
		}
		for i, k := range keys {
			if v := db.Get([]byte(k)); v != nil {
				found[i], ok[i] = decodeImported(k, v), true
			}
		}
		return nil
	})
	return found, ok, err
}

// mergeImported moves the job's log into its department's record.
func (b *batchStore) mergeImported(job *batchJob) error {
	return b.db.Update(func(tx *bolt.Tx) error { return mergeImportedTx(tx, job) })
}

// finish merges the job's log and stores the job as it ended, in one
// transaction.
func (b *batchStore) finish(job *batchJob) error {
	return b.db.Update(func(tx *bolt.Tx) error {
		if err := mergeImportedTx(tx, job); err != nil {
			return err
		}
		return b.putJobTx(tx, job)
	})
}

func mergeImportedTx(tx *bolt.Tx, job *batchJob) error {
	jb := tx.Bucket(batchesBucket).Bucket([]byte(job.ID))
	if jb == nil || jb.Bucket(jobImportedBucket) == nil {
		return nil
	}
	record, err := tx.Bucket(importedBucket).CreateBucketIfNotExists([]byte(job.Dept))
	if err != nil {
		return err
	}
	// In key order: bbolt inserts into a page's node by moving what
	// follows, so random keys into a growing node cost their square.
	var rows [][2][]byte
	err = jb.Bucket(jobImportedBucket).ForEach(func(_, v []byte) error {
		key, rest, _ := bytes.Cut(v, []byte{0})
		rows = append(rows, [2][]byte{bytes.Clone(key), bytes.Clone(rest)})
		return nil
	})
	if err != nil {
		return err
	}
	slices.SortFunc(rows, func(a, b [2][]byte) int { return bytes.Compare(a[0], b[0]) })
	for _, r := range rows {
		if err := record.Put(r[0], r[1]); err != nil {
			return err
		}
	}
	return jb.DeleteBucket(jobImportedBucket)
}
