package fabricledger

import (
	"context"
	"encoding/json"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// CredentialsByDepartment reads one page of a department's register from
// the contract's department index, on the department's own peers and as
// its own identity, which the contract requires. The index is public state
// written in each issuing transaction, so any peer that has committed the
// blocks answers in full: a gateway started fresh has nothing to catch up.
func (l *Ledger) CredentialsByDepartment(ctx context.Context, mspID string, q credential.RegisterQuery) (credential.RegisterPage, error) {
	var page credential.RegisterPage
	d, err := l.dept(mspID)
	if err != nil {
		return page, err
	}
	b, err := json.Marshal(q)
	if err != nil {
		return page, credential.Wrapf(err, credential.ReasonInvalidRequest, "the register query cannot be encoded")
	}
	raw, err := l.evaluate(ctx, l.deptPeers(d), false, chaincode.FnGetCredentialsByDepartment, string(b))
	if err != nil {
		return page, err
	}
	// Up to 500 records a page: decoded in one pass, as the holder's list.
	if err := jsonv1.Unmarshal(raw, &page); err != nil {
		return page, credential.Wrapf(err, credential.ReasonLedgerFailure, "the ledger answered an undecodable register page")
	}
	return page, nil
}
