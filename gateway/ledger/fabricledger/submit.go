package fabricledger

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	pb "github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// committed is the outcome of a transaction the ledger accepted.
type committed struct {
	result []byte
	txID   string
	block  uint64
	// readOnly is true when the endorsed result showed nothing to write
	// (see submitCall.readOnly), so nothing was ordered and block is 0.
	readOnly bool
}

// submitCall is one logical write: a contract function with its arguments
// and transient data, made as one department.
type submitCall struct {
	fn        string
	args      []string
	transient map[string][]byte
	// coEndorsers are MSP IDs whose peers endorse besides the
	// department's own, for keys whose policy names them too.
	coEndorsers []string
	// readOnly inspects an endorsed result and reports whether the call
	// changes nothing (an idempotent replay), so it need not be ordered.
	readOnly func(result []byte) bool
}

// errConflict marks a transaction invalidated by a read conflict (or by a
// concurrent key-level policy change, see submitOnce): it is endorsed
// again, since it never took effect.
type errConflict struct{ code pb.TxValidationCode }

func (e errConflict) Error() string { return "read conflict: " + e.code.String() }

// submit runs a write through endorsement, ordering and commit. Read
// conflicts are endorsed again with a growing pause, "no combination of
// peers" is retried until Options.StartupRetry; a contract error is returned
// as its *credential.Error at once.
func (l *Ledger) submit(ctx context.Context, d *dept, call submitCall) (committed, error) {
	notReadyUntil := time.Now().Add(l.opts.StartupRetry)
	pause := l.opts.ConflictBackoff
	conflicts := 0
	for {
		out, err := l.submitOnce(ctx, d, call)
		var conflict errConflict
		switch {
		case err == nil:
			return out, nil
		case errors.As(err, &conflict) && conflicts < l.opts.ConflictRetries:
			conflicts++
			l.log.Debug("fabric: read conflict, endorsing again", slog.String("fn", call.fn),
				slog.String("tx", out.txID), slog.Int("attempt", conflicts))
		case errors.As(err, &conflict) && conflict.code == pb.TxValidationCode_ENDORSEMENT_POLICY_FAILURE:
			return out, credential.Errorf(credential.ReasonEndorsementMissing,
				"the ledger refused transaction %s: it lacks the endorsements its keys require", out.txID)
		case errors.As(err, &conflict):
			return out, credential.Errorf(credential.ReasonConcurrentChange,
				"the ledger kept rejecting the %s transaction for concurrent changes; try again", call.fn)
		case isRetryableStart(err) && time.Now().Before(notReadyUntil):
			pause = 250 * time.Millisecond
		default:
			return out, err
		}
		if err := sleep(ctx, pause); err != nil {
			return out, err
		}
		pause = min(pause*2, time.Second)
	}
}

// startupError wraps a failure to get an endorsement that is not the
// contract's answer, as seen while the network or one of its nodes
// (re)starts: it is retried until Options.StartupRetry.
type startupError struct{ err error }

func (e startupError) Error() string { return e.err.Error() }
func (e startupError) Unwrap() error { return e.err }

func isRetryableStart(err error) bool {
	var s startupError
	return errors.As(err, &s)
}

// submitOnce makes one attempt: endorse on the department's first peer that
// answers, submit the signed transaction (again, on the next peer, if the
// first cannot take it: the orderers drop a repeated transaction ID), then
// ask for the commit status until it is known.
func (l *Ledger) submitOnce(ctx context.Context, d *dept, call submitCall) (committed, error) {
	tx, on, err := l.endorse(ctx, d, call)
	if err != nil {
		return committed{}, err
	}
	out := committed{result: tx.Result(), txID: tx.TransactionID()}
	if call.readOnly != nil && call.readOnly(out.result) {
		out.readOnly = true
		return out, nil
	}
	commit, on, err := l.order(ctx, d, on, tx)
	if err != nil {
		return out, err
	}
	st, err := l.await(ctx, d, on, tx, commit)
	if err != nil {
		return out, err
	}
	out.block = st.BlockNumber
	switch st.Code {
	case pb.TxValidationCode_VALID:
		l.blocks.put(out.txID, out.block)
		return out, nil
	case pb.TxValidationCode_MVCC_READ_CONFLICT, pb.TxValidationCode_PHANTOM_READ_CONFLICT:
		return out, errConflict{st.Code}
	case pb.TxValidationCode_ENDORSEMENT_POLICY_FAILURE:
		// An earlier transaction of the same block set the policy of a key
		// this one writes (two issuances racing for one idempotency key), and
		// Fabric reports this before the read conflict: endorse again.
		l.log.Warn("fabric: transaction failed its endorsement policy", slog.String("fn", call.fn),
			slog.String("tx", out.txID), slog.String("msp", d.mspID))
		return out, errConflict{st.Code}
	}
	l.log.Error("fabric: transaction invalidated", slog.String("fn", call.fn), slog.String("tx", out.txID),
		slog.String("code", st.Code.String()), slog.Uint64("block", st.BlockNumber))
	return out, internalError("record the change", out.txID)
}

