package embedded

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
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

// ComputeHash returns the hex SHA-256 of the entry's canonical encoding:
// every field but Hash, each length-prefixed, so no two different entries
// encode the same way and the hash does not depend on JSON formatting.
func (e *LogEntry) ComputeHash() string {
	lp := func(dst []byte, s string) []byte {
		dst = binary.AppendUvarint(dst, uint64(len(s)))
		return append(dst, s...)
	}
	buf := make([]byte, 0, 256+len(e.Writes)*128)
	buf = lp(buf, "certledger.embedded.log.v1")
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
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:])
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

func decodeEntry(k, v []byte) (LogEntry, error) {
	var e LogEntry
	if len(k) != 8 {
		return e, fmt.Errorf("log key %x is not a sequence number", k)
	}
	if err := json.Unmarshal(v, &e); err != nil {
		return e, err
	}
	return e, nil
}
