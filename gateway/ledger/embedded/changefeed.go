package embedded

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
	bolt "go.etcd.io/bbolt"
)

// The change feed reads the hash-chained log from a sequence on: each entry
// that wrote a record key, with the record as that entry left it (the key
// history keeps every version). So a consumer sees changes made by any
// process that opened the file, and resumes from its own checkpoint.

var _ credential.ChangeFeed = (*Ledger)(nil)

// feedPage bounds the entries read in one bbolt read transaction.
const feedPage = 256

// feedPoll is how often the feed looks at the log when no commit of this
// process woke it: a wake-up lost to a full subscription costs at most this.
const feedPoll = time.Second

// FeedTip returns the position after the last committed entry.
func (l *Ledger) FeedTip(context.Context) (credential.FeedPosition, error) {
	var seq uint64
	err := l.db.View(func(btx *bolt.Tx) error {
		if k, _ := btx.Bucket(bucketLog).Cursor().Last(); k != nil {
			seq = seqFromKey(k)
		}
		return nil
	})
	return credential.FeedPosition{Block: seq + 1}, err
}

// FollowChanges implements credential.ChangeFeed on the log: a position's
// Block is a log sequence, and a TxID set means that entry was taken.
func (l *Ledger) FollowChanges(ctx context.Context, pos credential.FeedPosition, fn func(credential.FeedTx) error) error {
	next := max(pos.Block, 1)
	if pos.TxID != "" {
		next = pos.Block + 1
	}
	wake, unsubscribe := l.Subscribe(64)
	defer func() { unsubscribe() }()
	poll := time.NewTicker(feedPoll)
	defer poll.Stop()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		txs, after, err := l.ChangesAfter(next, feedPage)
		if err != nil {
			return err
		}
		for _, tx := range txs {
			if err := fn(tx); err != nil {
				return err
			}
		}
		moved := after > next
		next = after
		if moved {
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case _, ok := <-wake:
			if !ok {
				// Fell behind, or the ledger closed: resubscribe, and
				// the log says what was missed.
				unsubscribe()
				if l.isClosed() {
					return ErrClosed
				}
				wake, unsubscribe = l.Subscribe(64)
			}
		case <-poll.C:
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

func (l *Ledger) isClosed() bool {
	l.closeMu.RLock()
	defer l.closeMu.RUnlock()
	return l.closed
}

// feedRecords bounds the records one read gathers: an anchoring expands
// into up to MaxAnchorLeaves records, so a page of anchorings ends early
// rather than hold hundreds of batches in memory at once.
const feedRecords = credential.MaxAnchorLeaves

// ChangesAfter reads up to limit log entries from sequence from on and
// returns the ones that changed credential records, and the sequence to
// read next. An anchoring is one transaction whose records are every
// credential of its batch as issued, in leaf order.
func (l *Ledger) ChangesAfter(from uint64, limit int) ([]credential.FeedTx, uint64, error) {
	prefix := chaincode.RecordKey("")
	next := max(from, 1)
	var out []credential.FeedTx
	err := l.db.View(func(btx *bolt.Tx) error {
		c, hist := btx.Bucket(bucketLog).Cursor(), btx.Bucket(bucketHistory)
		n, gathered := 0, 0
		for k, v := c.Seek(seqKey(next)); k != nil && n < limit && gathered < feedRecords; k, v = c.Next() {
			n++
			e, err := decodeEntry(k, v)
			if err != nil {
				return &ChainError{Seq: seqFromKey(k), Reason: "entry cannot be decoded: " + err.Error()}
			}
			next = e.Seq + 1
			var recs []credential.Record
			for _, w := range e.Writes {
				if w.Namespace != NSState || w.Delete {
					continue
				}
				isRecord := strings.HasPrefix(w.Key, prefix)
				if !isRecord && !chaincode.IsAnchorKey(w.Key) {
					continue
				}
				hv := hist.Get(historyKey(w.Key, e.Seq))
				if hv == nil {
					return fmt.Errorf("embedded: no history of %s at %d", w.Key, e.Seq)
				}
				km, err := decodeHistory(hv)
				if err != nil {
					return err
				}
				if !isRecord {
					anchored, err := l.anchoredRecords(btx, km.Value, e.Seq)
					if err != nil {
						return fmt.Errorf("embedded: anchoring %s at %d: %w", w.Key, e.Seq, err)
					}
					recs = append(recs, anchored...)
					continue
				}
				var rec credential.Record
				if err := json.Unmarshal(km.Value, &rec); err != nil {
					return fmt.Errorf("embedded: record %s at %d: %w", w.Key, e.Seq, err)
				}
				rec.BlockNumber = blockOf(btx, rec.ID)
				recs = append(recs, rec)
			}
			if len(recs) > 0 {
				gathered += len(recs)
				out = append(out, credential.FeedTx{Position: credential.FeedPosition{Block: e.Seq, TxID: e.TxID}, Records: recs})
			}
		}
		return nil
	})
	return out, next, err
}

// anchoredRecords are the records, as issued, of the batch an anchoring
// wrote (raw, its credential.Anchor) in log entry seq. Leaves are written
// once with their anchor and never again, so the current state holds the
// ones the entry wrote; the contract reads them as it does for Record.
func (l *Ledger) anchoredRecords(btx *bolt.Tx, raw []byte, seq uint64) ([]credential.Record, error) {
	var a credential.Anchor
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, err
	}
	tx := l.newSimTx(btx, "", a.Time, "", nil, true)
	recs := make([]credential.Record, 0, a.Count)
	for first := 0; first < a.Count; first += credential.AnchorChunkSize {
		leaves, err := chaincode.GetAnchorLeaves(tx, a.CredentialID(first))
		if err != nil {
			return nil, err
		}
		for j, leaf := range leaves {
			rec := a.Record(first+j, leaf)
			rec.BlockNumber = seq
			recs = append(recs, rec)
		}
	}
	return recs, nil
}
