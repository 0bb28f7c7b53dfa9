package fabricledger

import (
	"context"
	"encoding/json"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
)

// AnchorBatch submits an anchored batch as mspID, the issuing department:
// the request and each chunk of documents travel as transient data, so the
// documents reach only the department's endorsing peers and its collection.
func (l *Ledger) AnchorBatch(ctx context.Context, mspID string, req credential.AnchorRequest) (credential.AnchorResult, error) {
	var res credential.AnchorResult
	d, err := l.dept(mspID)
	if err != nil {
		return res, err
	}
	transient, err := chaincode.AnchorTransient(req)
	if err != nil {
		return res, err
	}
	out, err := l.submit(ctx, d, submitCall{fn: chaincode.FnAnchorBatch, transient: transient,
		readOnly: func(result []byte) bool {
			var r credential.AnchorResult
			return json.Unmarshal(result, &r) == nil && r.Replayed
		}})
	if err != nil {
		return res, err
	}
	return res, decode(out.result, &res, "anchor result")
}

// AnchorStatusNext returns where department deptID's next anchored batch's
// status positions may start, read on its own peers.
func (l *Ledger) AnchorStatusNext(ctx context.Context, deptID string) (uint64, error) {
	raw, err := l.evaluate(ctx, l.deptReadPeers(deptID), false, chaincode.FnGetAnchorStatus, deptID)
	if err != nil {
		return 0, err
	}
	var next uint64
	return next, decode(raw, &next, "anchored status position")
}
