package chaincode

import (
	"encoding/json"
	"errors"
	"slices"
	"sort"
	"time"
)

var errUnexpectedEvent = errors.New("unexpected event")

// batchTx is a batch's transaction as its items see it. Fabric's stub
// answers reads from committed state only, so the batch keeps what its
// earlier items wrote and lets later items read it; it also remembers the
// committed values it read, which cannot change during the transaction,
// so the registry keys every item reads cost one peer round trip each.
type batchTx struct {
	base    Tx
	reads   map[string][]byte // committed state already read; nil: absent
	state   map[string]overlay
	private map[string]overlay // privateKey(collection, key)
	events  []json.RawMessage
}

// overlay is a write made earlier in the batch.
type overlay struct {
	value   []byte
	deleted bool
}

func newBatchTx(base Tx) *batchTx {
	return &batchTx{base: base, reads: map[string][]byte{}, state: map[string]overlay{}, private: map[string]overlay{}}
}

func (b *batchTx) committed(key string) ([]byte, error) {
	if v, ok := b.reads[key]; ok {
		return v, nil
	}
	v, err := b.base.GetState(key)
	if err != nil {
		return nil, err
	}
	b.reads[key] = v
	return v, nil
}

func privateKey(collection, key string) string { return collection + "\x00" + key }

// item starts one item, whose transient request is request.
func (b *batchTx) item(request []byte) *itemTx {
	return &itemTx{b: b, request: request, state: map[string]overlay{}, private: map[string]overlay{}}
}

// itemTx is the Tx one batch item runs on. Its writes stay in the item
// until commit, so an item the contract refuses leaves no trace.
type itemTx struct {
	b         *batchTx
	request   []byte
	state     map[string]overlay
	private   map[string]overlay
	ops       []func(Tx) error // the item's writes, replayed on the transaction in order
	eventName string
	event     []byte
}

var _ Tx = (*itemTx)(nil)

// commit applies the item's writes to the transaction and makes them
// visible to the items after it.
func (t *itemTx) commit() error {
	for _, op := range t.ops {
		if err := op(t.b.base); err != nil {
			return err
		}
	}
	for k, v := range t.state {
		t.b.state[k] = v
	}
	for k, v := range t.private {
		t.b.private[k] = v
	}
	if t.event != nil {
		if t.eventName != EventName {
			return ledgerErr("batch item set event "+t.eventName, errUnexpectedEvent)
		}
		t.b.events = append(t.b.events, t.event)
	}
	return nil
}

func (t *itemTx) TxID() string                    { return t.b.base.TxID() }
func (t *itemTx) TxTimestamp() (time.Time, error) { return t.b.base.TxTimestamp() }
func (t *itemTx) CallerMSPID() (string, error)    { return t.b.base.CallerMSPID() }

// Transient holds only the item's own request.
func (t *itemTx) Transient(key string) ([]byte, error) {
	if key == TransientRequest {
		return t.request, nil
	}
	return nil, nil
}

func (t *itemTx) GetState(key string) ([]byte, error) {
	if o, ok := t.state[key]; ok {
		return o.get(), nil
	}
	if o, ok := t.b.state[key]; ok {
		return o.get(), nil
	}
	return t.b.committed(key)
}

func (t *itemTx) PutState(key string, value []byte) error {
	t.state[key] = overlay{value: value}
	t.ops = append(t.ops, func(tx Tx) error { return tx.PutState(key, value) })
	return nil
}

func (t *itemTx) DelState(key string) error {
	t.state[key] = overlay{deleted: true}
	t.ops = append(t.ops, func(tx Tx) error { return tx.DelState(key) })
	return nil
}

