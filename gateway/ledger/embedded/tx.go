package embedded

import (
	"bytes"
	"encoding/binary"
	"errors"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/gateway/atrest"
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
	allBuckets          = [][]byte{bucketState, bucketPrivate, bucketPolicy, bucketPrivatePolicy, bucketHistory, bucketLog}
)

// encodeHistory encodes one committed version of a state key: a delete
// flag, the time in Unix nanoseconds, the length-prefixed transaction ID and
// the value. Binary, because it is written for every state write.
func encodeHistory(txID string, t time.Time, value []byte, del bool) []byte {
	b := make([]byte, 0, 10+len(txID)+len(value))
	flag := byte(0)
	if del {
		flag = 1
	}
	b = append(b, flag)
	b = binary.BigEndian.AppendUint64(b, uint64(t.UnixNano()))
	b = append(b, byte(len(txID)))
	b = append(b, txID...)
	return append(b, value...)
}

func decodeHistory(b []byte) (chaincode.KeyModification, error) {
	if len(b) < 10 || len(b) < 10+int(b[9]) {
		return chaincode.KeyModification{}, errors.New("embedded: history entry is truncated")
	}
	n := int(b[9])
	return chaincode.KeyModification{
		IsDelete: b[0] == 1,
		Time:     time.Unix(0, int64(binary.BigEndian.Uint64(b[1:9]))).UTC(),
		TxID:     string(b[10 : 10+n]),
		Value:    bytes.Clone(b[10+n:]),
	}, nil
}

// historyKey orders a key's versions by log sequence. Keys never contain
// NUL, so one key's versions never interleave with another's.
func historyKey(key string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte(key), 0), seq)
}

// firstVersion returns the log sequence of the first write of key, 0 if
// the key was never written.
func firstVersion(btx *bolt.Tx, key string) uint64 {
	prefix := append([]byte(key), 0)
	k, _ := btx.Bucket(bucketHistory).Cursor().Seek(prefix)
	if k == nil || !bytes.HasPrefix(k, prefix) || len(k) != len(prefix)+8 {
		return 0
	}
	return binary.BigEndian.Uint64(k[len(prefix):])
}

var errReadOnly = errors.New("embedded: write in a read-only transaction")

// write is a buffered write of the simulation.
type write struct {
	value  []byte
	delete bool
	// stored is the sealed form of a private value, made by the
	// simulation so that sealing runs on the caller's goroutine and not in
	// the committer.
	stored []byte
}

// simTx runs the contract against a bbolt transaction the way a Fabric
// endorser simulates: reads see committed state (including transactions
// committed earlier in the same batch), writes are buffered and applied
// only if the contract succeeds.
type simTx struct {
	btx       *bolt.Tx
	sealer    *atrest.Sealer // of private values
	txID      string
	time      time.Time
	mspID     string
	transient map[string][]byte
	readOnly  bool

	state, private, policy, privatePolicy map[string]write
	event                                 *event
	// department is the caller's department ID as the simulation saw it,
	// resolved through the simulation so the read set covers it.
	department string

	// The read set, kept so the committer can tell whether a simulation
	// made on an older snapshot is still valid (Fabric's MVCC check).
	reads  map[string]readValue // bucket NUL key -> what was read
	ranges []rangeRead
}

type readValue struct {
	value   []byte
	present bool
}

type rangeRead struct {
	bucket     []byte // nil: bucketState
	start, end string
	kvs        []chaincode.KV // as stored: private values sealed
}

type event struct {
	name    string
	payload []byte
}

