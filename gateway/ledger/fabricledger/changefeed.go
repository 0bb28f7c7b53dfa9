package fabricledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
	"github.com/hyperledger/fabric-gateway/pkg/client"
)

// The change feed is the channel's chaincode events read from a stored
// position: a credential.FeedPosition is exactly fabric-gateway's
// checkpoint (the block of the next event, the last transaction taken in
// it), so a consumer that persists it resumes where it stopped.

var _ credential.ChangeFeed = (*Ledger)(nil)

// feedCheckpoint presents a position as the client's Checkpoint.
type feedCheckpoint credential.FeedPosition

func (c feedCheckpoint) BlockNumber() uint64   { return c.Block }
func (c feedCheckpoint) TransactionID() string { return c.TxID }

// feedSources lists every peer, governance's first, as the record cache does.
func (l *Ledger) feedSources() []eventSource {
	cc := l.profile.Chaincode
	if cc == "" {
		cc = chaincode.Name
	}
	var srcs []eventSource
	add := func(d *dept) {
		for _, p := range d.peers {
			srcs = append(srcs, &peerSource{p: p, network: p.gw.GetNetwork(l.profile.Channel), channel: l.profile.Channel, chaincode: cc})
		}
	}
	add(l.gov)
	for _, d := range l.depts {
		if d != l.gov {
			add(d)
		}
	}
	return srcs
}

// FeedTip is the channel's height on the first peer that answers: the
// block the next transaction lands in.
func (l *Ledger) FeedTip(ctx context.Context) (credential.FeedPosition, error) {
	var errs []error
	for _, src := range l.feedSources() {
		hctx, cancel := context.WithTimeout(ctx, l.opts.EvaluateTimeout)
		h, err := src.height(hctx)
		cancel()
		if err == nil {
			return credential.FeedPosition{Block: h}, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", src.name(), err))
	}
	return credential.FeedPosition{}, credential.Errorf(credential.ReasonLedgerUnavailable, "no peer told its height: %v", errors.Join(errs...))
}

// consumerError marks the consumer's own failure, which ends the feed.
type consumerError struct{ err error }

func (e consumerError) Error() string { return e.err.Error() }

// FollowChanges streams the chaincode events from pos on, moving to the
// next peer with a growing pause when a stream breaks.
func (l *Ledger) FollowChanges(ctx context.Context, pos credential.FeedPosition, fn func(credential.FeedTx) error) error {
	srcs := l.feedSources()
	if len(srcs) == 0 {
		return errors.New("fabricledger: no peers to read events from")
	}
	pause := 250 * time.Millisecond
	for i := 0; ; i++ {
		src := srcs[i%len(srcs)]
		took, err := followOn(ctx, src, &pos, fn, l.opts.EvaluateTimeout)
		if ce, ok := errors.AsType[consumerError](err); ok {
			return ce.err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if took {
			pause = 250 * time.Millisecond
		}
		l.log.Warn("fabric: change feed stream ended; trying the next peer", slog.String("peer", src.name()),
			slog.Uint64("block", pos.Block), slog.String("error", describe(err)))
		if sleep(ctx, pause) != nil {
			return ctx.Err()
		}
		pause = min(2*pause, maxRetry)
	}
}

// followOn runs one stream until it ends; took reports whether any event
// was handed over. An anchoring whose leaves src does not give ends the
// stream before its position, so the next peer delivers it again.
func followOn(ctx context.Context, src eventSource, pos *credential.FeedPosition, fn func(credential.FeedTx) error, timeout time.Duration) (took bool, err error) {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch, err := src.events(sctx, pos.Block, feedCheckpoint(*pos))
	if err != nil {
		return false, err
	}
	defer func() {
		cancel()
		for range ch {
		}
	}()
	for ev := range ch {
		recs, err := eventRecords(ctx, src, ev, timeout)
		if err != nil {
			return took, err
		}
		next := credential.FeedPosition{Block: ev.BlockNumber, TxID: ev.TransactionID}
		if len(recs) > 0 {
			if err := fn(credential.FeedTx{Position: next, Records: recs}); err != nil {
				return took, consumerError{err}
			}
			took = true
		}
		*pos = next
	}
	return took, errStreamEnded
}

// eventRecords are the records an event reports, none for events that are
// no record change; an anchoring's are read on src.
func eventRecords(ctx context.Context, src eventSource, ev *client.ChaincodeEvent, timeout time.Duration) ([]credential.Record, error) {
	if ev.EventName == chaincode.EventAnchorName {
		a, ok := decodeAnchorEvent(ev.Payload)
		if !ok {
			return nil, nil
		}
		return anchorRecords(ctx, src, a, ev.BlockNumber, timeout)
	}
	return changeRecords(ev), nil
}

// changeRecords are the records a change event reports, none for other
// events.
func changeRecords(ev *client.ChaincodeEvent) []credential.Record {
	var changes []chaincode.ChangeEvent
	switch ev.EventName {
	case chaincode.EventName:
		var ce chaincode.ChangeEvent
		if json.Unmarshal(ev.Payload, &ce) != nil {
			return nil
		}
		changes = append(changes, ce)
	case chaincode.EventBatchName:
		if json.Unmarshal(ev.Payload, &changes) != nil {
			return nil
		}
	default:
		return nil
	}
	recs := make([]credential.Record, 0, len(changes))
	for _, ce := range changes {
		if ce.Record != nil && ce.Record.ID == ce.ID {
			rec := *ce.Record
			if ce.Change.Action == credential.ActionIssue {
				rec.BlockNumber = ev.BlockNumber
			}
			recs = append(recs, rec)
			continue
		}
		// An older contract's event carries the change only.
		recs = append(recs, credential.Record{ID: ce.ID, Status: ce.Change.Status, LastChange: ce.Change})
	}
	return recs
}
