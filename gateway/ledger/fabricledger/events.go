package fabricledger

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	"google.golang.org/protobuf/encoding/protowire"
)

// The record cache is never staler than this event stream: copies are ordered
// by Revision, misses are read on the stream's own peer, and the cache is
// bypassed while the stream is down (docs/decisions/0006 gives the rules).

// eventSource is one peer as the listener uses it; tests fake it.
type eventSource interface {
	name() string
	// events streams the chaincode's events from the checkpoint, or from
	// block start when the checkpoint is unset. The channel closes when
	// the stream ends or ctx is done; the caller drains it.
	events(ctx context.Context, start uint64, cp client.Checkpoint) (<-chan *client.ChaincodeEvent, error)
	// height is the peer's ledger height.
	height(ctx context.Context) (uint64, error)
	// record reads a public record on the peer.
	record(ctx context.Context, id string) ([]byte, error)
	// anchorLeaves reads, on the peer, the leaves of the chunk of an
	// anchored batch that holds credential id (anchorfeed.go).
	anchorLeaves(ctx context.Context, id string) ([]byte, error)
}

// peerSource is an eventSource on one of the profile's peers.
type peerSource struct {
	p         *peer
	network   *client.Network
	channel   string
	chaincode string
}

func (s *peerSource) name() string { return s.p.name }

func (s *peerSource) events(ctx context.Context, start uint64, cp client.Checkpoint) (<-chan *client.ChaincodeEvent, error) {
	return s.network.ChaincodeEvents(ctx, s.chaincode, client.WithStartBlock(start), client.WithCheckpoint(cp))
}

func (s *peerSource) height(ctx context.Context) (uint64, error) {
	raw, err := s.p.qscc.EvaluateWithContext(ctx, "GetChainInfo", client.WithArguments(s.channel))
	if err != nil {
		return 0, err
	}
	// common.BlockchainInfo: height is field 1 (varint).
	v, err := field(raw, 1, protowire.VarintType)
	if err != nil || v == nil {
		return 0, errors.New("undecodable chain info")
	}
	n, _ := protowire.ConsumeVarint(v)
	return n, nil
}

func (s *peerSource) record(ctx context.Context, id string) ([]byte, error) {
	return s.p.contract.EvaluateWithContext(ctx, chaincode.FnGetRecord, client.WithArguments(id))
}

