package fabricledger

import (
	"context"
	"encoding/json"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// CredentialsByHolder reads one page of the contract's holder index. The
// index and the records are public state, on every peer of the channel, so
// any department's peer answers, the governance department's first; a
// gateway started after the credentials were issued finds them all.
func (l *Ledger) CredentialsByHolder(ctx context.Context, q credential.HolderQuery) (credential.HolderPage, error) {
	var page credential.HolderPage
	b, err := json.Marshal(q)
	if err != nil {
		return page, credential.Wrapf(err, credential.ReasonInvalidRequest, "the holder query cannot be encoded")
	}
	if len(b) > chaincode.MaxRequestSize {
		return page, credential.Errorf(credential.ReasonInvalidRequest, "the holder query is larger than %d bytes", chaincode.MaxRequestSize)
	}
	raw, err := l.evaluate(ctx, l.publicPeers(l.gov), false, chaincode.FnGetCredentialsByHolder, string(b))
	if err != nil {
		return page, err
	}
	// A page holds up to 100 records: decoded in one pass, with
	// encoding/json's semantics (as the contract decodes them).
	if err := jsonv1.Unmarshal(raw, &page); err != nil {
		return page, credential.Wrapf(err, credential.ReasonLedgerFailure, "the ledger answered an undecodable holder page")
	}
	return page, nil
}

// ActsAs reports whether the connection profile holds the identity of the
// department with this MSP ID, the only departments this ledger can read
// private documents as (credential.IdentityScope).
func (l *Ledger) ActsAs(mspID string) bool {
	_, ok := l.byMSP[mspID]
	return ok
}

var _ credential.IdentityScope = (*Ledger)(nil)

// IndexHolders runs one IndexHolders transaction as mspID (the governance
// department): it lists in the holder index up to chaincode.IndexBatch of
// the records issued before the contract kept one, after identifier after.
// A call that finds nothing to list is not ordered. Call it again with
// Next until Next is empty (certledger network index-holders does).
func (l *Ledger) IndexHolders(ctx context.Context, mspID, after string) (chaincode.IndexProgress, error) {
	var p chaincode.IndexProgress
	d, err := l.dept(mspID)
	if err != nil {
		return p, err
	}
	out, err := l.submit(ctx, d, submitCall{fn: chaincode.FnIndexHolders, args: []string{after},
		readOnly: func(result []byte) bool {
			var p chaincode.IndexProgress
			return json.Unmarshal(result, &p) == nil && p.Indexed == 0
		}})
	if err != nil {
		return p, err
	}
	return p, decode(out.result, &p, "index progress")
}
