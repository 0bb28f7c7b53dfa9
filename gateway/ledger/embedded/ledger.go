// Package embedded is the embedded ledger backend: the CertLedger contract
// (package chaincode) run in-process on a bbolt file in the data folder.
// Concurrent writes share one fsync (group commit) and return once durable;
// every commit extends a hash-chained log that Open verifies with the state.
package embedded

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/gateway/atrest"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// FileName is the ledger file inside the data folder.
const FileName = "ledger.db"

// Config tunes the ledger; Open starts from DefaultConfig and applies
// options.
type Config struct {
	// Clock gives transaction timestamps; inject a fake one in tests.
	Clock func() time.Time
	// MaxBatch caps how many transactions share one commit.
	MaxBatch int
	// QueueSize is how many transactions may wait for the committer.
	QueueSize int
	// MaxLinger bounds how long the committer waits for more transactions
	// to join a batch under load (see committer); 0 never waits.
	MaxLinger time.Duration
	// LockTimeout is how long Open waits for another process to release
	// the file before failing.
	LockTimeout time.Duration
	// NoSync skips fsync. Only for tests that do not care about durability.
	NoSync bool
}

// DefaultConfig returns the defaults: the wall clock, batches of up to 1024
// transactions, and fsync on every commit.
func DefaultConfig() Config {
	return Config{
		Clock:       time.Now,
		MaxBatch:    1024,
		QueueSize:   4096,
		MaxLinger:   10 * time.Millisecond,
		LockTimeout: 2 * time.Second,
	}
}

// Option changes the Config.
type Option func(*Config)

// WithClock sets the clock that stamps transactions.
func WithClock(clock func() time.Time) Option { return func(c *Config) { c.Clock = clock } }

// WithLockTimeout sets how long Open waits for another process holding
// the ledger file.
func WithLockTimeout(d time.Duration) Option { return func(c *Config) { c.LockTimeout = d } }

// WithNoSync turns fsync off: faster, and not durable across a crash.
func WithNoSync() Option { return func(c *Config) { c.NoSync = true } }

// Ledger is the embedded ledger. It implements credential.Ledger and is
// safe for concurrent use.
type Ledger struct {
	cfg     Config
	db      *bolt.DB
	private *atrest.Sealer // seals private-collection values (sealing.go)
	queue   chan *request
	stopped chan struct{}
	tip     tip // end of the log; only the committer touches it after Open
	tipFile *tipFile

	closeMu sync.RWMutex
	closed  bool

	subMu sync.Mutex
	subs  map[*subscription]struct{}

	metrics stats
}

var _ credential.Ledger = (*Ledger)(nil)

// ErrClosed is returned by calls on a closed ledger.
var ErrClosed = errors.New("embedded: ledger is closed")

// Open opens (creating if needed) the ledger in dir, verifies its log and
// state, and starts the committer. Private values are sealed under kek; a
// file sealed under another KEK is refused with an *atrest.WrongKEKError,
// and a file of format 1 (private values in clear) is rewritten sealed. A
// folder whose log does not verify is refused with a *ChainError naming the
// entry where it breaks; one whose log ends before the entry the tip file
// records, with a *RollbackError.
func Open(dir string, kek atrest.KEK, opts ...Option) (*Ledger, error) {
	return open(dir, kek, atrest.KEK{}, opts)
}

