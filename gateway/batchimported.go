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
// log, in row order, and the logs go into the record, sorted, once per job:
// after a job ends, and before one starts or resumes, so that rows logged
// before a stop are known to the rows after them.
var (
	// importedBucket holds the record, one bucket per department.
	importedBucket = []byte("imported")
	// importLogBucket holds the logs: department -> job -> row index -> row.
	importLogBucket = []byte("importlog")
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

// logImported appends rows to the job's log.
func logImported(tx *bolt.Tx, job *batchJob, rows []loggedRow) error {
	if len(rows) == 0 {
		return nil
	}
	dept, err := tx.Bucket(importLogBucket).CreateBucketIfNotExists([]byte(job.Dept))
	if err != nil {
		return err
	}
	log, err := dept.CreateBucketIfNotExists([]byte(job.ID))
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

// mergeImported moves every log into its department's record.
func (b *batchStore) mergeImported() error {
	return b.db.Update(func(tx *bolt.Tx) error {
		logs := tx.Bucket(importLogBucket)
		var depts [][]byte // a bucket is not changed while it is walked
		if err := logs.ForEachBucket(func(dept []byte) error { depts = append(depts, bytes.Clone(dept)); return nil }); err != nil {
			return err
		}
		for _, dept := range depts {
			record, err := tx.Bucket(importedBucket).CreateBucketIfNotExists(dept)
			if err != nil {
				return err
			}
			if err := mergeLogs(logs.Bucket(dept), record); err != nil {
				return err
			}
			if err := logs.DeleteBucket(dept); err != nil {
				return err
			}
		}
		return nil
	})
}

// mergeLogs puts the rows of the department's logs into its record in key
// order: bbolt inserts into a page's node by moving what follows, so
// random keys into a growing node cost their square.
func mergeLogs(logs, record *bolt.Bucket) error {
	var rows [][2][]byte
	err := logs.ForEachBucket(func(job []byte) error {
		return logs.Bucket(job).ForEach(func(_, v []byte) error {
			key, rest, _ := bytes.Cut(v, []byte{0})
			rows = append(rows, [2][]byte{bytes.Clone(key), bytes.Clone(rest)})
			return nil
		})
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
	return nil
}
