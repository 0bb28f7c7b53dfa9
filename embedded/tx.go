package embedded

import (
	"bytes"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/certledger/certledger/chaincode"
	bolt "go.etcd.io/bbolt"
)

// Buckets of the bbolt file.
var (
	bucketState         = []byte("state")          // key -> value
	bucketPrivate       = []byte("private")        // collection/key -> value
	bucketPolicy        = []byte("policy")         // key -> endorsement policy
	bucketPrivatePolicy = []byte("private-policy") // collection/key -> endorsement policy
	bucketHistory       = []byte("history")        // key 0x00 seq -> historyEntry
	bucketLog           = []byte("log")            // seq -> LogEntry
	bucketTxs           = []byte("txs")            // tx ID -> seq
	allBuckets          = [][]byte{bucketState, bucketPrivate, bucketPolicy, bucketPrivatePolicy, bucketHistory, bucketLog, bucketTxs}
)

// historyEntry is one committed version of a state key.
type historyEntry struct {
	TxID   string    `json:"txId"`
	Time   time.Time `json:"time"`
	Value  []byte    `json:"value,omitempty"`
	Delete bool      `json:"delete,omitempty"`
}

var errReadOnly = errors.New("embedded: write in a read-only transaction")

// write is a buffered write of the simulation.
type write struct {
	value  []byte
	delete bool
}

// simTx runs the contract against a bbolt transaction the way a Fabric
// endorser simulates: reads see committed state (including transactions
// committed earlier in the same batch), writes are buffered and applied
// only if the contract succeeds.
type simTx struct {
	btx       *bolt.Tx
	txID      string
	time      time.Time
	mspID     string
	transient map[string][]byte
	readOnly  bool

	state, private, policy, privatePolicy map[string]write
	event                                 *event
}

type event struct {
	name    string
	payload []byte
}

func newSimTx(btx *bolt.Tx, txID string, t time.Time, mspID string, transient map[string][]byte, readOnly bool) *simTx {
	return &simTx{
		btx: btx, txID: txID, time: t, mspID: mspID, transient: transient, readOnly: readOnly,
		state: map[string]write{}, private: map[string]write{}, policy: map[string]write{}, privatePolicy: map[string]write{},
	}
}

var _ chaincode.Tx = (*simTx)(nil)

func (t *simTx) TxID() string                         { return t.txID }
func (t *simTx) TxTimestamp() (time.Time, error)      { return t.time, nil }
func (t *simTx) CallerMSPID() (string, error)         { return t.mspID, nil }
func (t *simTx) Transient(key string) ([]byte, error) { return t.transient[key], nil }

// get copies the value out: bbolt's slices are valid only inside the
// transaction, and results outlive it.
func (t *simTx) get(bucket []byte, key string) []byte {
	v := t.btx.Bucket(bucket).Get([]byte(key))
	if v == nil {
		return nil
	}
	return bytes.Clone(v)
}

func (t *simTx) put(m map[string]write, key string, value []byte) error {
	if t.readOnly {
		return errReadOnly
	}
	if err := checkKey(key); err != nil {
		return err
	}
	if value == nil {
		value = []byte{}
	}
	m[key] = write{value: bytes.Clone(value)}
	return nil
}

// checkKey keeps keys valid UTF-8 without NUL bytes, as Fabric requires of
// simple keys; NUL separates a key from its sequence in the history bucket.
func checkKey(key string) error {
	if key == "" || strings.IndexByte(key, 0) >= 0 {
		return errors.New("embedded: keys must be non-empty and free of NUL bytes")
	}
	return nil
}

func privateKey(collection, key string) string { return collection + "/" + key }

func (t *simTx) GetState(key string) ([]byte, error) { return t.get(bucketState, key), nil }

func (t *simTx) PutState(key string, value []byte) error { return t.put(t.state, key, value) }

func (t *simTx) DelState(key string) error {
	if t.readOnly {
		return errReadOnly
	}
	if err := checkKey(key); err != nil {
		return err
	}
	t.state[key] = write{delete: true}
	return nil
}

func (t *simTx) StateRange(start, end string) ([]chaincode.KV, error) {
	var out []chaincode.KV
	c := t.btx.Bucket(bucketState).Cursor()
	for k, v := c.Seek([]byte(start)); k != nil && (end == "" || string(k) < end); k, v = c.Next() {
		out = append(out, chaincode.KV{Key: string(k), Value: bytes.Clone(v)})
	}
	return out, nil
}

// History returns the committed versions of key, newest first like
// Fabric's GetHistoryForKey.
func (t *simTx) History(key string) ([]chaincode.KeyModification, error) {
	prefix := append([]byte(key), 0)
	var out []chaincode.KeyModification
	c := t.btx.Bucket(bucketHistory).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var h historyEntry
		if err := json.Unmarshal(v, &h); err != nil {
			return nil, err
		}
		out = append(out, chaincode.KeyModification{TxID: h.TxID, Time: h.Time, Value: h.Value, IsDelete: h.Delete})
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

func (t *simTx) SetStateValidationParameter(key string, policy []byte) error {
	return t.put(t.policy, key, policy)
}

func (t *simTx) GetPrivateData(collection, key string) ([]byte, error) {
	return t.get(bucketPrivate, privateKey(collection, key)), nil
}

func (t *simTx) PutPrivateData(collection, key string, value []byte) error {
	return t.put(t.private, privateKey(collection, key), value)
}

func (t *simTx) SetPrivateDataValidationParameter(collection, key string, policy []byte) error {
	return t.put(t.privatePolicy, privateKey(collection, key), policy)
}

func (t *simTx) SetEvent(name string, payload []byte) error {
	if t.readOnly {
		return errReadOnly
	}
	t.event = &event{name: name, payload: bytes.Clone(payload)}
	return nil
}

func (t *simTx) empty() bool {
	return len(t.state)+len(t.private)+len(t.policy)+len(t.privatePolicy) == 0
}

func sortedKeys(m map[string]write) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
