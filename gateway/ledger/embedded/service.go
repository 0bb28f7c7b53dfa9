package embedded

import (
	"context"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
	bolt "go.etcd.io/bbolt"
)

// PutService adds or replaces a service catalogue item as mspID.
func (l *Ledger) PutService(ctx context.Context, mspID string, s credential.Service) (credential.Service, error) {
	r, err := l.submit(ctx, mspID, chaincode.FnPutService, nil, func(tx chaincode.Tx) (any, error) {
		return chaincode.PutService(tx, s)
	})
	if err != nil {
		return credential.Service{}, err
	}
	return r.result.(credential.Service), nil
}

// Services lists the service catalogue, sorted by code.
func (l *Ledger) Services(ctx context.Context) ([]credential.Service, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []credential.Service
	err := l.view("", func(tx chaincode.Tx, _ *bolt.Tx) (err error) {
		out, err = chaincode.GetServices(tx)
		return err
	})
	return out, err
}
