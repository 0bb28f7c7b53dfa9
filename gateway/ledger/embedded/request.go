package embedded

import (
	"context"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
	bolt "go.etcd.io/bbolt"
)

// CreateRequest records a consent request as mspID.
func (l *Ledger) CreateRequest(ctx context.Context, mspID string, n credential.NewConsentRequest) (credential.ConsentRequest, error) {
	r, err := l.submit(ctx, mspID, chaincode.FnCreateRequest, nil, func(tx chaincode.Tx) (any, error) {
		return chaincode.CreateRequest(tx, n)
	})
	if err != nil {
		return credential.ConsentRequest{}, err
	}
	return r.result.(credential.ConsentRequest), nil
}

// DecideRequest records a holder's decision as mspID (governance), endorsed
// by the requester's department too, as the request's keys require.
func (l *Ledger) DecideRequest(ctx context.Context, mspID, requesterMSP string, d credential.RequestDecision) (credential.ConsentRequest, error) {
	r, err := l.submitEndorsed(ctx, mspID, []string{requesterMSP}, chaincode.FnDecideRequest, nil, func(tx chaincode.Tx) (any, error) {
		return chaincode.DecideRequest(tx, d)
	})
	if err != nil {
		return credential.ConsentRequest{}, err
	}
	return r.result.(credential.ConsentRequest), nil
}

// RecordProofRead counts a fetch of the presentations as mspID (the
// requester), endorsed by governance too.
func (l *Ledger) RecordProofRead(ctx context.Context, mspID, govMSP, id string) (credential.ConsentRequest, error) {
	r, err := l.submitEndorsed(ctx, mspID, []string{govMSP}, chaincode.FnRecordProofRead, nil, func(tx chaincode.Tx) (any, error) {
		return chaincode.RecordProofRead(tx, id)
	})
	if err != nil {
		return credential.ConsentRequest{}, err
	}
	return r.result.(credential.ConsentRequest), nil
}

// query runs a read-only contract function on the committed state.
func query[T any](ctx context.Context, l *Ledger, fn func(tx chaincode.Tx) (T, error)) (T, error) {
	var out T
	if err := ctx.Err(); err != nil {
		return out, err
	}
	err := l.view("", func(tx chaincode.Tx, _ *bolt.Tx) (err error) {
		out, err = fn(tx)
		return err
	})
	return out, err
}

// Request reads one consent request.
func (l *Ledger) Request(ctx context.Context, id string) (credential.ConsentRequest, error) {
	return query(ctx, l, func(tx chaincode.Tx) (credential.ConsentRequest, error) { return chaincode.GetRequest(tx, id) })
}

// RequestsByHolder pages through the requests addressed to a holder.
func (l *Ledger) RequestsByHolder(ctx context.Context, q credential.RequestHolderQuery) (credential.RequestPage, error) {
	return query(ctx, l, func(tx chaincode.Tx) (credential.RequestPage, error) { return chaincode.GetRequestsByHolder(tx, q) })
}

// RequestsByDept pages through a department's requests, newest first.
func (l *Ledger) RequestsByDept(ctx context.Context, q credential.RequestDeptQuery) (credential.RequestPage, error) {
	return query(ctx, l, func(tx chaincode.Tx) (credential.RequestPage, error) { return chaincode.GetRequestsByDept(tx, q) })
}

// Receipts pages through the decisions, oldest first.
func (l *Ledger) Receipts(ctx context.Context, q credential.ReceiptQuery) (credential.ReceiptPage, error) {
	return query(ctx, l, func(tx chaincode.Tx) (credential.ReceiptPage, error) { return chaincode.GetReceipts(tx, q) })
}
