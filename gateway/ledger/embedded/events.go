package embedded

import (
	"encoding/json"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
)

// Event is a committed change of a credential record.
type Event struct {
	BlockNumber uint64            `json:"blockNumber"`
	TxID        string            `json:"txId"`
	ID          string            `json:"id"`
	Change      credential.Change `json:"change"`
}

type subscription struct {
	ch chan Event
}

// Subscribe returns a channel that receives every change committed from now
// on, in commit order, and a function that ends the subscription. Delivery
// never blocks the ledger: a subscriber that falls more than buffer events
// behind has its channel closed, and should resubscribe and re-read what
// it needs.
func (l *Ledger) Subscribe(buffer int) (<-chan Event, func()) {
	if buffer < 1 {
		buffer = 1
	}
	s := &subscription{ch: make(chan Event, buffer)}
	l.subMu.Lock()
	if l.subs == nil {
		close(s.ch)
	} else {
		l.subs[s] = struct{}{}
	}
	l.subMu.Unlock()
	return s.ch, func() { l.unsubscribe(s) }
}

func (l *Ledger) unsubscribe(s *subscription) {
	l.subMu.Lock()
	defer l.subMu.Unlock()
	if _, ok := l.subs[s]; ok {
		delete(l.subs, s)
		close(s.ch)
	}
}

// publish delivers a committed transaction's events to subscribers: one
// for a change, and one per credential for an anchoring, whose change (the
// issuance) the anchor alone tells. A subscriber whose buffer is smaller
// than a batch is closed by it, and re-reads what it needs.
func (l *Ledger) publish(r *request) {
	if r.err != nil || r.seq == 0 || r.event == nil {
		return
	}
	var evs []Event
	switch r.event.name {
	case chaincode.EventName:
		var ce chaincode.ChangeEvent
		if err := json.Unmarshal(r.event.payload, &ce); err != nil {
			return
		}
		evs = []Event{{BlockNumber: r.seq, TxID: r.txID, ID: ce.ID, Change: ce.Change}}
	case chaincode.EventAnchorName:
		var a credential.Anchor
		if err := json.Unmarshal(r.event.payload, &a); err != nil {
			return
		}
		issued := a.Record(0, credential.AnchorLeaf{}).LastChange
		evs = make([]Event, a.Count)
		for i := range evs {
			evs[i] = Event{BlockNumber: r.seq, TxID: r.txID, ID: a.CredentialID(i), Change: issued}
		}
	default:
		return
	}
	l.subMu.Lock()
	defer l.subMu.Unlock()
	for s := range l.subs {
		if !offer(s.ch, evs) {
			delete(l.subs, s)
			close(s.ch)
		}
	}
}

// offer hands evs to ch without blocking, reporting whether all fit.
func offer(ch chan Event, evs []Event) bool {
	for _, ev := range evs {
		select {
		case ch <- ev:
		default:
			return false
		}
	}
	return true
}

func (l *Ledger) closeSubscriptions() {
	l.subMu.Lock()
	defer l.subMu.Unlock()
	for s := range l.subs {
		close(s.ch)
	}
	l.subs = nil
}
