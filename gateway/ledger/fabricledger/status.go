package fabricledger

import (
	"context"
	"strconv"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
)

// StatusSequence returns the status list position the contract allocated
// to a credential at issuance; 0 when it was issued without one. With
// StatusEntries it makes the backend a status ledger for the gateway's
// Bitstring Status Lists (docs/decisions/0004).
func (l *Ledger) StatusSequence(ctx context.Context, id string) (uint64, error) {
	rec, err := l.Record(ctx, id)
	if err != nil {
		return 0, err
	}
	return rec.StatusSequence, nil
}

// StatusEntries returns the credentials of department deptID in status
// list list, in sequence order, read from the contract's status index on
// that department's peers first (they committed its issuances and
// changes, so a list reflects the department's own latest writes).
func (l *Ledger) StatusEntries(ctx context.Context, deptID string, list uint64) ([]credential.StatusEntry, error) {
	raw, err := l.evaluate(ctx, l.deptReadPeers(deptID), false, chaincode.FnGetStatusEntries, deptID, strconv.FormatUint(list, 10))
	if err != nil {
		return nil, err
	}
	var out []credential.StatusEntry
	return out, decode(raw, &out, "status list")
}

// deptReadPeers are the peers a public read about department deptID goes to
// first: its own when this gateway connects to it, else governance's.
func (l *Ledger) deptReadPeers(deptID string) func() []*peer {
	first := l.gov
	for _, d := range l.depts {
		if d.id == deptID {
			first = d
		}
	}
	return l.publicPeers(first)
}
