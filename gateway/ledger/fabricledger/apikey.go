package fabricledger

import (
	"context"
	"encoding/json"
	"sync/atomic"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
)

// CreateAPIKey records a department API key as mspID, on mspID's peers.
func (l *Ledger) CreateAPIKey(ctx context.Context, mspID string, k credential.NewAPIKey) (credential.APIKey, error) {
	return l.apiKeyWrite(ctx, mspID, chaincode.FnCreateAPIKey, k)
}

// RevokeAPIKey revokes a department API key as mspID, on mspID's peers.
func (l *Ledger) RevokeAPIKey(ctx context.Context, mspID string, r credential.APIKeyRevocation) (credential.APIKey, error) {
	return l.apiKeyWrite(ctx, mspID, chaincode.FnRevokeAPIKey, r)
}

func (l *Ledger) apiKeyWrite(ctx context.Context, mspID, fn string, arg any) (credential.APIKey, error) {
	var k credential.APIKey
	d, err := l.dept(mspID)
	if err != nil {
		return k, err
	}
	b, err := json.Marshal(arg)
	if err != nil {
		return k, credential.Wrapf(err, credential.ReasonInvalidRequest, "the arguments of %s cannot be encoded", fn)
	}
	out, err := l.submit(ctx, d, submitCall{fn: fn, args: []string{string(b)}})
	if err != nil {
		return k, err
	}
	return k, decode(out.result, &k, "API key")
}

// APIKeys lists department dept's API keys (every department's for an
// empty dept), read from the governance department's peers first, like the
// registry.
func (l *Ledger) APIKeys(ctx context.Context, dept string) ([]credential.APIKey, error) {
	raw, err := l.evaluate(ctx, l.publicPeers(l.gov), false, chaincode.FnGetAPIKeys, dept)
	if err != nil {
		return nil, err
	}
	var out []credential.APIKey
	return out, decode(raw, &out, "API key list")
}

// apiKeyHook holds the function NotifyAPIKeyChanges registered, if any.
type apiKeyHook struct {
	fn atomic.Pointer[func(credential.APIKey)]
}

func (h *apiKeyHook) call(k credential.APIKey) {
	if h == nil {
		return
	}
	if fn := h.fn.Load(); fn != nil {
		(*fn)(k)
	}
}

// NotifyAPIKeyChanges makes the event listener call fn with every API key
// a chaincode event reports created or revoked, by any client
// (credential.APIKeyNotifier). Like NotifyChanges, it reports nothing while
// the record cache is off or its stream is down; gateways still re-read the
// key list every few seconds.
func (l *Ledger) NotifyAPIKeyChanges(fn func(credential.APIKey)) {
	l.apiKeys.fn.Store(&fn)
}
