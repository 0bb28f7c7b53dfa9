package embedded

import (
	"context"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
	bolt "go.etcd.io/bbolt"
)

// StatusSequence returns the status list position the contract allocated
// to a credential at issuance; 0 when it was issued without one.
func (l *Ledger) StatusSequence(ctx context.Context, id string) (uint64, error) {
	rec, err := l.Record(ctx, id)
	if err != nil {
		return 0, err
	}
	return rec.StatusSequence, nil
}

// StatusEntries returns the credentials of department dept in status list
// list, in sequence order, from the contract's status index.
func (l *Ledger) StatusEntries(ctx context.Context, dept string, list uint64) ([]credential.StatusEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []credential.StatusEntry
	err := l.view("", func(tx chaincode.Tx, _ *bolt.Tx) (err error) {
		out, err = chaincode.GetStatusEntries(tx, dept, list)
		return err
	})
	return out, err
}
