package fabricledger

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
	"github.com/hyperledger/fabric-gateway/pkg/client"
)

// An anchoring's event carries its credential.Anchor, not its leaves (up to
// MaxAnchorLeaves of them, about 2 MB). The change feed reads the leaves
// with the contract's GetAnchorLeaves on the peer whose stream delivered the
// event, which has therefore committed them, rather than from the block's
// write set: the chaincode event stream carries no write sets, and taking
// full blocks instead would mean receiving every transaction's read-write
// sets and decoding their protobufs here, for leaves that are public, never
// rewritten, and which any peer answers.

// anchorLeaves reads the leaves of the chunk that holds credential id.
func (s *peerSource) anchorLeaves(ctx context.Context, id string) ([]byte, error) {
	return s.p.contract.EvaluateWithContext(ctx, chaincode.FnGetAnchorLeaves, client.WithArguments(id))
}

// decodeAnchorEvent reads an anchoring event's payload; ok is false when it
// is not a batch the feed can expand.
func decodeAnchorEvent(payload []byte) (a credential.Anchor, ok bool) {
	if json.Unmarshal(payload, &a) != nil || a.Count < 1 || a.Count > credential.MaxAnchorLeaves {
		return a, false
	}
	return a, true
}

// anchorRecords expands anchor a, committed in block, into the record of
// each of its credentials as issued, in leaf order, reading its leaves on
// src one chunk at a time (each read bounded by timeout). The records of a
// batch are one transaction's, so they go to the consumer together: a
// position inside a transaction could not be resumed from.
func anchorRecords(ctx context.Context, src eventSource, a credential.Anchor, block uint64, timeout time.Duration) ([]credential.Record, error) {
	recs := make([]credential.Record, 0, a.Count)
	for first := 0; first < a.Count; first += credential.AnchorChunkSize {
		id := a.CredentialID(first)
		rctx, cancel := context.WithTimeout(ctx, timeout)
		raw, err := src.anchorLeaves(rctx, id)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("read the leaves of batch %s from %d on: %w", a.Token, first, err)
		}
		var leaves []credential.AnchorLeaf
		if err := decode(raw, &leaves, "chunk of anchored leaves"); err != nil {
			return nil, err
		}
		if want := min(credential.AnchorChunkSize, a.Count-first); len(leaves) != want {
			return nil, fmt.Errorf("the peer answered %d leaves of batch %s from %d on, not %d", len(leaves), a.Token, first, want)
		}
		for j, leaf := range leaves {
			rec := a.Record(first+j, leaf)
			rec.BlockNumber = block
			recs = append(recs, rec)
		}
	}
	return recs, nil
}