// endorse gets the proposal endorsed through the first of d's peers that
// answers; a fresh proposal is made for each peer (an unendorsed proposal
// commits nothing, so no care is needed about the one that failed).
func (l *Ledger) endorse(ctx context.Context, d *dept, call submitCall) (*client.Transaction, *peer, error) {
	var lastTx string
	for _, p := range d.candidates(time.Now()) {
		opts := []client.ProposalOption{client.WithArguments(call.args...)}
		if call.transient != nil {
			opts = append(opts, client.WithTransient(call.transient))
		}
		if len(call.coEndorsers) > 0 {
			opts = append(opts, client.WithEndorsingOrganizations(append([]string{d.mspID}, call.coEndorsers...)...))
		}
		prop, err := p.contract.NewProposal(call.fn, opts...)
		if err != nil {
			l.log.Error("fabric: build proposal", slog.String("fn", call.fn), slog.String("error", describe(err)))
			return nil, nil, internalError("prepare the transaction", "")
		}
		ectx, cancel := context.WithTimeout(ctx, l.opts.EndorseTimeout)
		tx, err := prop.EndorseWithContext(ectx)
		cancel()
		if err == nil {
			p.markUp()
			return tx, p, nil
		}
		if e, ok := contractError(err); ok {
			p.markUp()
			return nil, nil, e
		}
		lastTx = prop.TransactionID()
		var ee *client.EndorseError
		if errors.As(err, &ee) {
			lastTx = ee.TransactionID
		}
		l.log.Warn("fabric: endorsement failed", slog.String("fn", call.fn), slog.String("tx", lastTx),
			slog.String("peer", p.name), slog.String("error", describe(err)))
		if !peerUnreachable(ctx, err) {
			break
		}
		p.markDown(time.Now(), l.opts.PeerDownFor)
	}
	if ctx.Err() != nil {
		return nil, nil, ctx.Err()
	}
	// Not the contract's answer: Fabric could not find endorsers yet
	// (FailedPrecondition), no peer answered, or an endorsing peer failed
	// on its side (Aborted: e.g. it could not hand a private document to
	// the peer the collection required, one that just went down). An
	// unsubmitted endorsement changes nothing, so all are tried again.
	return nil, nil, startupError{unavailableError("get the transaction endorsed", lastTx)}
}

// orderFor bounds how long one signed transaction is offered to the
// orderers: longer than a Raft leader election after the leader died.
const orderFor = 20 * time.Second

// order hands the endorsed transaction to the orderers through the peer
// that endorsed it, and through the department's other peers if that one
// fails. Sending the same signed transaction again is safe: its ID is
// fixed, and a second copy would be invalidated as a duplicate.
func (l *Ledger) order(ctx context.Context, d *dept, first *peer, tx *client.Transaction) (*client.Commit, *peer, error) {
	raw, err := tx.Bytes()
	if err != nil {
		return nil, nil, internalError("prepare the transaction", tx.TransactionID())
	}
	pause := 100 * time.Millisecond
	until := time.Now().Add(orderFor)
	for attempt := 0; attempt == 0 || time.Now().Before(until); attempt++ {
		for _, p := range withFirst(first, d.candidates(time.Now())) {
			t := tx
			if p != first {
				if t, err = p.gw.NewTransaction(raw); err != nil {
					return nil, nil, internalError("prepare the transaction", tx.TransactionID())
				}
			}
			sctx, cancel := context.WithTimeout(ctx, l.opts.SubmitTimeout)
			commit, err := t.SubmitWithContext(sctx)
			cancel()
			if err == nil {
				return commit, p, nil
			}
			var se *client.SubmitError
			l.log.Warn("fabric: submit failed", slog.String("tx", tx.TransactionID()), slog.String("peer", p.name),
				slog.Int("attempt", attempt+1), slog.Bool("submitError", errors.As(err, &se)), slog.String("error", describe(err)))
			if ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
			if peerUnreachable(ctx, err) {
				p.markDown(time.Now(), l.opts.PeerDownFor)
				continue
			}
			break // the peer answered: the orderers are the trouble; wait and try again
		}
		if err := sleep(ctx, pause); err != nil {
			return nil, nil, err
		}
		pause = min(pause*2, 2*time.Second)
	}
	return nil, nil, unavailableError("hand the transaction to the orderers", tx.TransactionID())
}

