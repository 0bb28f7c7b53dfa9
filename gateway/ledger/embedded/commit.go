package embedded

import (
	"fmt"
	"slices"
	"time"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
	bolt "go.etcd.io/bbolt"
)

// request is one transaction on its way to the log.
type request struct {
	txID      string
	time      time.Time
	mspID     string
	function  string
	transient map[string][]byte
	run       func(chaincode.Tx) (any, error)
	done      chan struct{}
	// coEndorsers are departments (MSP IDs) that endorse besides mspID.
	coEndorsers []string

	// The endorsement: a simulation on a snapshot, made by the caller's
	// goroutine so that signature checks and decoding run in parallel.
	sim       *simTx
	simResult any

	// Outcome, reset before every execution because a failed batch is
	// re-executed transaction by transaction.
	result any
	err    error
	seq    uint64 // log sequence, 0 when nothing was written
	event  *event
}

func (r *request) reset() { r.result, r.err, r.seq, r.event = nil, nil, 0, nil }

// endorse simulates r on the latest committed snapshot, the way a Fabric
// peer endorses a proposal.
func (l *Ledger) endorse(r *request) error {
	return l.db.View(func(btx *bolt.Tx) error {
		r.sim = l.newSimTx(btx, r.txID, r.time, r.mspID, r.transient, false)
		r.simResult, r.err = safeRun(r.run, r.sim)
		if r.err == nil {
			r.sim.resolveDepartment()
		}
		r.sim.btx = nil // the snapshot ends with View
		return nil
	})
}

// safeRun runs contract code and turns a panic into an error of that one
// transaction, so a contract bug cannot take the committer, and with it
// every other transaction, down.
func safeRun(run func(chaincode.Tx) (any, error), tx chaincode.Tx) (result any, err error) {
	defer func() {
		if p := recover(); p != nil {
			result, err = nil, fmt.Errorf("embedded: transaction %s panicked: %v", tx.TxID(), p)
		}
	}()
	return run(tx)
}

// tip is the end of the log: what the next entry links to.
type tip struct {
	seq    uint64
	hash   string
	digest stateDigest
}

// committer is the group commit loop: every waiting transaction is applied in
// one bbolt transaction and one fsync before any is acknowledged. When fewer
// wait than were active it lingers briefly, so that clients taking turns merge
// into one batch (docs/architecture.md, "Group commit under load").
func (l *Ledger) committer() {
	defer close(l.stopped)
	var (
		batch      []*request
		active     int
		lastCommit time.Duration
	)
	for first := range l.queue {
		batch = append(batch[:0], first)
		batch = l.drain(batch)
		if len(batch) < active && lastCommit > 0 {
			batch = l.linger(batch, active, min(lastCommit/2, l.cfg.MaxLinger))
		}
		started := time.Now()
		l.commitBatch(batch)
		lastCommit = time.Since(started)
		for _, r := range batch {
			l.publish(r)
			close(r.done)
		}
		active = len(batch) + len(l.queue)
		clear(batch)
	}
}

// drain adds every request already queued, up to MaxBatch.
func (l *Ledger) drain(batch []*request) []*request {
	for len(batch) < l.cfg.MaxBatch {
		select {
		case r, ok := <-l.queue:
			if !ok {
				return batch
			}
			batch = append(batch, r)
		default:
			return batch
		}
	}
	return batch
}

