package embedded

import (
	"context"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
	bolt "go.etcd.io/bbolt"
)

// registerFormat is the first file format whose ledger holds a complete
// department index: files of earlier formats get their records listed at
// Open (indexOldRecords), and an older program, which would issue without
// entries, refuses the file.
const registerFormat = 4

// CredentialsByDepartment returns one page of a department's register from
// the contract's department index, read as mspID. The index is written in
// the issuing transaction, so the answer is as current as the ledger.
func (l *Ledger) CredentialsByDepartment(ctx context.Context, mspID string, q credential.RegisterQuery) (credential.RegisterPage, error) {
	var page credential.RegisterPage
	if err := ctx.Err(); err != nil {
		return page, err
	}
	err := l.view(mspID, func(tx chaincode.Tx, _ *bolt.Tx) (err error) {
		page, err = chaincode.GetCredentialsByDepartment(tx, q)
		return err
	})
	return page, err
}
