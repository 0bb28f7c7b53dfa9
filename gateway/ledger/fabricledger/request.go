package fabricledger

import (
	"context"
	"encoding/json"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
)

// CreateRequest records a consent request as mspID, on its own peers: the
// keys are new, so the chaincode-level policy applies.
func (l *Ledger) CreateRequest(ctx context.Context, mspID string, n credential.NewConsentRequest) (credential.ConsentRequest, error) {
	return submitRequest(ctx, l, mspID, nil, chaincode.FnCreateRequest, n)
}

// DecideRequest records a holder's decision as mspID (governance), endorsed
// by the requester's peers too, as the request's key-level policy requires.
func (l *Ledger) DecideRequest(ctx context.Context, mspID, requesterMSP string, d credential.RequestDecision) (credential.ConsentRequest, error) {
	return submitRequest(ctx, l, mspID, others(mspID, requesterMSP), chaincode.FnDecideRequest, d)
}

// RecordProofRead counts a fetch of the presentations as mspID (the
// requester), endorsed by governance's peers too.
func (l *Ledger) RecordProofRead(ctx context.Context, mspID, govMSP, id string) (credential.ConsentRequest, error) {
	var out credential.ConsentRequest
	d, err := l.dept(mspID)
	if err != nil {
		return out, err
	}
	co := others(mspID, govMSP)
	res, err := l.submit(ctx, d, submitCall{fn: chaincode.FnRecordProofRead, args: []string{id}, coEndorsers: co})
	if err != nil {
		return out, err
	}
	if err := decode(res.result, &out, "consent request"); err != nil {
		return out, err
	}
	l.awaitRequest(ctx, out, append([]string{mspID}, co...)...)
	return out, nil
}

func others(mspID, other string) []string {
	if other == "" || other == mspID {
		return nil
	}
	return []string{other}
}

func submitRequest(ctx context.Context, l *Ledger, mspID string, co []string, fn string, arg any) (credential.ConsentRequest, error) {
	var out credential.ConsentRequest
	d, err := l.dept(mspID)
	if err != nil {
		return out, err
	}
	b, err := json.Marshal(arg)
	if err != nil {
		return out, credential.Wrapf(err, credential.ReasonInvalidRequest, "the arguments of %s cannot be encoded", fn)
	}
	res, err := l.submit(ctx, d, submitCall{fn: fn, args: []string{string(b)}, coEndorsers: co})
	if err != nil {
		return out, err
	}
	if err := decode(res.result, &out, "consent request"); err != nil {
		return out, err
	}
	l.awaitRequest(ctx, out, append([]string{l.gov.mspID, mspID}, co...)...)
	return out, nil
}

// queryJSON evaluates a query of public state, the governance department's
// peers first, with arg as JSON (nil: none) and decodes the answer.
func queryJSON[T any](ctx context.Context, l *Ledger, fn string, arg any, what string) (T, error) {
	var out T
	var args []string
	switch a := arg.(type) {
	case nil:
	case string:
		args = []string{a}
	default:
		b, err := json.Marshal(a)
		if err != nil {
			return out, credential.Wrapf(err, credential.ReasonInvalidRequest, "the %s query cannot be encoded", what)
		}
		if len(b) > chaincode.MaxRequestSize {
			return out, credential.Errorf(credential.ReasonInvalidRequest, "the %s query is larger than %d bytes", what, chaincode.MaxRequestSize)
		}
		args = []string{string(b)}
	}
	raw, err := l.evaluate(ctx, l.publicPeers(l.gov), false, fn, args...)
	if err != nil {
		return out, err
	}
	return out, decode(raw, &out, what)
}

// Request reads one consent request.
func (l *Ledger) Request(ctx context.Context, id string) (credential.ConsentRequest, error) {
	return queryJSON[credential.ConsentRequest](ctx, l, chaincode.FnGetRequest, id, "consent request")
}

// RequestsByHolder pages through the requests addressed to a holder.
func (l *Ledger) RequestsByHolder(ctx context.Context, q credential.RequestHolderQuery) (credential.RequestPage, error) {
	return queryJSON[credential.RequestPage](ctx, l, chaincode.FnGetRequestsByHolder, q, "request page")
}

// RequestsByDept pages through a department's requests, newest first.
func (l *Ledger) RequestsByDept(ctx context.Context, q credential.RequestDeptQuery) (credential.RequestPage, error) {
	return queryJSON[credential.RequestPage](ctx, l, chaincode.FnGetRequestsByDept, q, "request page")
}

// Receipts pages through the decisions, oldest first.
func (l *Ledger) Receipts(ctx context.Context, q credential.ReceiptQuery) (credential.ReceiptPage, error) {
	return queryJSON[credential.ReceiptPage](ctx, l, chaincode.FnGetReceipts, q, "receipt page")
}