// open is Open; when rekeyTo is a KEK, the file is rewritten with its
// private values sealed under rekeyTo instead of kek before the ledger
// starts (Rekey).
func open(dir string, kek, rekeyTo atrest.KEK, opts []Option) (*Ledger, error) {
	if !kek.Valid() {
		return nil, errors.New("embedded: no key-encryption key given; " + atrest.GenerateHint)
	}
	cfg := DefaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.MaxBatch < 1 {
		cfg.MaxBatch = 1
	}
	if cfg.QueueSize < 1 {
		cfg.QueueSize = 1
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded: create data folder: %w", err)
	}
	path, tipPath := filepath.Join(dir, FileName), filepath.Join(dir, TipFileName)
	recorded, newest, hasTip, err := readTipFile(tipPath)
	if err != nil {
		return nil, err
	}
	if err := checkFile(path, hasTip, false, cfg.LockTimeout); err != nil {
		return nil, err
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout: cfg.LockTimeout,
		// The freelist is rebuilt on open instead of written on every
		// commit: less I/O per commit, same durability.
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
		NoSync:         cfg.NoSync,
	})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("embedded: %s is in use by another process", path)
		}
		return nil, fmt.Errorf("embedded: open %s: %w", path, err)
	}
	// The format, the log and the tip are checked before anything is
	// written, so a file of a newer release, or one that lost commits, is
	// left as it was.
	var (
		format    uint64
		hasFormat bool
		end       tip
		verified  bool
		sealer    = kek.Sealer(atrest.PurposeLedgerPrivate)
		stored    *atrest.Sealer // how the file's private values are stored: nil in clear
	)
	if err := db.View(func(btx *bolt.Tx) (err error) {
		if format, hasFormat, err = fileFormat(btx, path); err != nil {
			return err
		}
		if format >= sealedFormat {
			stored = sealer
		}
		if hasLedgerBuckets(btx) {
			if stored != nil {
				if err := checkKEK(btx, stored, path); err != nil {
					return err
				}
			}
			if end, err = verify(btx, stored); err != nil {
				return err
			}
			verified = true
		}
		if !hasTip {
			return nil
		}
		return checkTip(btx, recorded, path, tipPath)
	}); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.Update(func(btx *bolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := btx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		if hasFormat || format < formatVersion {
			return nil
		}
		return recordFormat(btx, formatVersion, sealer.KEKID())
	}); err != nil {
		db.Close()
		return nil, fmt.Errorf("embedded: initialize %s: %w", path, err)
	}
	if !verified {
		if err := db.View(func(btx *bolt.Tx) (err error) { end, err = verify(btx, stored); return err }); err != nil {
			db.Close()
			return nil, err
		}
	}
	if format < sealedFormat || rekeyTo.Valid() {
		target := kek
		if rekeyTo.Valid() {
			target = rekeyTo
		}
		err := rewrite(db, path, stored, target.Sealer(atrest.PurposeLedgerPrivate), cfg.NoSync, max(format, sealedFormat))
		if cerr := db.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("embedded: close %s: %w", path, cerr)
		}
		if err != nil {
			return nil, err
		}
		return open(dir, target, atrest.KEK{}, opts)
	}
	tf, err := openTip(tipPath, recorded, newest, hasTip, tipRecord{seq: end.seq, hash: end.hash}, !cfg.NoSync)
	if err != nil {
		db.Close()
		return nil, err
	}
	l := &Ledger{
		cfg:     cfg,
		db:      db,
		private: sealer,
		queue:   make(chan *request, cfg.QueueSize),
		stopped: make(chan struct{}),
		subs:    map[*subscription]struct{}{},
		tip:     end,
		tipFile: tf,
	}
	go l.committer()
	if format < registerFormat {
		if err := l.indexOldRecords(path); err != nil {
			l.Close()
			return nil, err
		}
	}
	return l, nil
}

// hasLedgerBuckets reports whether btx has every bucket of the ledger; a
// new file gets them in Open.
func hasLedgerBuckets(btx *bolt.Tx) bool {
	for _, b := range allBuckets {
		if btx.Bucket(b) == nil {
			return false
		}
	}
	return true
}

// Close waits for queued transactions to commit, ends every subscription
// and closes the file.
func (l *Ledger) Close() error {
	l.closeMu.Lock()
	if l.closed {
		l.closeMu.Unlock()
		return nil
	}
	l.closed = true
	close(l.queue)
	l.closeMu.Unlock()
	<-l.stopped
	l.closeSubscriptions()
	return errors.Join(l.db.Close(), l.tipFile.close())
}