// listener keeps one chaincode event stream open and feeds the record
// cache from it.
type listener struct {
	cache   *recordCache
	hook    *changeHook // reported every change; may be nil
	apiKeys *apiKeyHook // reported every API key created or revoked; may be nil
	blocks  *blockCache
	log     *slog.Logger
	sources []eventSource // in order of preference
	probe   time.Duration // how often the stream's peer is asked its height
	retry   time.Duration // first pause before reconnecting; doubles to maxRetry
	timeout time.Duration // bounds one height query
	catchUp time.Duration // how long a peer may take to reach the blocks already processed

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

const (
	// eventProbe is how often the stream's peer is asked its height: a
	// peer that stops answering is left even if its stream did not break.
	eventProbe = 2 * time.Second
	// eventCatchUp is how long a new stream's peer may lag behind the
	// blocks already processed before another peer is tried.
	eventCatchUp = 20 * time.Second
	maxRetry     = 5 * time.Second
)

func (ln *listener) start() {
	ctx, cancel := context.WithCancel(context.Background())
	ln.cancel = cancel
	ln.wg.Add(1)
	go func() {
		defer ln.wg.Done()
		ln.run(ctx)
	}()
}

// stop ends the stream and waits for the listener to finish.
func (ln *listener) stop() {
	ln.cancel()
	ln.wg.Wait()
	ln.cache.down()
}

// run subscribes to the first source, and to the next when a stream
// cannot be opened or breaks, with a growing pause. A checkpoint carries
// the position over, so a new stream resumes after the last event
// processed. After a live stream broke, the preferred source is tried
// first again.
func (ln *listener) run(ctx context.Context) {
	cp := new(client.InMemoryCheckpointer)
	var next uint64 // the first block not processed yet; 0 before any stream
	pause := ln.retry
	i := 0
	for {
		src := ln.sources[i%len(ln.sources)]
		wasLive, err := ln.stream(ctx, src, cp, &next)
		ln.cache.down()
		if ctx.Err() != nil {
			return
		}
		ln.log.Warn("fabric: chaincode event stream ended; record cache bypassed until it is back",
			slog.String("peer", src.name()), slog.Bool("wasLive", wasLive), slog.String("error", describe(err)))
		if wasLive {
			pause = ln.retry
			if i%len(ln.sources) == 0 {
				i = 1
			} else {
				i = 0
			}
		} else {
			i++
		}
		if sleep(ctx, pause) != nil {
			return
		}
		if !wasLive {
			pause = min(2*pause, maxRetry)
		}
	}
}

var (
	errStreamEnded = errors.New("the event stream ended")
	errLagging     = errors.New("the peer did not catch up with the blocks already processed")
)

// stream runs one subscription on src until it ends, reporting whether it
// went live. It goes live once src has committed every block already
// processed (a lagging peer could otherwise answer a fill with a record
// older than a change whose event went by), and it ends when src does not
// answer a height query: a silent peer may have stopped delivering.
func (ln *listener) stream(ctx context.Context, src eventSource, cp *client.InMemoryCheckpointer, next *uint64) (bool, error) {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if *next == 0 {
		h, err := ln.height(sctx, src)
		if err != nil {
			return false, err
		}
		*next = h
	}
	ch, err := src.events(sctx, *next, cp)
	if err != nil {
		return false, err
	}
	defer func() {
		cancel()
		for range ch { // the client's goroutine ends once it has handed over what it holds
		}
	}()
	live := false
	lagUntil := time.Now().Add(ln.catchUp)
	probe := time.NewTimer(0)
	defer probe.Stop()
	for {
		select {
		case <-sctx.Done():
			return live, sctx.Err()
		case ev, ok := <-ch:
			if !ok {
				return live, errStreamEnded
			}
			ln.apply(ev)
			cp.CheckpointChaincodeEvent(ev)
			*next = max(*next, ev.BlockNumber+1)
		case <-probe.C:
			h, err := ln.height(sctx, src)
			if err != nil {
				return live, err
			}
			if !live && h >= *next {
				ln.cache.goLive(src, h)
				live = true
				ln.log.Info("fabric: record cache live", slog.String("peer", src.name()), slog.Uint64("height", h))
			}
			if !live && time.Now().After(lagUntil) {
				return false, errLagging
			}
			if live {
				probe.Reset(ln.probe)
			} else {
				probe.Reset(ln.probe / 10)
			}
		}
	}
}

func (ln *listener) height(ctx context.Context, src eventSource) (uint64, error) {
	hctx, cancel := context.WithTimeout(ctx, ln.timeout)
	defer cancel()
	return src.height(hctx)
}

// apply offers the records of one event to the cache.
func (ln *listener) apply(ev *client.ChaincodeEvent) {
	var changes []chaincode.ChangeEvent
	switch ev.EventName {
	case chaincode.EventName:
		var ce chaincode.ChangeEvent
		if err := json.Unmarshal(ev.Payload, &ce); err != nil {
			ln.undecodable(ev, err)
			return
		}
		changes = append(changes, ce)
	case chaincode.EventBatchName:
		if err := json.Unmarshal(ev.Payload, &changes); err != nil {
			ln.undecodable(ev, err)
			return
		}
	case chaincode.EventAPIKeyName:
		var k credential.APIKey
		if err := json.Unmarshal(ev.Payload, &k); err != nil {
			// No record changed: the gateway's next read of the key list
			// brings what this event said.
			ln.log.Error("fabric: undecodable API key event", slog.String("tx", ev.TransactionID), slog.String("error", err.Error()))
			return
		}
		ln.apiKeys.call(k)
		return
	case chaincode.EventAnchorName:
		// Its credentials are new, so no copy is held: misses fill them, and
		// their changes come as change events. Issuances change no status
		// list, so NotifyChanges is not told; the block dates their records.
		ln.blocks.put(ev.TransactionID, ev.BlockNumber)
		return
	default:
		return
	}
	for _, ce := range changes {
		if ce.Superseded != nil {
			// The version a renewal or change superseded, in the same
			// transaction: it is offered as a change of its own.
			rec := *ce.Superseded
			if n, ok := ln.blocks.get(rec.IssueTxID); ok {
				rec.BlockNumber = n
			} else {
				rec.BlockNumber = 0
			}
			ln.cache.offer(rec, ev.BlockNumber)
			ln.hook.call(rec)
		}
		if ce.Record == nil || ce.Record.ID != ce.ID {
			ln.cache.forget(ce.ID) // an older contract's event: read it afresh when asked
			continue
		}
		rec := *ce.Record
		if ce.Change.Action.Issues() {
			rec.BlockNumber = ev.BlockNumber
			ln.blocks.put(rec.IssueTxID, ev.BlockNumber)
		} else if n, ok := ln.blocks.get(rec.IssueTxID); ok {
			rec.BlockNumber = n
		} else {
			rec.BlockNumber = 0 // kept from the held copy, or looked up by Record
		}
		ln.cache.offer(rec, ev.BlockNumber)
		ln.hook.call(rec)
	}
}

// undecodable empties the cache: some record changed, which one is unknown.
func (ln *listener) undecodable(ev *client.ChaincodeEvent, err error) {
	ln.log.Error("fabric: undecodable chaincode event; record cache emptied", slog.String("tx", ev.TransactionID),
		slog.String("event", ev.EventName), slog.String("error", err.Error()))
	ln.cache.reset()
}

// startListener subscribes the record cache to the channel's events,
// through the governance department's peers first.
func (l *Ledger) startListener(channel, cc string) {
	if !l.records.on() {
		return
	}
	var srcs []eventSource
	add := func(d *dept) {
		for _, p := range d.peers {
			srcs = append(srcs, &peerSource{p: p, network: p.gw.GetNetwork(channel), channel: channel, chaincode: cc})
		}
	}
	add(l.gov)
	for _, d := range l.depts {
		if d != l.gov {
			add(d)
		}
	}
	l.events = &listener{cache: l.records, hook: &l.hook, apiKeys: &l.apiKeys, blocks: l.blocks, log: l.log, sources: srcs,
		probe: eventProbe, retry: 250 * time.Millisecond, timeout: l.opts.EvaluateTimeout, catchUp: eventCatchUp}
	l.events.start()
}

// cachedRecord answers Record from the cache, or fills the cache from the
// stream's peer; ok is false when the ledger must be read as before (cache
// off or down, that peer did not answer or does not have the record).
func (l *Ledger) cachedRecord(ctx context.Context, id string) (credential.Record, bool, error) {
	rec, tok, hit := l.records.lookup(id)
	if hit {
		if rec.BlockNumber == 0 {
			rec.BlockNumber = l.issueBlock(ctx, id, rec.IssueTxID)
		}
		return rec, true, nil
	}
	if tok.src == nil {
		return rec, false, nil
	}
	ectx, cancel := context.WithTimeout(ctx, l.opts.EvaluateTimeout)
	raw, err := tok.src.record(ectx, id)
	cancel()
	if err != nil {
		// Not found on the stream's peer may only mean it has not committed
		// the issuance yet: the issuer's peers, read as before, have.
		if e, ok := contractError(err); ok && e.Reason != credential.ReasonCredentialNotFound {
			return rec, true, e
		}
		return rec, false, nil
	}
	if err := decode(raw, &rec, "record"); err != nil {
		return rec, true, err
	}
	rec.BlockNumber = l.issueBlock(ctx, id, rec.IssueTxID)
	return l.records.fill(tok, rec), true, nil
}

// issueBlock is blockOf for a record read without a peer list at hand.
func (l *Ledger) issueBlock(ctx context.Context, id, txID string) uint64 {
	if n, ok := l.blocks.get(txID); ok || txID == "" {
		return n
	}
	return l.blockOf(ctx, l.publicPeers(l.issuerOf(ctx, id)), txID)
}
