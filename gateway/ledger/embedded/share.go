package embedded

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
	bolt "go.etcd.io/bbolt"
)

// PrivateRangeN is StateRangeN over one private data collection: the
// values come back opened, the read set keeps them sealed, as stored.
func (t *simTx) PrivateRangeN(collection, start, end string, n int) ([]chaincode.KV, error) {
	var out, stored []chaincode.KV
	if n <= 0 {
		return out, nil
	}
	pstart, pend := privateKey(collection, start), privateKey(collection, end)
	var err error
	scanBucket(t.btx, bucketPrivate, pstart, pend, func(k, v []byte) bool {
		plain, perr := plainValue(t.sealer, bucketPrivate, k, v)
		if perr != nil {
			err = perr
			return false
		}
		key := strings.TrimPrefix(string(k), collection+"/")
		out = append(out, chaincode.KV{Key: key, Value: bytes.Clone(plain)})
		stored = append(stored, chaincode.KV{Key: string(k), Value: bytes.Clone(v)})
		return len(out) < n
	})
	if err != nil {
		return nil, err
	}
	readEnd := pend
	if len(stored) == n {
		readEnd = stored[n-1].Key + "\x00"
	}
	t.ranges = append(t.ranges, rangeRead{bucket: bucketPrivate, start: pstart, end: readEnd, kvs: stored})
	return out, nil
}

var _ chaincode.PrivateRanger = (*simTx)(nil)

// shareWrite submits a share write as mspID, its request as transient
// data, JSON-encoded as the Fabric backend sends it.
func (l *Ledger) shareWrite(ctx context.Context, mspID, fn string, req any, run func(chaincode.Tx) (credential.ShareReceipt, error)) (credential.ShareReceipt, error) {
	raw, err := json.Marshal(req)
	if err != nil {
		return credential.ShareReceipt{}, credential.Wrapf(err, credential.ReasonInvalidRequest, "the share request cannot be encoded")
	}
	r, err := l.submit(ctx, mspID, fn, map[string][]byte{chaincode.TransientShare: raw}, func(tx chaincode.Tx) (any, error) {
		return run(tx)
	})
	if err != nil {
		return credential.ShareReceipt{}, err
	}
	return r.result.(credential.ShareReceipt), nil
}

// CreateShare records a share as mspID, the credential's issuer.
func (l *Ledger) CreateShare(ctx context.Context, mspID string, s credential.NewShare) (credential.ShareReceipt, error) {
	return l.shareWrite(ctx, mspID, chaincode.FnCreateShare, s, chaincode.CreateShare)
}

// OpenShare records an opening of a share as mspID.
func (l *Ledger) OpenShare(ctx context.Context, mspID string, o credential.ShareOpen) (credential.ShareReceipt, error) {
	return l.shareWrite(ctx, mspID, chaincode.FnOpenShare, o, chaincode.OpenShare)
}

// WithdrawShare withdraws a share as mspID.
func (l *Ledger) WithdrawShare(ctx context.Context, mspID string, w credential.ShareWithdrawal) (credential.ShareReceipt, error) {
	return l.shareWrite(ctx, mspID, chaincode.FnWithdrawShare, w, chaincode.WithdrawShare)
}

// Share reads a share as mspID.
func (l *Ledger) Share(ctx context.Context, mspID, id string) (credential.Share, error) {
	var s credential.Share
	if err := ctx.Err(); err != nil {
		return s, err
	}
	err := l.view(mspID, func(tx chaincode.Tx, _ *bolt.Tx) (err error) {
		s, err = chaincode.GetShare(tx, id)
		return err
	})
	return s, err
}

// SharesByHolder lists a holder's shares in mspID's collection.
func (l *Ledger) SharesByHolder(ctx context.Context, mspID string, q credential.ShareQuery) ([]credential.Share, error) {
	var out []credential.Share
	if err := ctx.Err(); err != nil {
		return out, err
	}
	err := l.view(mspID, func(tx chaincode.Tx, _ *bolt.Tx) (err error) {
		out, err = chaincode.GetSharesByHolder(tx, q)
		return err
	})
	return out, err
}