// newTxID returns a random transaction ID in Fabric's form: 64 hex digits.
func newTxID() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("embedded: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}

// submit runs fn as a transaction of mspID and waits until it is durable.
// It holds the close lock in read mode throughout, so Close waits for
// transactions in flight instead of failing them halfway.
func (l *Ledger) submit(ctx context.Context, mspID, function string, transient map[string][]byte, fn func(chaincode.Tx) (any, error)) (*request, error) {
	return l.submitEndorsed(ctx, mspID, nil, function, transient, fn)
}

// submitEndorsed is submit for a transaction that the peers of coEndorsers
// endorse besides the submitter's: on Fabric the client asks each of those
// departments' peers, here the one process runs the contract for all of
// them, and key-level policies naming them are met.
func (l *Ledger) submitEndorsed(ctx context.Context, mspID string, coEndorsers []string, function string, transient map[string][]byte, fn func(chaincode.Tx) (any, error)) (*request, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l.closeMu.RLock()
	defer l.closeMu.RUnlock()
	if l.closed {
		return nil, ErrClosed
	}
	r := &request{
		txID: newTxID(), time: l.cfg.Clock().UTC(), mspID: mspID, function: function,
		transient: transient, run: fn, done: make(chan struct{}), coEndorsers: coEndorsers,
	}
	if err := l.endorse(r); err != nil {
		return nil, fmt.Errorf("embedded: simulate %s: %w", function, err)
	}
	// A contract error on the snapshot is final, as an endorsement failure
	// is on Fabric; a transaction that only read needs no commit.
	if r.err != nil {
		return nil, r.err
	}
	if r.sim.empty() {
		r.result = r.simResult
		return r, nil
	}
	select {
	case l.queue <- r:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	// Once queued the transaction will be decided; waiting for it even if
	// ctx ends keeps the answer truthful (a caller told "cancelled" must not
	// find the credential issued anyway).
	<-r.done
	return r, r.err
}

// view runs a read-only contract function on the committed state.
func (l *Ledger) view(mspID string, fn func(tx chaincode.Tx, btx *bolt.Tx) error) error {
	l.closeMu.RLock()
	defer l.closeMu.RUnlock()
	if l.closed {
		return ErrClosed
	}
	return l.db.View(func(btx *bolt.Tx) error {
		return fn(l.newSimTx(btx, "", l.cfg.Clock().UTC(), mspID, nil, true), btx)
	})
}

// blockOf returns the log sequence of the transaction that issued the
// credential: the first version of its record key, or for a credential of
// an anchored batch, whose record key is written only at its first change,
// the first version of its batch.
func blockOf(btx *bolt.Tx, id string) uint64 {
	if k, i, ok := chaincode.AnchorKeyOf(id); ok {
		var a credential.Anchor
		if v := btx.Bucket(bucketState).Get([]byte(k)); v != nil && json.Unmarshal(v, &a) == nil && i < a.Count {
			return firstVersion(btx, k)
		}
	}
	return firstVersion(btx, chaincode.RecordKey(id))
}

func (l *Ledger) fillBlock(rec *credential.Record) {
	_ = l.db.View(func(btx *bolt.Tx) error {
		rec.BlockNumber = blockOf(btx, rec.ID)
		return nil
	})
}

// Registry returns the registry.
func (l *Ledger) Registry(ctx context.Context) (credential.Registry, error) {
	var reg credential.Registry
	err := l.view("", func(tx chaincode.Tx, _ *bolt.Tx) (err error) {
		reg, err = chaincode.GetRegistry(tx)
		return err
	})
	return reg, err
}

// PutDepartment adds or replaces a department as mspID.
func (l *Ledger) PutDepartment(ctx context.Context, mspID string, d credential.Department) error {
	_, err := l.submit(ctx, mspID, chaincode.FnPutDepartment, nil, func(tx chaincode.Tx) (any, error) {
		return nil, chaincode.PutDepartment(tx, d)
	})
	return err
}

// PutCredentialType adds or replaces a credential type as mspID.
func (l *Ledger) PutCredentialType(ctx context.Context, mspID string, t credential.CredentialType) error {
	_, err := l.submit(ctx, mspID, chaincode.FnPutCredentialType, nil, func(tx chaincode.Tx) (any, error) {
		return nil, chaincode.PutCredentialType(tx, t)
	})
	return err
}

// Issue records a credential as mspID. The request travels as transient
// data, JSON-encoded exactly as the Fabric backend sends it.
func (l *Ledger) Issue(ctx context.Context, mspID string, req credential.IssueRequest) (credential.IssueResult, error) {
	raw, err := json.Marshal(req)
	if err != nil {
		return credential.IssueResult{}, credential.Wrapf(err, credential.ReasonInvalidRequest, "the issue request cannot be encoded")
	}
	r, err := l.submit(ctx, mspID, chaincode.FnIssue, map[string][]byte{chaincode.TransientRequest: raw}, func(tx chaincode.Tx) (any, error) {
		return chaincode.Issue(tx)
	})
	if err != nil {
		return credential.IssueResult{}, err
	}
	res := r.result.(credential.IssueResult)
	if r.seq != 0 && !res.Replayed {
		res.Record.BlockNumber = r.seq
	} else {
		l.fillBlock(&res.Record)
	}
	if res.Superseded != nil {
		l.fillBlock(res.Superseded)
	}
	return res, nil
}

// ChangeStatus suspends, reinstates or revokes a credential as mspID.
func (l *Ledger) ChangeStatus(ctx context.Context, mspID, id string, ch credential.StatusChange) (credential.Record, error) {
	return l.changeRecord(ctx, mspID, chaincode.FnChangeStatus, func(tx chaincode.Tx) (credential.Record, error) {
		return chaincode.ChangeStatus(tx, id, ch)
	})
}

// RotateToken gives a credential its next access token generation as mspID.
func (l *Ledger) RotateToken(ctx context.Context, mspID, id string, rot credential.TokenRotation) (credential.Record, error) {
	return l.changeRecord(ctx, mspID, chaincode.FnRotateToken, func(tx chaincode.Tx) (credential.Record, error) {
		return chaincode.RotateToken(tx, id, rot)
	})
}

// changeRecord commits the record change fn makes, as mspID, and answers
// the changed record with the block of its issuance.
func (l *Ledger) changeRecord(ctx context.Context, mspID, name string, fn func(chaincode.Tx) (credential.Record, error)) (credential.Record, error) {
	r, err := l.submit(ctx, mspID, name, nil, func(tx chaincode.Tx) (any, error) { return fn(tx) })
	if err != nil {
		return credential.Record{}, err
	}
	rec := r.result.(credential.Record)
	l.fillBlock(&rec)
	return rec, nil
}

// Record reads the public record of a credential.
func (l *Ledger) Record(ctx context.Context, id string) (credential.Record, error) {
	var rec credential.Record
	err := l.view("", func(tx chaincode.Tx, btx *bolt.Tx) (err error) {
		rec, err = chaincode.GetRecord(tx, id)
		rec.BlockNumber = blockOf(btx, rec.ID)
		return err
	})
	return rec, err
}

// Document reads the full document from private data. The embedded ledger
// holds every department's private data, so any caller may read it; the
// gateway decides who gets to.
func (l *Ledger) Document(ctx context.Context, mspID, id string) (credential.Document, error) {
	var doc credential.Document
	err := l.view(mspID, func(tx chaincode.Tx, _ *bolt.Tx) (err error) {
		doc, err = chaincode.GetDocument(tx, id)
		return err
	})
	return doc, err
}

// History lists every change of a credential, oldest first.
func (l *Ledger) History(ctx context.Context, id string) ([]credential.Change, error) {
	var hs []credential.Change
	err := l.view("", func(tx chaincode.Tx, _ *bolt.Tx) (err error) {
		hs, err = chaincode.GetHistory(tx, id)
		return err
	})
	return hs, err
}

// stats counts commits for Stats.
type stats struct {
	batches, txs atomic.Uint64
}

func (s *stats) observeBatch(n int) {
	s.batches.Add(1)
	s.txs.Add(uint64(n))
}

// Stats reports how many bbolt commits the ledger made and how many
// transactions they carried (their ratio is the mean group-commit size).
type Stats struct {
	Commits      uint64
	Transactions uint64
}

// Stats returns commit counters since Open.
func (l *Ledger) Stats() Stats {
	return Stats{Commits: l.metrics.batches.Load(), Transactions: l.metrics.txs.Load()}
}
