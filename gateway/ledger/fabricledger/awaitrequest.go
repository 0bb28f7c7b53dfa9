package fabricledger

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
	"github.com/hyperledger/fabric-gateway/pkg/client"
)

// awaitRequest waits, for at most awaitKeysFor, until every peer of the
// departments named reads the consent request as written. The write was
// confirmed by one peer of its submitter; the next step of the flow runs
// on another department's peers (a holder's decision is endorsed by
// governance, a proof read by the requester too), which may commit the
// block a moment later and would then answer request_not_found or a
// status the request no longer has.
func (l *Ledger) awaitRequest(ctx context.Context, want credential.ConsentRequest, mspIDs ...string) {
	ctx, cancel := context.WithTimeout(ctx, awaitKeysFor)
	defer cancel()
	for _, msp := range mspIDs {
		d, ok := l.byMSP[msp]
		if !ok {
			continue
		}
		for _, p := range d.peers {
			for !peerHasRequest(ctx, p, want) {
				if err := sleep(ctx, 50*time.Millisecond); err != nil {
					l.log.Warn("fabric: a department's peer does not read a consent request as written yet",
						slog.String("msp", msp), slog.String("peer", p.name), slog.String("request", want.ID))
					return
				}
			}
		}
	}
}

// peerHasRequest reports whether peer p reads the request in the state
// want has: same status, decision and number of reads.
func peerHasRequest(ctx context.Context, p *peer, want credential.ConsentRequest) bool {
	raw, err := p.contract.EvaluateWithContext(ctx, chaincode.FnGetRequest, client.WithArguments(want.ID))
	if err != nil {
		return false
	}
	var got credential.ConsentRequest
	if json.Unmarshal(raw, &got) != nil {
		return false
	}
	return got.Status == want.Status && got.DecidedAt.Equal(want.DecidedAt) &&
		got.WithdrawnAt.Equal(want.WithdrawnAt) && got.Reads == want.Reads
}
