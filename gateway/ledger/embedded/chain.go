package embedded

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Namespaces of the writes a log entry lists.
const (
	NSState         = "state"          // public world state
	NSPrivate       = "private"        // private data collection (key is collection + "/" + key)
	NSPolicy        = "policy"         // key-level endorsement policy of a state key
	NSPrivatePolicy = "private-policy" // key-level endorsement policy of a private key
)

// genesisHash is the previous-entry hash of the first log entry.
var genesisHash = hex.EncodeToString(make([]byte, sha256.Size))

// Write is one key a transaction changed. Only the hash of the new value is
// logged, so the log carries no personal data from private documents.
type Write struct {
	Namespace string `json:"ns"`
	Key       string `json:"key"`
	ValueHash string `json:"valueHash,omitempty"` // hex SHA-256; empty for a delete
	Delete    bool   `json:"delete,omitempty"`
}

// LogEntry is one committed transaction in the hash-chained log: the
// embedded ledger's block. Seq is the block number reported in records.
type LogEntry struct {
	Seq        uint64    `json:"seq"`
	TxID       string    `json:"txId"`
	Time       time.Time `json:"time"`
	MSPID      string    `json:"mspId"`
	Department string    `json:"department,omitempty"`
	Function   string    `json:"function"`
	Writes     []Write   `json:"writes"`
	// StateDigest is the digest of all stored state after this entry (see
	// stateDigest); Open checks the last one against the buckets.
	StateDigest string `json:"stateDigest"`
	Prev        string `json:"prev"` // hex hash of the previous entry
	Hash        string `json:"hash"` // hex hash of this entry, see ComputeHash
}

// logFormat tags the canonical encoding of an entry.
const logFormat = "certledger.embedded.log.v1"

// canonical returns the entry's canonical encoding: every field but Hash,
// each length-prefixed, so no two different entries encode the same way.
// It is both what the hash covers and, followed by the hash, what the log
// stores, so verifying an entry needs no re-encoding.
func (e *LogEntry) canonical() []byte {
	lp := func(dst []byte, s string) []byte {
		dst = binary.AppendUvarint(dst, uint64(len(s)))
		return append(dst, s...)
	}
	buf := make([]byte, 0, 256+len(e.Writes)*128)
	buf = lp(buf, logFormat)
	buf = lp(buf, strconv.FormatUint(e.Seq, 10))
	buf = lp(buf, e.TxID)
	buf = lp(buf, e.Time.UTC().Format(time.RFC3339Nano))
	buf = lp(buf, e.MSPID)
	buf = lp(buf, e.Department)
	buf = lp(buf, e.Function)
	buf = binary.AppendUvarint(buf, uint64(len(e.Writes)))
	for _, w := range e.Writes {
		buf = lp(buf, w.Namespace)
		buf = lp(buf, w.Key)
		buf = lp(buf, w.ValueHash)
		buf = lp(buf, strconv.FormatBool(w.Delete))
	}
	buf = lp(buf, e.StateDigest)
	buf = lp(buf, e.Prev)
	return buf
}

// ComputeHash returns the hex SHA-256 of the entry's canonical encoding.
func (e *LogEntry) ComputeHash() string {
	sum := sha256.Sum256(e.canonical())
	return hex.EncodeToString(sum[:])
}

// encodeEntry returns the stored form of e: its canonical encoding followed
// by the raw hash.
func encodeEntry(e *LogEntry) []byte {
	c := e.canonical()
	sum := sha256.Sum256(c)
	e.Hash = hex.EncodeToString(sum[:])
	return append(c, sum[:]...)
}

// decodeEntry parses a stored entry. It is strict: the canonical part must
// parse completely, so the stored bytes are exactly what was hashed. It does
// not check the hash; see entryHashOK.
func decodeEntry(k, v []byte) (LogEntry, error) {
	var e LogEntry
	if len(k) != 8 {
		return e, fmt.Errorf("log key %x is not a sequence number", k)
	}
	if len(v) < sha256.Size {
		return e, errors.New("entry is truncated")
	}
	body := v[:len(v)-sha256.Size]
	e.Hash = hex.EncodeToString(v[len(v)-sha256.Size:])
	r := lpReader{b: body}
	if r.str() != logFormat {
		return e, errors.New("entry has an unknown format")
	}
	seq, err := strconv.ParseUint(r.str(), 10, 64)
	if err != nil {
		return e, errors.New("entry sequence is not a number")
	}
	e.Seq, e.TxID = seq, r.str()
	if e.Time, err = time.Parse(time.RFC3339Nano, r.str()); err != nil {
		return e, errors.New("entry time cannot be parsed")
	}
	e.MSPID, e.Department, e.Function = r.str(), r.str(), r.str()
	n := r.uvarint()
	if n > uint64(len(body)) {
		return e, errors.New("entry write count is impossible")
	}
	e.Writes = make([]Write, 0, n)
	for range n {
		w := Write{Namespace: r.str(), Key: r.str(), ValueHash: r.str()}
		w.Delete = r.str() == "true"
		e.Writes = append(e.Writes, w)
	}
	e.StateDigest, e.Prev = r.str(), r.str()
	if r.err != nil || len(r.b) != 0 {
		return e, errors.New("entry is malformed")
	}
	return e, nil
}

// entryHashOK reports whether a stored entry's hash covers its bytes.
func entryHashOK(v []byte) bool {
	if len(v) < sha256.Size {
		return false
	}
	sum := sha256.Sum256(v[:len(v)-sha256.Size])
	return string(sum[:]) == string(v[len(v)-sha256.Size:])
}

// lpReader reads the length-prefixed fields of a canonical encoding; the
// first error sticks and later reads return zero values.
type lpReader struct {
	b   []byte
	err error
}

func (r *lpReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	n, size := binary.Uvarint(r.b)
	if size <= 0 {
		r.err = errors.New("bad length")
		return 0
	}
	r.b = r.b[size:]
	return n
}

func (r *lpReader) str() string {
	n := r.uvarint()
	if r.err != nil {
		return ""
	}
	if n > uint64(len(r.b)) {
		r.err = errors.New("field overruns the entry")
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

// ChainError says where the log stops verifying. Seq is the first entry
// that is wrong (or, for a state mismatch, the last entry that wrote the
// key); 0 when the problem is not tied to an entry.
type ChainError struct {
	Seq    uint64
	TxID   string
	Reason string
}

func (e *ChainError) Error() string {
	if e.Seq == 0 {
		return "embedded ledger does not verify: " + e.Reason
	}
	tx := ""
	if e.TxID != "" {
		tx = " (tx " + e.TxID + ")"
	}
	return fmt.Sprintf("embedded ledger log breaks at entry %d%s: %s", e.Seq, tx, e.Reason)
}

func valueHash(v []byte) string {
	sum := sha256.Sum256(v)
	return hex.EncodeToString(sum[:])
}

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

func seqFromKey(k []byte) uint64 { return binary.BigEndian.Uint64(k) }
