package fabricledger

import (
	"context"
	"encoding/json"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
)

// PutService adds or replaces a service catalogue item as mspID, on
// mspID's peers, and returns it as the contract stored it.
func (l *Ledger) PutService(ctx context.Context, mspID string, s credential.Service) (credential.Service, error) {
	var out credential.Service
	d, err := l.dept(mspID)
	if err != nil {
		return out, err
	}
	b, err := json.Marshal(s)
	if err != nil {
		return out, credential.Wrapf(err, credential.ReasonInvalidRequest, "the arguments of %s cannot be encoded", chaincode.FnPutService)
	}
	res, err := l.submit(ctx, d, submitCall{fn: chaincode.FnPutService, args: []string{string(b)}})
	if err != nil {
		return out, err
	}
	return out, decode(res.result, &out, "service")
}

// Services reads the service catalogue, public state, from the governance
// department's peers first, like the registry it refers to.
func (l *Ledger) Services(ctx context.Context) ([]credential.Service, error) {
	raw, err := l.evaluate(ctx, l.publicPeers(l.gov), false, chaincode.FnGetServices)
	if err != nil {
		return nil, err
	}
	var out []credential.Service
	return out, decode(raw, &out, "service catalogue")
}