// StateRange merges the batch's writes in [start, end) into the committed
// range.
func (t *itemTx) StateRange(start, end string) ([]KV, error) {
	kvs, err := t.b.base.StateRange(start, end)
	if err != nil {
		return nil, err
	}
	merged := map[string][]byte{}
	for _, kv := range kvs {
		merged[kv.Key] = kv.Value
	}
	for _, layer := range []map[string]overlay{t.b.state, t.state} {
		for k, o := range layer {
			if k < start || k >= end {
				continue
			}
			if o.deleted {
				delete(merged, k)
			} else {
				merged[k] = o.value
			}
		}
	}
	out := make([]KV, 0, len(merged))
	for k, v := range merged {
		out = append(out, KV{Key: k, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// History is the committed history: like Fabric's, it never shows the
// transaction's own writes.
func (t *itemTx) History(key string) ([]KeyModification, error) { return t.b.base.History(key) }

func (t *itemTx) RestrictTo(key string, mspIDs ...string) error {
	mspIDs = slices.Clone(mspIDs)
	t.ops = append(t.ops, func(tx Tx) error { return tx.RestrictTo(key, mspIDs...) })
	return nil
}

func (t *itemTx) GetPrivateData(collection, key string) ([]byte, error) {
	pk := privateKey(collection, key)
	if o, ok := t.private[pk]; ok {
		return o.get(), nil
	}
	if o, ok := t.b.private[pk]; ok {
		return o.get(), nil
	}
	return t.b.base.GetPrivateData(collection, key)
}

func (t *itemTx) PutPrivateData(collection, key string, value []byte) error {
	t.private[privateKey(collection, key)] = overlay{value: value}
	t.ops = append(t.ops, func(tx Tx) error { return tx.PutPrivateData(collection, key, value) })
	return nil
}

func (t *itemTx) RestrictPrivateTo(collection, key string, mspIDs ...string) error {
	mspIDs = slices.Clone(mspIDs)
	t.ops = append(t.ops, func(tx Tx) error { return tx.RestrictPrivateTo(collection, key, mspIDs...) })
	return nil
}

// SetEvent keeps the item's event for the batch's combined event.
func (t *itemTx) SetEvent(name string, payload []byte) error {
	t.eventName, t.event = name, payload
	return nil
}

func (o overlay) get() []byte {
	if o.deleted {
		return nil
	}
	return o.value
}

// multiGetter is a Tx that reads many keys in one round trip to the peer.
type multiGetter interface {
	GetStates(keys []string) ([][]byte, error)
}

// prefetch reads in one round trip the keys the items are about to look
// up one by one: each credential's record, idempotency entry and status
// position, and the registry entries of their types. Each item still reads
// what it reads; it then finds the value here. Nothing to do on a
// transaction without multiGetter (the embedded ledger's reads are local).
func (b *batchTx) prefetch(reqs []json.RawMessage) error {
	mg, ok := b.base.(multiGetter)
	if !ok {
		return nil
	}
	caller, err := CallerDepartment(b.item(nil))
	if err != nil {
		return nil // every item will fail the same way, reading nothing more
	}
	seen := map[string]bool{}
	var keys []string
	add := func(k string) {
		if _, read := b.reads[k]; !read && !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	for _, raw := range reqs {
		var r struct {
			Document struct {
				ID   string `json:"id"`
				Type string `json:"type"`
			} `json:"document"`
			IdempotencyKey string `json:"idempotencyKey"`
			StatusSequence uint64 `json:"statusSequence"`
		}
		if json.Unmarshal(raw, &r) != nil {
			continue // the item reports it
		}
		if r.Document.Type != "" {
			add(typeCodeKey(r.Document.Type))
		}
		if r.Document.ID != "" {
			add(recordKey(r.Document.ID))
		}
		if validToken(r.IdempotencyKey, maxIdempotencyKey) {
			add(idempotencyKey(caller.ID, r.IdempotencyKey))
		}
		if r.StatusSequence != 0 && r.StatusSequence < MaxStatusSequence {
			add(statusIndexKey(caller.ID, r.StatusSequence))
		}
	}
	if len(keys) == 0 {
		return nil
	}
	values, err := mg.GetStates(keys)
	if err != nil {
		return ledgerErr("read the batch's keys", err)
	}
	if len(values) != len(keys) {
		return ledgerErr("read the batch's keys", errShortRead)
	}
	for i, k := range keys {
		b.reads[k] = values[i]
	}
	return nil
}

var errShortRead = errors.New("fewer values than keys")
