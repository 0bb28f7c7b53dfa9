package fabricledger

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
)

// issueBatcher gathers one department's concurrent issuances into IssueBatch
// transactions, since peers pay per transaction (docs/decisions/0006). A batch
// leaves when an in-flight slot frees, so no timer holds a lone issuance back.
type issueBatcher struct {
	l        *Ledger
	d        *dept
	queue    chan *pendingIssue
	slots    chan struct{}
	maxItems int

	ctx    context.Context // ends when the ledger closes
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// pendingIssue is one caller's issuance waiting for its batch.
type pendingIssue struct {
	ctx  context.Context
	body json.RawMessage // the IssueRequest
	out  chan issueOutcome
}

type issueOutcome struct {
	res credential.IssueResult
	err error
}

var errLedgerClosed = credential.Errorf(credential.ReasonLedgerClosed, "the ledger connection is closing")

func newIssueBatcher(l *Ledger, d *dept) *issueBatcher {
	b := &issueBatcher{l: l, d: d, queue: make(chan *pendingIssue, l.opts.IssueBatchSize*l.opts.IssueBatchesInFlight),
		slots: make(chan struct{}, l.opts.IssueBatchesInFlight), maxItems: l.opts.IssueBatchSize}
	b.ctx, b.cancel = context.WithCancel(context.Background())
	b.wg.Add(1)
	go b.run()
	return b
}

// issue queues body and waits for its outcome or for ctx to end. A caller
// that gives up does not withdraw an issuance already sent: like any
// submitted transaction it may still commit, and the idempotency key is
// what makes a retry safe.
func (b *issueBatcher) issue(ctx context.Context, body []byte) (credential.IssueResult, error) {
	p := &pendingIssue{ctx: ctx, body: body, out: make(chan issueOutcome, 1)}
	select {
	case b.queue <- p:
	case <-ctx.Done():
		return credential.IssueResult{}, ctx.Err()
	case <-b.ctx.Done():
		return credential.IssueResult{}, errLedgerClosed
	}
	select {
	case o := <-p.out:
		return o.res, o.err
	case <-ctx.Done():
		return credential.IssueResult{}, ctx.Err()
	case <-b.ctx.Done():
		// Closing: what was queued may never be sent. (The server stops
		// taking requests and finishes those in flight before it closes
		// the ledger, so no issuance should be waiting here.)
		return credential.IssueResult{}, errLedgerClosed
	}
}

// stop ends the batches in flight and waits for them. Callers still
// waiting return errLedgerClosed on their own (see issue).
func (b *issueBatcher) stop() {
	b.cancel()
	b.wg.Wait()
}

func (b *issueBatcher) run() {
	defer b.wg.Done()
	var carry *pendingIssue // the request that did not fit the last batch
	for {
		first := carry
		carry = nil
		if first == nil {
			select {
			case first = <-b.queue:
			case <-b.ctx.Done():
				return
			}
		}
		select {
		case b.slots <- struct{}{}:
		case <-b.ctx.Done():
			return
		}
		batch, size := []*pendingIssue{first}, len(first.body)
	gather:
		for len(batch) < b.maxItems {
			select {
			case p := <-b.queue:
				if size+len(p.body)+1 > chaincode.MaxBatchSize-2 {
					carry = p
					break gather
				}
				batch, size = append(batch, p), size+len(p.body)+1
			default:
				break gather
			}
		}
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			defer func() { <-b.slots }()
			b.send(batch)
		}()
	}
}

// send records one batch and hands every caller its own outcome. Callers
// that gave up before it left are not sent.
func (b *issueBatcher) send(all []*pendingIssue) {
	batch := all[:0]
	for _, p := range all {
		if p.ctx.Err() == nil {
			batch = append(batch, p)
		}
	}
	if len(batch) == 0 {
		return
	}
	bodies := make([]json.RawMessage, len(batch))
	for i, p := range batch {
		bodies[i] = p.body
	}
	transient, err := json.Marshal(bodies)
	if err != nil {
		b.failAll(batch, credential.Wrapf(err, credential.ReasonInvalidRequest, "the issue requests cannot be encoded"))
		return
	}
	out, err := b.l.submit(b.ctx, b.d, submitCall{
		fn:        chaincode.FnIssueBatch,
		transient: map[string][]byte{chaincode.TransientRequests: transient},
		readOnly:  issuesNothing,
	})
	if err != nil {
		if b.ctx.Err() != nil {
			err = errLedgerClosed
		}
		b.failAll(batch, err)
		return
	}
	var results []chaincode.BatchItemResult
	if err := decode(out.result, &results, "batch result"); err != nil || len(results) != len(batch) {
		b.l.log.Error("fabric: batch result does not match the batch", slog.String("tx", out.txID),
			slog.Int("items", len(batch)), slog.Int("results", len(results)))
		b.failAll(batch, internalError("read the outcome of the issuance", out.txID))
		return
	}
	for i, r := range results {
		batch[i].out <- b.outcome(r, out)
	}
}

func (b *issueBatcher) outcome(r chaincode.BatchItemResult, out committed) issueOutcome {
	if err := r.Err(); err != nil {
		return issueOutcome{err: err}
	}
	if r.Result == nil {
		return issueOutcome{err: internalError("read the outcome of the issuance", out.txID)}
	}
	res := *r.Result
	if res.Replayed || out.readOnly {
		res.Record.BlockNumber = b.l.blockOf(b.ctx, b.l.deptPeers(b.d), res.Record.IssueTxID)
	} else {
		res.Record.BlockNumber = out.block
		// The caller's next read of it finds it even before the event.
		b.l.records.offer(res.Record, out.block)
		if res.Superseded != nil {
			// The version a renewal or change superseded must not be
			// answered valid from an older copy.
			res.Superseded.BlockNumber = b.l.blockOf(b.ctx, b.l.deptPeers(b.d), res.Superseded.IssueTxID)
			b.l.records.offer(*res.Superseded, out.block)
		}
	}
	return issueOutcome{res: res}
}

func (b *issueBatcher) failAll(batch []*pendingIssue, err error) {
	for _, p := range batch {
		p.out <- issueOutcome{err: err}
	}
}

// issuesNothing reports whether an endorsed batch result records no new
// credential (every item replayed or refused), so it need not be ordered.
func issuesNothing(result []byte) bool {
	var results []chaincode.BatchItemResult
	if json.Unmarshal(result, &results) != nil {
		return false
	}
	for _, r := range results {
		if r.Error == nil && r.Result != nil && !r.Result.Replayed {
			return false
		}
	}
	return true
}

// batcher returns d's issue batcher, started on first use.
func (l *Ledger) batcher(d *dept) (*issueBatcher, error) {
	d.batchMu.Lock()
	defer d.batchMu.Unlock()
	if d.closed {
		return nil, errLedgerClosed
	}
	if d.batcher == nil {
		d.batcher = newIssueBatcher(l, d)
	}
	return d.batcher, nil
}

// stopBatcher stops d's batcher, if it started, for good.
func (d *dept) stopBatcher() {
	d.batchMu.Lock()
	b := d.batcher
	d.closed = true
	d.batchMu.Unlock()
	if b != nil {
		b.stop()
	}
}
