package embedded

import (
	"context"

	bolt "go.etcd.io/bbolt"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
)

// AnchorBatch records an anchored batch as mspID: the request and its
// chunks of documents go in as transient data, as on Fabric.
func (l *Ledger) AnchorBatch(ctx context.Context, mspID string, req credential.AnchorRequest) (credential.AnchorResult, error) {
	transient, err := chaincode.AnchorTransient(req)
	if err != nil {
		return credential.AnchorResult{}, err
	}
	r, err := l.submit(ctx, mspID, chaincode.FnAnchorBatch, transient, func(tx chaincode.Tx) (any, error) {
		return chaincode.AnchorBatch(tx)
	})
	if err != nil {
		return credential.AnchorResult{}, err
	}
	return r.result.(credential.AnchorResult), nil
}

// AnchorStatusNext returns where department dept's next anchored batch's
// status positions may start.
func (l *Ledger) AnchorStatusNext(ctx context.Context, dept string) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var out uint64
	err := l.view("", func(tx chaincode.Tx, _ *bolt.Tx) (err error) {
		out, err = chaincode.GetAnchorStatusNext(tx, dept)
		return err
	})
	return out, err
}