// await waits for the validation code until Options.CommitTimeout. After each
// Options.ResendAfter without one it hands the same signed transaction over
// again, in case its orderer died; a second copy fails as DUPLICATE_TXID.
func (l *Ledger) await(ctx context.Context, d *dept, on *peer, tx *client.Transaction, commit *client.Commit) (*client.Status, error) {
	deadline := time.Now().Add(l.opts.CommitTimeout)
	for {
		window := time.Now().Add(l.opts.ResendAfter)
		if window.After(deadline) {
			window = deadline
		}
		st, next, err := l.commitStatus(ctx, d, on, commit, window)
		if err == nil {
			return st, nil
		}
		if !errors.Is(err, errNoStatusYet) || !time.Now().Before(deadline) {
			if errors.Is(err, errNoStatusYet) {
				// Its outcome is not known yet: a retry with the same
				// idempotency key finds the credential if it committed.
				return nil, unavailableError("confirm the transaction", tx.TransactionID())
			}
			return nil, err
		}
		l.log.Warn("fabric: no commit status yet, handing the same transaction to the orderers again",
			slog.String("tx", tx.TransactionID()), slog.String("peer", next.name))
		c, p, err := l.order(ctx, d, next, tx)
		if err != nil {
			return nil, err
		}
		commit, on = c, p
	}
}

// errNoStatusYet: the commit status did not arrive within the window.
var errNoStatusYet = errors.New("no commit status yet")

// commitStatus asks for the commit status until window, moving to another
// peer of the department when the one asked does not answer. It returns
// the peer it asked last.
func (l *Ledger) commitStatus(ctx context.Context, d *dept, p *peer, commit *client.Commit, window time.Time) (*client.Status, *peer, error) {
	var raw []byte
	for {
		cctx, cancel := context.WithDeadline(ctx, window)
		st, err := commit.StatusWithContext(cctx)
		cancel()
		if err == nil {
			return st, p, nil
		}
		if ctx.Err() != nil {
			return nil, p, ctx.Err()
		}
		if !time.Now().Before(window) {
			return nil, p, errNoStatusYet // waiting is what the call does; the window is over
		}
		var cse *client.CommitStatusError
		l.log.Warn("fabric: commit status unknown, asking again", slog.String("tx", commit.TransactionID()),
			slog.String("peer", p.name), slog.Bool("commitStatusError", errors.As(err, &cse)), slog.String("error", describe(err)))
		if peerUnreachable(ctx, err) {
			p.markDown(time.Now(), l.opts.PeerDownFor)
			if next := nextPeer(d, p); next != p {
				if raw == nil {
					if raw, err = commit.Bytes(); err != nil {
						return nil, p, internalError("confirm the transaction", commit.TransactionID())
					}
				}
				if c, err := next.gw.NewCommit(raw); err == nil {
					commit, p = c, next
				}
			}
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return nil, p, err
		}
	}
}

// nextPeer picks the department's first other peer believed up, or the
// same peer when it has no other.
func nextPeer(d *dept, cur *peer) *peer {
	for _, p := range d.candidates(time.Now()) {
		if p != cur {
			return p
		}
	}
	return cur
}

// withFirst orders peers with first at the front.
func withFirst(first *peer, peers []*peer) []*peer {
	out := make([]*peer, 0, len(peers))
	out = append(out, first)
	for _, p := range peers {
		if p != first {
			out = append(out, p)
		}
	}
	return out
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
