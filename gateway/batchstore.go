package gateway

import (
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/certledger/certledger/gateway/atrest"
	"github.com/certledger/certledger/gateway/batchfile"
	bolt "go.etcd.io/bbolt"
)

// BatchesFile is the gateway's store of bulk imports in Config.StateDir.
const BatchesFile = "imports.db"

// Batch statuses.
const (
	batchValidating = "validating"
	batchRunning    = "running"
	batchDone       = "done"
	batchFailed     = "failed"
)

// maxBatchErrors bounds the errors a batch's status lists; the results
// hold every row's.
const maxBatchErrors = 1000

// batchJob is what the store keeps of one import besides its rows.
type batchJob struct {
	ID       string              `json:"id"`
	Dept     string              `json:"dept"`
	Type     string              `json:"type"`
	Format   batchfile.Format    `json:"format"`
	DryRun   bool                `json:"dryRun,omitempty"`
	APIKey   string              `json:"apiKey,omitempty"` // the acting API key's ID, recorded with each issuance
	Staff    string              `json:"staff,omitempty"`  // the acting member of staff's subject, likewise
	Created  time.Time           `json:"created"`
	Status   string              `json:"status"`
	Total    int                 `json:"total"`
	Done     int                 `json:"done"`
	Failed   int                 `json:"failed"`
	Errors   []batchfile.Problem `json:"errors"`
	Fatal    string              `json:"fatal,omitempty"` // why the batch as a whole failed
	Finished time.Time           `json:"finished,omitzero"`
	// AnchorSize is the rows per anchored batch the import started with,
	// kept so a resumed import groups its rows into the same batches.
	AnchorSize int `json:"anchorSize,omitempty"`
}

// batchResult is one row's outcome: a credential identifier or a problem.
type batchResult struct {
	Row   int                `json:"row"`
	Key   string             `json:"key,omitempty"`
	ID    string             `json:"id,omitempty"`
	Error *batchfile.Problem `json:"error,omitempty"`
}

// batchStore keeps imports in a bbolt file: per batch a bucket with its
// job, its rows and their results, each value sealed under the KEK with
// its place as associated data, since rows carry holders' personal data.
type batchStore struct {
	db   *bolt.DB
	seal *atrest.Sealer
}

var (
	batchesBucket = []byte("batches")
	jobKey        = []byte("job")
	rowsBucket    = []byte("rows")
	outBucket     = []byte("out")
)

func openBatchStore(dir string, kek atrest.KEK) (*batchStore, error) {
	path := filepath.Join(dir, BatchesFile)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second, InitialMmapSize: batchStoreMmap})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{batchesBucket, importedBucket, importLogBucket} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return batchesFile.claim(tx, path, kek)
	}); err != nil {
		db.Close()
		return nil, err
	}
	return &batchStore{db: db, seal: kek.Sealer(purposeBulkImport)}, nil
}

// batchStoreMmap is address space, not memory, mapped for imports.db at
// once: a file growing past its mapping is mapped again, and bbolt then
// copies every page the writing transaction holds, which for the rows of
// a large import was a tenth of what it allocated.
const batchStoreMmap = 1 << 30

// purposeBulkImport derives the key sealing the values of imports.db.
const purposeBulkImport = "certledger bulk import v1"

// batchesFile is the store as `certledger kek rotate` sees it: every value
// of a batch's bucket is sealed, with its place as associated data.
var batchesFile = sealedStateFile{name: BatchesFile, purpose: purposeBulkImport, reseal: resealBatchValue}

func resealBatchValue(path [][]byte, k, v []byte, from, to *atrest.Sealer) ([]byte, error) {
	var place []string
	switch {
	case len(path) == 2 && string(path[0]) == string(importedBucket),
		len(path) == 3 && string(path[0]) == string(importLogBucket):
		return v, nil // keyed hashes and identifiers, not personal data
	case len(path) == 2 && string(path[0]) == string(batchesBucket) && string(k) == string(jobKey):
		place = []string{string(path[1]), "job"}
	case len(path) == 3 && string(path[0]) == string(batchesBucket) && len(k) == 4 &&
		(string(path[2]) == string(rowsBucket) || string(path[2]) == string(outBucket)):
		kind := "row"
		if string(path[2]) == string(outBucket) {
			kind = "out"
		}
		place = []string{string(path[1]), kind, fmt.Sprint(binary.BigEndian.Uint32(k))}
	default:
		// Sealing it or not would be a guess: refuse rather than leave a
		// value under the old KEK.
		return nil, fmt.Errorf("unexpected value %q in %q", k, path)
	}
	plain, err := from.Open(nil, v, placeAD(place))
	if err != nil {
		return nil, fmt.Errorf("batch %s, %s: %w", place[0], place[1:], err)
	}
	if to == nil {
		return v, nil
	}
	return to.Seal(nil, plain, placeAD(place)), nil
}

