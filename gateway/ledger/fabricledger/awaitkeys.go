package fabricledger

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
)

// awaitKeysFor bounds the wait of awaitKeys.
const awaitKeysFor = 5 * time.Second

// awaitKeys waits, for at most awaitKeysFor, until every peer of the
// department dep names reads dep's keys with the statuses written. The
// write was confirmed by a peer of the department that submitted it
// (governance); the department's own peers endorse its next transactions
// and may commit the block a moment later, when they would refuse a key
// just added or accept one just compromised.
func (l *Ledger) awaitKeys(ctx context.Context, dep credential.Department) {
	d, ok := l.byMSP[dep.MSPID]
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, awaitKeysFor)
	defer cancel()
	for _, p := range d.peers {
		for !peerHasKeys(ctx, p, dep) {
			if err := sleep(ctx, 50*time.Millisecond); err != nil {
				l.log.Warn("fabric: a department's peer does not read its keys as written yet",
					slog.String("dept", dep.ID), slog.String("peer", p.name))
				return
			}
		}
	}
}

// peerHasKeys reports whether peer p reads every key of dep with its
// written status.
func peerHasKeys(ctx context.Context, p *peer, dep credential.Department) bool {
	raw, err := p.contract.EvaluateWithContext(ctx, chaincode.FnGetRegistry)
	if err != nil {
		return false
	}
	var reg credential.Registry
	if json.Unmarshal(raw, &reg) != nil {
		return false
	}
	got, ok := reg.Department(dep.ID)
	if !ok {
		return false
	}
	for _, k := range dep.Keys {
		if have, ok := got.Key(k.ID); !ok || have.Status != k.Status {
			return false
		}
	}
	return true
}
