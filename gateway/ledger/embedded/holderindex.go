package embedded

import (
	"bytes"
	"context"
	"fmt"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
	bolt "go.etcd.io/bbolt"
)

// CredentialsByHolder returns one page of the credentials the contract's
// holder index lists under the query's references.
func (l *Ledger) CredentialsByHolder(ctx context.Context, q credential.HolderQuery) (credential.HolderPage, error) {
	var page credential.HolderPage
	if err := ctx.Err(); err != nil {
		return page, err
	}
	err := l.view("", func(tx chaincode.Tx, _ *bolt.Tx) (err error) {
		page, err = chaincode.GetCredentialsByHolder(tx, q)
		return err
	})
	return page, err
}

// StateRangeN is StateRange stopped after n keys. The read set covers what
// was read, [start, last key], so only a change there invalidates it.
func (t *simTx) StateRangeN(start, end string, n int) ([]chaincode.KV, error) {
	var out []chaincode.KV
	if n <= 0 {
		return out, nil
	}
	scan(t.btx, start, end, func(k, v []byte) bool {
		out = append(out, chaincode.KV{Key: string(k), Value: bytes.Clone(v)})
		return len(out) < n
	})
	readEnd := end
	if len(out) == n {
		// Keys hold no NUL, so last+NUL is the smallest key after last.
		readEnd = out[n-1].Key + "\x00"
	}
	t.ranges = append(t.ranges, rangeRead{start: start, end: readEnd, kvs: out})
	return out, nil
}

var _ chaincode.BoundedRanger = (*simTx)(nil)

// indexOldRecords lists in the holder index and the department index the
// records of a file written before the contract kept them, in IndexHolders transactions made as the
// governance department (logged and hash-chained like any other), and then
// records the format that says the index is complete. Interrupted, it starts
// again at the next Open; entries already written are kept.
func (l *Ledger) indexOldRecords(path string) error {
	var gov string
	var hasRecords bool
	if err := l.view("", func(tx chaincode.Tx, btx *bolt.Tx) error {
		reg, err := chaincode.GetRegistry(tx)
		if err != nil {
			return err
		}
		for _, d := range reg.Departments {
			if d.HasRole(credential.RoleGovernance) {
				gov = d.MSPID
				break
			}
		}
		p := chaincode.RecordKey("")
		k, _ := btx.Bucket(bucketState).Cursor().Seek([]byte(p))
		hasRecords = k != nil && bytes.HasPrefix(k, []byte(p))
		return nil
	}); err != nil {
		return fmt.Errorf("embedded: build the holder index of %s: %w", path, err)
	}
	if hasRecords {
		if gov == "" {
			return fmt.Errorf("embedded: build the holder index of %s: the registry has no governance department to run it as", path)
		}
		after, n := "", 0
		for {
			r, err := l.submit(context.Background(), gov, chaincode.FnIndexHolders, nil, func(tx chaincode.Tx) (any, error) {
				return chaincode.IndexHolders(tx, after)
			})
			if err != nil {
				return fmt.Errorf("embedded: build the holder index of %s after %d records: %w", path, n, err)
			}
			p := r.result.(chaincode.IndexProgress)
			n += p.Scanned
			if p.Next == "" {
				break
			}
			after = p.Next
		}
	}
	if err := l.db.Update(func(btx *bolt.Tx) error { return recordFormat(btx, registerFormat, l.private.KEKID()) }); err != nil {
		return fmt.Errorf("embedded: record the format of %s: %w", path, err)
	}
	return nil
}