func (b *batchStore) close() error { return b.db.Close() }

func rowKey(i int) []byte { return binary.BigEndian.AppendUint32(nil, uint32(i)) }

func (b *batchStore) sealJSON(v any, place ...string) ([]byte, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return b.seal.Seal(nil, plain, placeAD(place)), nil
}

func (b *batchStore) openJSON(sealed []byte, v any, place ...string) error {
	plain, err := b.seal.Open(nil, sealed, placeAD(place))
	if err != nil {
		return fmt.Errorf("%s: %w", BatchesFile, err)
	}
	return json.Unmarshal(plain, v)
}

func placeAD(place []string) []byte {
	var ad []byte
	for _, p := range place {
		ad = binary.AppendUvarint(ad, uint64(len(p)))
		ad = append(ad, p...)
	}
	return ad
}

// create stores a new job with its rows (none for a dry run, whose rows
// stay in memory) and the problems found reading the file.
func (b *batchStore) create(job *batchJob, rows []batchfile.Row, probs []batchfile.Problem) error {
	// Rows go in several transactions, so a large file does not build one
	// huge transaction in memory; the job record comes last, so a crash
	// in between leaves no job to resume, only a bucket create replaces.
	const chunk = 20_000
	seal := func(start int) [][]byte {
		sealed := make([][]byte, min(start+chunk, len(rows))-start)
		parallel(len(sealed), func(n int) {
			i := start + n
			sealed[n] = b.seal.Seal(nil, encodeRow(rows[i]), placeAD([]string{job.ID, "row", strconv.Itoa(i)}))
		})
		return sealed
	}
	// The next chunk is sealed while this one is written.
	next := make(chan [][]byte, 1)
	next <- seal(0)
	for start := 0; start == 0 || start < len(rows); start += chunk {
		sealed := <-next
		if start+chunk < len(rows) {
			go func() { next <- seal(start + chunk) }()
		}
		err := b.db.Update(func(tx *bolt.Tx) error {
			root := tx.Bucket(batchesBucket)
			if start == 0 {
				if root.Bucket([]byte(job.ID)) != nil {
					if err := root.DeleteBucket([]byte(job.ID)); err != nil {
						return err
					}
				}
				jb, err := root.CreateBucket([]byte(job.ID))
				if err != nil {
					return err
				}
				if _, err := jb.CreateBucket(rowsBucket); err != nil {
					return err
				}
				out, err := jb.CreateBucket(outBucket)
				if err != nil {
					return err
				}
				// A row the file itself spoiled has its result at once;
				// its index is past the rows'.
				for i, p := range probs {
					if err := b.putResult(out, job.ID, len(rows)+i, batchResult{Row: p.Row, Error: &p}); err != nil {
						return err
					}
				}
			}
			rb := root.Bucket([]byte(job.ID)).Bucket(rowsBucket)
			rb.FillPercent = 1
			for n, v := range sealed {
				if err := rb.Put(rowKey(start+n), v); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			break
		}
	}
	return b.putJob(job)
}

func (b *batchStore) putResult(out *bolt.Bucket, id string, i int, r batchResult) error {
	v, err := b.sealJSON(r, id, "out", fmt.Sprint(i))
	if err != nil {
		return err
	}
	return out.Put(rowKey(i), v)
}

func (b *batchStore) putJob(job *batchJob) error {
	return b.db.Update(func(tx *bolt.Tx) error { return b.putJobTx(tx, job) })
}

func (b *batchStore) putJobTx(tx *bolt.Tx, job *batchJob) error {
	jb := tx.Bucket(batchesBucket).Bucket([]byte(job.ID))
	if jb == nil {
		return fmt.Errorf("batch %s is not in the store", job.ID)
	}
	v, err := b.sealJSON(job, job.ID, "job")
	if err != nil {
		return err
	}
	return jb.Put(jobKey, v)
}

var errNoBatch = errors.New("no such batch")

func (b *batchStore) job(id string) (*batchJob, error) {
	var job batchJob
	err := b.db.View(func(tx *bolt.Tx) error {
		jb := tx.Bucket(batchesBucket).Bucket([]byte(id))
		if jb == nil || jb.Get(jobKey) == nil {
			return errNoBatch
		}
		return b.openJSON(jb.Get(jobKey), &job, id, "job")
	})
	return &job, err
}

// unfinished lists the jobs a restart must take up again.
func (b *batchStore) unfinished() ([]*batchJob, error) {
	var jobs []*batchJob
	err := b.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(batchesBucket).ForEachBucket(func(k []byte) error {
			v := tx.Bucket(batchesBucket).Bucket(k).Get(jobKey)
			if v == nil {
				return nil
			}
			var job batchJob
			if err := b.openJSON(v, &job, string(k), "job"); err != nil {
				return err
			}
			if job.Status == batchValidating || job.Status == batchRunning {
				jobs = append(jobs, &job)
			}
			return nil
		})
	})
	return jobs, err
}

