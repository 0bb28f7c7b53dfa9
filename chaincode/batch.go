package chaincode

import (
	"encoding/json"
	"errors"

	"github.com/certledger/certledger/credential"
)

// Batch issuance bounds. A batch is one Fabric transaction: its fixed costs
// (endorsement, ordering, validation and commit on every peer) are paid once
// for all its items, which is what makes it worth having.
const (
	// MaxBatchItems bounds the items of one IssueBatch.
	MaxBatchItems = 64
	// MaxBatchSize bounds the transient data of one IssueBatch.
	MaxBatchSize = 8 << 20
)

// BatchItemResult is the outcome of one item of IssueBatch: Result when it
// was issued (or replayed), Error when the contract refused it.
type BatchItemResult struct {
	Result *credential.IssueResult `json:"result,omitempty"`
	Error  *credential.Error       `json:"error,omitempty"`
}

// Err returns the item's error, nil when it has none.
func (r BatchItemResult) Err() error {
	if r.Error == nil {
		return nil
	}
	return r.Error
}

// IssueBatch issues the IssueRequests under transient key TransientRequests in
// one transaction, as Issue would in turn. A refused item writes nothing and
// gets its own error; one EventBatchName event lists every change (decision 0006).
func IssueBatch(tx Tx) ([]BatchItemResult, error) {
	reqs, err := readBatch(tx)
	if err != nil {
		return nil, err
	}
	b := newBatchTx(tx)
	if err := b.prefetch(reqs); err != nil {
		return nil, err
	}
	out := make([]BatchItemResult, len(reqs))
	for i, raw := range reqs {
		it := b.item(raw)
		res, err := Issue(it)
		var ce *credential.Error
		switch {
		case err == nil:
			if err := it.commit(); err != nil {
				return nil, err
			}
			out[i].Result = &res
		case errors.As(err, &ce) && ce.Code != credential.CodeInternal:
			out[i].Error = ce
		default:
			return nil, err
		}
	}
	if len(b.events) > 0 {
		payload, err := json.Marshal(b.events)
		if err != nil {
			return nil, ledgerErr("encode batch event", err)
		}
		if err := tx.SetEvent(EventBatchName, payload); err != nil {
			return nil, ledgerErr("set event", err)
		}
	}
	return out, nil
}

func readBatch(tx Tx) ([]json.RawMessage, error) {
	raw, err := tx.Transient(TransientRequests)
	if err != nil {
		return nil, ledgerErr("read transient data", err)
	}
	if raw == nil {
		return nil, credential.Errorf(credential.ReasonInvalidRequest, "the issue requests must be passed as transient data under %q", TransientRequests)
	}
	if len(raw) > MaxBatchSize {
		return nil, credential.Errorf(credential.ReasonInvalidRequest, "the batch is larger than %d bytes", MaxBatchSize)
	}
	var reqs []json.RawMessage
	if err := json.Unmarshal(raw, &reqs); err != nil {
		return nil, credential.Wrapf(err, credential.ReasonInvalidRequest, "the batch is not a JSON array of issue requests")
	}
	if len(reqs) == 0 || len(reqs) > MaxBatchItems {
		return nil, credential.Errorf(credential.ReasonInvalidRequest, "a batch holds 1 to %d issue requests, not %d", MaxBatchItems, len(reqs))
	}
	return reqs, nil
}
