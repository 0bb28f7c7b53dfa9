package embedded

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
	bolt "go.etcd.io/bbolt"
)

// request is one transaction waiting for the committer.
type request struct {
	txID      string
	time      time.Time
	mspID     string
	function  string
	transient map[string][]byte
	run       func(chaincode.Tx) (any, error)
	done      chan struct{}

	// Outcome, reset before every execution because a failed batch is
	// re-executed transaction by transaction.
	result any
	err    error
	seq    uint64 // log sequence, 0 when nothing was written
	event  *event
}

func (r *request) reset() { r.result, r.err, r.seq, r.event = nil, nil, 0, nil }

// committer is the group commit loop: it takes every transaction that is
// waiting, executes them one after another in a single bbolt transaction and
// commits (one fsync) before acknowledging any of them. While it commits,
// new requests queue up and form the next batch, so batches grow with load
// and a lone request never waits for a timer.
func (l *Ledger) committer() {
	defer close(l.stopped)
	for first := range l.queue {
		batch := append(l.batch[:0], first)
	drain:
		for len(batch) < l.cfg.MaxBatch {
			select {
			case r, ok := <-l.queue:
				if !ok {
					break drain
				}
				batch = append(batch, r)
			default:
				break drain
			}
		}
		l.commitBatch(batch)
		for _, r := range batch {
			l.publish(r)
			close(r.done)
		}
		clear(batch)
		l.batch = batch[:0]
	}
}

// commitBatch executes and commits batch. Contract errors only fail their
// own transaction; a storage error aborts the bbolt transaction, and then
// each request is retried alone so one bad transaction cannot fail others.
func (l *Ledger) commitBatch(batch []*request) {
	err := l.db.Update(func(btx *bolt.Tx) error {
		for _, r := range batch {
			r.reset()
			if err := l.execute(btx, r); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		l.metrics.observeBatch(len(batch))
		return
	}
	if len(batch) == 1 {
		batch[0].reset()
		batch[0].err = fmt.Errorf("embedded: commit %s: %w", batch[0].txID, err)
		return
	}
	for _, r := range batch {
		l.commitBatch([]*request{r})
	}
}

// execute simulates one transaction, checks key-level endorsement policies
// and applies its writes with a log entry. It returns an error only for
// storage failures; the contract's own error is kept in r.err.
func (l *Ledger) execute(btx *bolt.Tx, r *request) error {
	if btx.Bucket(bucketTxs).Get([]byte(r.txID)) != nil {
		r.err = credential.Errorf(credential.CodeConflict, "transaction %s was already committed", r.txID)
		return nil
	}
	sim := newSimTx(btx, r.txID, r.time, r.mspID, r.transient, false)
	r.result, r.err = r.run(sim)
	if r.err != nil || sim.empty() {
		r.event = nil
		if r.err == nil {
			r.event = sim.event
		}
		return nil
	}
	if err := l.checkPolicies(btx, sim); err != nil {
		r.result, r.err = nil, err
		return nil
	}
	seq, err := l.apply(btx, r, sim)
	if err != nil {
		return err
	}
	r.seq, r.event = seq, sim.event
	return nil
}

// checkPolicies does what Fabric's validators do with key-level endorsement
// policies: a write to a key whose policy does not name the submitting
// department's MSP is rejected. On the embedded ledger the submitter is the
// only endorser, so its MSP must be in the policy.
func (l *Ledger) checkPolicies(btx *bolt.Tx, sim *simTx) error {
	check := func(policyBucket []byte, keys map[string]write) error {
		for _, k := range sortedKeys(keys) {
			p := btx.Bucket(policyBucket).Get([]byte(k))
			if p == nil {
				continue
			}
			orgs, err := chaincode.PolicyOrgs(p)
			if err != nil {
				return fmt.Errorf("embedded: endorsement policy of %s: %w", k, err)
			}
			if !slices.Contains(orgs, sim.mspID) {
				return credential.Errorf(credential.CodeForbidden, "the endorsement policy of %s requires %v, not %s", k, orgs, sim.mspID)
			}
		}
		return nil
	}
	// A policy change is itself governed by the key's current policy.
	for _, c := range []struct {
		bucket []byte
		keys   map[string]write
	}{{bucketPolicy, sim.state}, {bucketPolicy, sim.policy}, {bucketPrivatePolicy, sim.private}, {bucketPrivatePolicy, sim.privatePolicy}} {
		if err := check(c.bucket, c.keys); err != nil {
			return err
		}
	}
	return nil
}

// apply writes the simulation's write set, the key history and the log
// entry in btx, and returns the entry's sequence number.
func (l *Ledger) apply(btx *bolt.Tx, r *request, sim *simTx) (uint64, error) {
	logB := btx.Bucket(bucketLog)
	seq, prev, digest := uint64(1), genesisHash, stateDigest{}
	if k, v := logB.Cursor().Last(); k != nil {
		last, err := decodeEntry(k, v)
		if err != nil {
			return 0, fmt.Errorf("embedded: read last log entry: %w", err)
		}
		if digest, err = parseDigest(last.StateDigest); err != nil {
			return 0, fmt.Errorf("embedded: last log entry: %w", err)
		}
		seq, prev = last.Seq+1, last.Hash
	}
	entry := LogEntry{Seq: seq, TxID: r.txID, Time: r.time, MSPID: r.mspID, Function: r.function, Prev: prev}

	// store writes (or deletes, value nil) one item and keeps the digest
	// in step.
	store := func(bucket, key, value []byte) error {
		b := btx.Bucket(bucket)
		if old := b.Get(key); old != nil {
			digest.sub(itemHash(bucket, key, old))
		}
		if value == nil {
			return b.Delete(key)
		}
		digest.add(itemHash(bucket, key, value))
		return b.Put(key, value)
	}

	groups := []struct {
		ns      string
		bucket  []byte
		writes  map[string]write
		history bool
	}{
		{NSState, bucketState, sim.state, true},
		{NSPrivate, bucketPrivate, sim.private, false},
		{NSPolicy, bucketPolicy, sim.policy, false},
		{NSPrivatePolicy, bucketPrivatePolicy, sim.privatePolicy, false},
	}
	for _, g := range groups {
		for _, k := range sortedKeys(g.writes) {
			w := g.writes[k]
			lw := Write{Namespace: g.ns, Key: k, Delete: w.delete}
			value := w.value
			if w.delete {
				value = nil
			} else {
				lw.ValueHash = valueHash(w.value)
			}
			if err := store(g.bucket, []byte(k), value); err != nil {
				return 0, err
			}
			entry.Writes = append(entry.Writes, lw)
			if g.history {
				h, err := json.Marshal(historyEntry{TxID: r.txID, Time: r.time, Value: w.value, Delete: w.delete})
				if err != nil {
					return 0, err
				}
				if err := store(bucketHistory, historyKey(k, seq), h); err != nil {
					return 0, err
				}
			}
		}
	}
	if err := store(bucketTxs, []byte(r.txID), seqKey(seq)); err != nil {
		return 0, err
	}
	// The department is resolved after the writes so that the bootstrap
	// transaction, which creates the caller's department, names it too.
	if d, err := chaincode.CallerDepartment(newSimTx(btx, r.txID, r.time, r.mspID, nil, true)); err == nil {
		entry.Department = d.ID
	}
	entry.StateDigest = digest.String()
	entry.Hash = entry.ComputeHash()
	v, err := json.Marshal(entry)
	if err != nil {
		return 0, err
	}
	if err := logB.Put(seqKey(seq), v); err != nil {
		return 0, err
	}
	return seq, nil
}

func historyKey(key string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte(key), 0), seq)
}