// pendingChunk is how many rows pending reads at once.
const pendingChunk = 2048

// pending calls fn with chunks of the rows that have no result yet, in
// file order, each chunk read in its own transaction.
func (b *batchStore) pending(id string, fn func(idx []int, rows []batchfile.Row) error) error {
	next := 0
	for {
		var idx []int
		var rows []batchfile.Row
		err := b.db.View(func(tx *bolt.Tx) error {
			jb := tx.Bucket(batchesBucket).Bucket([]byte(id))
			out := jb.Bucket(outBucket)
			c := jb.Bucket(rowsBucket).Cursor()
			var sealed [][]byte // valid until the transaction ends
			for k, v := c.Seek(rowKey(next)); k != nil && len(idx) < pendingChunk; k, v = c.Next() {
				i := int(binary.BigEndian.Uint32(k))
				next = i + 1
				if out.Get(k) != nil {
					continue
				}
				idx, sealed = append(idx, i), append(sealed, v)
			}
			rows = make([]batchfile.Row, len(idx))
			errs := make([]error, len(idx))
			parallel(len(idx), func(n int) {
				plain, err := b.seal.Open(nil, sealed[n], placeAD([]string{id, "row", strconv.Itoa(idx[n])}))
				if err == nil {
					rows[n], err = decodeRow(plain)
				}
				if err != nil {
					errs[n] = fmt.Errorf("%s, batch %s, row %d: %w", BatchesFile, id, idx[n], err)
				}
			})
			return errors.Join(errs...)
		})
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		if err := fn(idx, rows); err != nil {
			return err
		}
	}
}

// results returns every row's result in file order.
func (b *batchStore) results(id string) ([]batchResult, error) {
	var rs []batchResult
	err := b.db.View(func(tx *bolt.Tx) error {
		jb := tx.Bucket(batchesBucket).Bucket([]byte(id))
		if jb == nil {
			return errNoBatch
		}
		var keys, sealed [][]byte // valid until the transaction ends
		if err := jb.Bucket(outBucket).ForEach(func(k, v []byte) error {
			keys, sealed = append(keys, k), append(sealed, v)
			return nil
		}); err != nil {
			return err
		}
		rs = make([]batchResult, len(sealed))
		errs := make([]error, len(sealed))
		parallel(len(sealed), func(n int) {
			errs[n] = b.openJSON(sealed[n], &rs[n], id, "out", strconv.Itoa(int(binary.BigEndian.Uint32(keys[n]))))
		})
		return errors.Join(errs...)
	})
	// Rows the file spoiled are stored after the others.
	slices.SortStableFunc(rs, func(a, b batchResult) int { return cmp.Compare(a.Row, b.Row) })
	return rs, err
}

// record stores results and the job's new counts, and logs the rows that
// became credentials for the department's record of imported rows, all in
// one transaction: a row has a result exactly when it is logged.
func (b *batchStore) record(job *batchJob, idx []int, res []batchResult, imported []loggedRow) error {
	return b.db.Update(func(tx *bolt.Tx) error {
		out := tx.Bucket(batchesBucket).Bucket([]byte(job.ID)).Bucket(outBucket)
		for n, i := range idx {
			if err := b.putResult(out, job.ID, i, res[n]); err != nil {
				return err
			}
		}
		if err := logImported(tx, job, imported); err != nil {
			return err
		}
		return b.putJobTx(tx, job)
	})
}
