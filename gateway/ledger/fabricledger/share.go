package fabricledger

import (
	"context"
	"encoding/json"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
)

// Shares live in the issuing department's private data collection
// (docs/decisions/0013-shares.md): every call runs as that department, on
// its peers, and the writes carry their request only as transient data.

// shareWrite submits fn as mspID with req as the transient "share". A
// receipt that says nothing changed (a second withdrawal) is not ordered.
func (l *Ledger) shareWrite(ctx context.Context, mspID, fn string, req any) (credential.ShareReceipt, error) {
	var rc credential.ShareReceipt
	d, err := l.dept(mspID)
	if err != nil {
		return rc, err
	}
	raw, err := json.Marshal(req)
	if err != nil {
		return rc, credential.Wrapf(err, credential.ReasonInvalidRequest, "the share request cannot be encoded")
	}
	out, err := l.submit(ctx, d, submitCall{fn: fn, transient: map[string][]byte{chaincode.TransientShare: raw},
		readOnly: func(result []byte) bool {
			var r credential.ShareReceipt
			return json.Unmarshal(result, &r) == nil && r.Unchanged
		}})
	if err != nil {
		return rc, err
	}
	return rc, decode(out.result, &rc, "share receipt")
}

// CreateShare records a share as mspID, the credential's issuer.
func (l *Ledger) CreateShare(ctx context.Context, mspID string, s credential.NewShare) (credential.ShareReceipt, error) {
	return l.shareWrite(ctx, mspID, chaincode.FnCreateShare, s)
}

// OpenShare records an opening of a share as mspID.
func (l *Ledger) OpenShare(ctx context.Context, mspID string, o credential.ShareOpen) (credential.ShareReceipt, error) {
	return l.shareWrite(ctx, mspID, chaincode.FnOpenShare, o)
}

// WithdrawShare withdraws a share as mspID.
func (l *Ledger) WithdrawShare(ctx context.Context, mspID string, w credential.ShareWithdrawal) (credential.ShareReceipt, error) {
	return l.shareWrite(ctx, mspID, chaincode.FnWithdrawShare, w)
}

// Share reads a share from mspID's collection, on mspID's peers.
func (l *Ledger) Share(ctx context.Context, mspID, id string) (credential.Share, error) {
	var s credential.Share
	d, err := l.dept(mspID)
	if err != nil {
		return s, err
	}
	raw, err := l.evaluate(ctx, l.deptPeers(d), false, chaincode.FnGetShare, id)
	if err != nil {
		return s, err
	}
	return s, decode(raw, &s, "share")
}

// SharesByHolder lists a holder's shares in mspID's collection.
func (l *Ledger) SharesByHolder(ctx context.Context, mspID string, q credential.ShareQuery) ([]credential.Share, error) {
	var out []credential.Share
	d, err := l.dept(mspID)
	if err != nil {
		return out, err
	}
	b, err := json.Marshal(q)
	if err != nil {
		return out, credential.Wrapf(err, credential.ReasonInvalidRequest, "the share query cannot be encoded")
	}
	raw, err := l.evaluate(ctx, l.deptPeers(d), false, chaincode.FnGetSharesByHolder, string(b))
	if err != nil {
		return out, err
	}
	return out, decode(raw, &out, "shares")
}