// linger waits up to d for the batch to reach want requests.
func (l *Ledger) linger(batch []*request, want int, d time.Duration) []*request {
	if d <= 0 {
		return batch
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	for len(batch) < want && len(batch) < l.cfg.MaxBatch {
		select {
		case r, ok := <-l.queue:
			if !ok {
				return batch
			}
			batch = append(batch, r)
		case <-timer.C:
			return batch
		}
	}
	return batch
}

// commitBatch executes and commits batch. Contract errors only fail their
// own transaction; a storage error aborts the bbolt transaction, and then
// each request is retried alone so one bad transaction cannot fail others.
func (l *Ledger) commitBatch(batch []*request) {
	end := l.tip
	err := l.db.Update(func(btx *bolt.Tx) error {
		end = l.tip
		for _, r := range batch {
			r.reset()
			if err := l.execute(btx, r, &end); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		l.tip = end
		l.metrics.observeBatch(len(batch))
		l.recordTip(batch)
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

// recordTip writes the new end of the log to the tip file before any
// request of the batch is acknowledged. If that fails the batch's writes are
// committed but not acknowledged; the next commit or Open records the tip.
func (l *Ledger) recordTip(batch []*request) {
	err := l.tipFile.write(tipRecord{seq: l.tip.seq, hash: l.tip.hash})
	if err == nil {
		return
	}
	for _, r := range batch {
		if r.seq != 0 {
			r.result, r.err = nil, fmt.Errorf("embedded: transaction %s is committed, but not acknowledged: %w", r.txID, err)
		}
	}
}

// execute validates one transaction's endorsement against the state as it
// now is (re-simulating it if its reads changed), checks key-level
// endorsement policies and applies its writes with a log entry. It returns
// an error only for storage failures; the contract's own error is kept in
// r.err.
func (l *Ledger) execute(btx *bolt.Tx, r *request, end *tip) error {
	sim := r.sim
	if sim != nil && sim.stillValid(btx) {
		r.result = r.simResult
	} else {
		// Another transaction changed what this one read: run it again
		// on the current state, as if it had been endorsed just now.
		sim = l.newSimTx(btx, r.txID, r.time, r.mspID, r.transient, false)
		r.result, r.err = safeRun(r.run, sim)
		if r.err != nil {
			return nil
		}
		sim.resolveDepartment()
	}
	if sim.empty() {
		r.event = sim.event
		return nil
	}
	if err := l.checkPolicies(btx, sim, r.coEndorsers); err != nil {
		r.result, r.err = nil, err
		return nil
	}
	if err := l.apply(btx, r, sim, end); err != nil {
		return err
	}
	r.seq, r.event = end.seq, sim.event
	return nil
}

// checkPolicies does what Fabric's validators do with key-level endorsement
// policies: a write to a key whose policy needs another department's peers
// is rejected. On the embedded ledger the endorsers are the submitter and
// the co-endorsers it names, so the policy must name no one else.
func (l *Ledger) checkPolicies(btx *bolt.Tx, sim *simTx, coEndorsers []string) error {
	check := func(policyBucket []byte, keys map[string]write) error {
		for _, k := range sortedKeys(keys) {
			p := btx.Bucket(policyBucket).Get([]byte(k))
			if p == nil {
				continue
			}
			orgs, err := decodePolicy(p)
			if err != nil {
				return fmt.Errorf("embedded: endorsement policy of %s: %w", k, err)
			}
			if len(orgs) == 0 || slices.ContainsFunc(orgs, func(o string) bool { return o != sim.mspID && !slices.Contains(coEndorsers, o) }) {
				return credential.Errorf(credential.ReasonEndorsementMissing, "the endorsement policy of %s requires %v, not %s", k, orgs, sim.mspID)
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

// apply writes the simulation's write set and the key history in btx,
// appends the log entry after end and advances end.
func (l *Ledger) apply(btx *bolt.Tx, r *request, sim *simTx, end *tip) error {
	seq, digest := end.seq+1, end.digest
	entry := LogEntry{Seq: seq, TxID: r.txID, Time: r.time, MSPID: r.mspID, Department: sim.department, Function: r.function, Prev: end.hash}

	// store writes (or, with a nil value, deletes) one item and keeps the
	// state digest, which covers plaintext, in step; stored is what goes
	// into the file when it differs from value (a sealed private value).
	store := func(bucket, key, value, stored []byte) error {
		b := btx.Bucket(bucket)
		if old := b.Get(key); old != nil {
			plain, err := plainValue(l.private, bucket, key, old)
			if err != nil {
				return err
			}
			digest.sub(itemHash(bucket, key, plain))
		}
		if value == nil {
			return b.Delete(key)
		}
		digest.add(itemHash(bucket, key, value))
		if stored == nil {
			stored = value
		}
		return b.Put(key, stored)
	}

	groups := []struct {
		ns      string
		bucket  []byte
		writes  map[string]write
		history bool
		sealed  bool
	}{
		{NSState, bucketState, sim.state, true, false},
		{NSPrivate, bucketPrivate, sim.private, false, true},
		{NSPolicy, bucketPolicy, sim.policy, false, false},
		{NSPrivatePolicy, bucketPrivatePolicy, sim.privatePolicy, false, false},
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
			if g.sealed && !w.delete && w.stored == nil {
				return fmt.Errorf("embedded: the private value %s was not sealed", k)
			}
			if err := store(g.bucket, []byte(k), value, w.stored); err != nil {
				return err
			}
			entry.Writes = append(entry.Writes, lw)
			if g.history {
				if err := store(bucketHistory, historyKey(k, seq), encodeHistory(r.txID, r.time, w.value, w.delete), nil); err != nil {
					return err
				}
			}
		}
	}
	// The bootstrap transaction creates the caller's department, so only
	// the state after its writes names it.
	if entry.Department == "" {
		if d, err := chaincode.CallerDepartment(l.newSimTx(btx, r.txID, r.time, r.mspID, nil, true)); err == nil {
			entry.Department = d.ID
		}
	}
	entry.StateDigest = digest.String()
	if err := btx.Bucket(bucketLog).Put(seqKey(seq), encodeEntry(&entry)); err != nil {
		return err
	}
	*end = tip{seq: seq, hash: entry.Hash, digest: digest}
	return nil
}