func (l *Ledger) newSimTx(btx *bolt.Tx, txID string, t time.Time, mspID string, transient map[string][]byte, readOnly bool) *simTx {
	return &simTx{
		btx: btx, sealer: l.private, txID: txID, time: t, mspID: mspID, transient: transient, readOnly: readOnly,
		state: map[string]write{}, private: map[string]write{}, policy: map[string]write{}, privatePolicy: map[string]write{},
		reads: map[string]readValue{},
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
	if v != nil {
		v = bytes.Clone(v)
	}
	t.reads[string(bucket)+"\x00"+key] = readValue{value: v, present: v != nil}
	return v
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
	if key == "" || strings.IndexByte(key, 0) >= 0 || !utf8.ValidString(key) {
		return errors.New("embedded: keys must be non-empty UTF-8 without NUL bytes")
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
	scan(t.btx, start, end, func(k, v []byte) bool {
		out = append(out, chaincode.KV{Key: string(k), Value: bytes.Clone(v)})
		return true
	})
	t.ranges = append(t.ranges, rangeRead{start: start, end: end, kvs: out})
	return out, nil
}

func scan(btx *bolt.Tx, start, end string, visit func(k, v []byte) bool) {
	scanBucket(btx, bucketState, start, end, visit)
}

func scanBucket(btx *bolt.Tx, bucket []byte, start, end string, visit func(k, v []byte) bool) {
	c := btx.Bucket(bucket).Cursor()
	for k, v := c.Seek([]byte(start)); k != nil && (end == "" || string(k) < end); k, v = c.Next() {
		if !visit(k, v) {
			return
		}
	}
}

// stillValid reports whether every read of the simulation would return the
// same in btx: then applying its writes there is what re-running it would
// do.
func (t *simTx) stillValid(btx *bolt.Tx) bool {
	for rk, r := range t.reads {
		i := strings.IndexByte(rk, 0)
		v := btx.Bucket([]byte(rk[:i])).Get([]byte(rk[i+1:]))
		if (v != nil) != r.present || !bytes.Equal(v, r.value) {
			return false
		}
	}
	for _, rr := range t.ranges {
		i, same := 0, true
		bucket := rr.bucket
		if bucket == nil {
			bucket = bucketState
		}
		scanBucket(btx, bucket, rr.start, rr.end, func(k, v []byte) bool {
			same = i < len(rr.kvs) && string(k) == rr.kvs[i].Key && bytes.Equal(v, rr.kvs[i].Value)
			i++
			return same
		})
		if !same || i != len(rr.kvs) {
			return false
		}
	}
	return true
}

// History returns the committed versions of key, newest first like
// Fabric's GetHistoryForKey.
func (t *simTx) History(key string) ([]chaincode.KeyModification, error) {
	prefix := append([]byte(key), 0)
	var out []chaincode.KeyModification
	c := t.btx.Bucket(bucketHistory).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		m, err := decodeHistory(v)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

func (t *simTx) RestrictTo(key string, mspIDs ...string) error {
	p, err := encodePolicy(mspIDs)
	if err != nil {
		return err
	}
	return t.put(t.policy, key, p)
}

// GetPrivateData opens the sealed value; the read set keeps the sealed
// bytes, which are what the committer compares.
func (t *simTx) GetPrivateData(collection, key string) ([]byte, error) {
	k := privateKey(collection, key)
	v := t.get(bucketPrivate, k)
	if v == nil {
		return nil, nil
	}
	return plainValue(t.sealer, bucketPrivate, []byte(k), v)
}

func (t *simTx) PutPrivateData(collection, key string, value []byte) error {
	k := privateKey(collection, key)
	if err := t.put(t.private, k, value); err != nil {
		return err
	}
	w := t.private[k]
	w.stored = sealPrivate(t.sealer, k, w.value)
	t.private[k] = w
	return nil
}

func (t *simTx) RestrictPrivateTo(collection, key string, mspIDs ...string) error {
	p, err := encodePolicy(mspIDs)
	if err != nil {
		return err
	}
	return t.put(t.privatePolicy, privateKey(collection, key), p)
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

// resolveDepartment records the caller's department for the log entry.
// Every contract function that writes has already read it, so the read set
// does not grow; an unknown MSP (the bootstrap) leaves it empty.
func (t *simTx) resolveDepartment() {
	if d, err := chaincode.CallerDepartment(t); err == nil {
		t.department = d.ID
	}
}
