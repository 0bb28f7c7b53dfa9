package chaincode

import (
	"maps"
	"sort"
	"strings"
	"time"
)

// memLedger is a minimal in-memory world state for contract unit tests that
// need to run the same transaction on two "endorsers" and compare what they
// write. Contract behaviour is tested on the real embedded store.
type memLedger struct {
	state   map[string][]byte
	private map[string][]byte
	history map[string][]KeyModification // newest first
}

func newMemLedger() *memLedger {
	return &memLedger{state: map[string][]byte{}, private: map[string][]byte{}, history: map[string][]KeyModification{}}
}

func (m *memLedger) clone() *memLedger {
	c := newMemLedger()
	maps.Copy(c.state, m.state)
	maps.Copy(c.private, m.private)
	maps.Copy(c.history, m.history)
	return c
}

// memTx buffers writes and records every write call in order, so two runs
// can be compared byte for byte.
type memTx struct {
	l         *memLedger
	txID      string
	ts        time.Time
	msp       string
	transient map[string][]byte
	ops       []string
	writes    map[string][]byte
	deletes   map[string]bool
	priv      map[string][]byte
}

func (m *memLedger) tx(txID string, ts time.Time, msp string, transient map[string][]byte) *memTx {
	return &memTx{l: m, txID: txID, ts: ts, msp: msp, transient: transient,
		writes: map[string][]byte{}, deletes: map[string]bool{}, priv: map[string][]byte{}}
}

// commit applies the buffered writes.
func (t *memTx) commit() {
	for k, v := range t.writes {
		t.l.state[k] = v
		t.l.history[k] = append([]KeyModification{{TxID: t.txID, Time: t.ts, Value: v}}, t.l.history[k]...)
	}
	for k := range t.deletes {
		delete(t.l.state, k)
		t.l.history[k] = append([]KeyModification{{TxID: t.txID, Time: t.ts, IsDelete: true}}, t.l.history[k]...)
	}
	maps.Copy(t.l.private, t.priv)
}

func (t *memTx) TxID() string                         { return t.txID }
func (t *memTx) TxTimestamp() (time.Time, error)      { return t.ts, nil }
func (t *memTx) CallerMSPID() (string, error)         { return t.msp, nil }
func (t *memTx) Transient(key string) ([]byte, error) { return t.transient[key], nil }
func (t *memTx) GetState(key string) ([]byte, error)  { return t.l.state[key], nil }

func (t *memTx) PutState(key string, value []byte) error {
	t.ops = append(t.ops, "put "+key+"="+string(value))
	t.writes[key] = value
	return nil
}

func (t *memTx) DelState(key string) error {
	t.ops = append(t.ops, "del "+key)
	t.deletes[key] = true
	return nil
}

func (t *memTx) StateRange(start, end string) ([]KV, error) {
	var out []KV
	for k, v := range t.l.state {
		if k >= start && k < end {
			out = append(out, KV{Key: k, Value: v})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

func (t *memTx) History(key string) ([]KeyModification, error) { return t.l.history[key], nil }

func (t *memTx) RestrictTo(key string, mspIDs ...string) error {
	t.ops = append(t.ops, "policy "+key+"="+strings.Join(mspIDs, ","))
	return nil
}

func (t *memTx) GetPrivateData(collection, key string) ([]byte, error) {
	return t.l.private[collection+"/"+key], nil
}

func (t *memTx) PutPrivateData(collection, key string, value []byte) error {
	t.ops = append(t.ops, "private "+collection+"/"+key+"="+string(value))
	t.priv[collection+"/"+key] = value
	return nil
}

func (t *memTx) RestrictPrivateTo(collection, key string, mspIDs ...string) error {
	t.ops = append(t.ops, "private-policy "+collection+"/"+key+"="+strings.Join(mspIDs, ","))
	return nil
}

func (t *memTx) SetEvent(name string, payload []byte) error {
	t.ops = append(t.ops, "event "+name+"="+string(payload))
	return nil
}

func (t *memTx) trace() string { return strings.Join(t.ops, "\n") }
