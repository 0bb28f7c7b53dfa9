package embedded

import (
	"context"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
	bolt "go.etcd.io/bbolt"
)

// CreateAPIKey records a department API key as mspID.
func (l *Ledger) CreateAPIKey(ctx context.Context, mspID string, k credential.NewAPIKey) (credential.APIKey, error) {
	r, err := l.submit(ctx, mspID, chaincode.FnCreateAPIKey, nil, func(tx chaincode.Tx) (any, error) {
		return chaincode.CreateAPIKey(tx, k)
	})
	if err != nil {
		return credential.APIKey{}, err
	}
	return r.result.(credential.APIKey), nil
}

// RevokeAPIKey revokes a department API key as mspID.
func (l *Ledger) RevokeAPIKey(ctx context.Context, mspID string, rv credential.APIKeyRevocation) (credential.APIKey, error) {
	r, err := l.submit(ctx, mspID, chaincode.FnRevokeAPIKey, nil, func(tx chaincode.Tx) (any, error) {
		return chaincode.RevokeAPIKey(tx, rv)
	})
	if err != nil {
		return credential.APIKey{}, err
	}
	return r.result.(credential.APIKey), nil
}

// APIKeys lists department dept's API keys, every department's when dept
// is empty.
func (l *Ledger) APIKeys(ctx context.Context, dept string) ([]credential.APIKey, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []credential.APIKey
	err := l.view("", func(tx chaincode.Tx, _ *bolt.Tx) (err error) {
		out, err = chaincode.GetAPIKeys(tx, dept)
		return err
	})
	return out, err
}
