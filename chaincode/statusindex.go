package chaincode

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/certledger/certledger/credential"
)

// Status list positions: a sequence number unique in its department, in list
// sequence / StatusListSize. The gateway draws it at random, so issuances share
// no hot counter (docs/decisions/0004-status-list-index.md).
const (
	// StatusListSize is the number of entries of a Bitstring Status List
	// (vc.StatusListSize, which the tests check it equals).
	StatusListSize = 131072
	// MaxStatusSequence bounds sequence numbers: 2^23 lists per department.
	MaxStatusSequence = credential.MaxStatusSequence
	// MaxStatusList is the highest list number GetStatusEntries accepts.
	MaxStatusList = MaxStatusSequence/StatusListSize - 1
)

// statusIndexEntry is the value of a status index key: enough to build a
// status list without reading the records, and no personal data.
type statusIndexEntry struct {
	ID     string            `json:"id"`
	Status credential.Status `json:"status"`
}

// allocateStatus reserves seq for credential id of department dept, with
// its initial status, in the issuing transaction. Reading the key first puts it in the read set, so of
// two transactions in one block that drew the same number, Fabric's MVCC
// check lets only one commit.
func allocateStatus(tx Tx, dept, mspID, id string, status credential.Status, seq uint64) error {
	if seq >= MaxStatusSequence {
		return credential.Errorf(credential.ReasonInvalidStatusList, "statusSequence %d is not below 2^40", seq)
	}
	if seq >= credential.AnchorStatusBase {
		return credential.Errorf(credential.ReasonInvalidStatusList, "statusSequence %d is in the lists of anchored batches, which start at %d", seq, credential.AnchorStatusBase)
	}
	k := statusIndexKey(dept, seq)
	b, err := tx.GetState(k)
	if err != nil {
		return ledgerErr("read "+k, err)
	}
	if b != nil {
		return credential.StatusSequenceTaken(dept, seq)
	}
	if err := putJSON(tx, k, statusIndexEntry{ID: id, Status: status}); err != nil {
		return err
	}
	// Like the record: only the issuing department's peers can endorse a
	// later change of the entry.
	return restrictTo(tx, k, mspID)
}

// updateStatusIndex rewrites the index entry of rec after a status change,
// in the same transaction as the record, so index and records agree.
// Records without a sequence number have no entry.
func updateStatusIndex(tx Tx, rec credential.Record, mspID string) error {
	if rec.StatusSequence == 0 {
		return nil
	}
	k := statusIndexKey(rec.Issuer, rec.StatusSequence)
	if err := putJSON(tx, k, statusIndexEntry{ID: rec.ID, Status: indexedStatus(rec)}); err != nil {
		return err
	}
	// An anchored credential's entry is written at its first change.
	if rec.StatusSequence >= credential.AnchorStatusBase {
		return restrictTo(tx, k, mspID)
	}
	return nil
}

// indexedStatus is the status the index records for rec: its recorded
// status, except superseded for a version a renewal or change replaced
// and did not keep valid (unless it was revoked since).
func indexedStatus(rec credential.Record) credential.Status {
	if rec.Status != credential.StatusRevoked && rec.Superseded() {
		return credential.StatusSuperseded
	}
	return rec.Status
}

// statusScanChunk is how many sequence numbers one range scan of
// GetStatusEntries covers. A Fabric peer silently stops a chaincode range
// query at ledger.state.totalQueryLimit results (100,000 by default), fewer
// than a list can hold; a truncated list would show revoked credentials as
// valid. Scanning a list in chunks keeps every query far below the limit.
const statusScanChunk = StatusListSize / 8

// GetStatusEntries returns the credentials of department dept in status
// list list, in sequence order, with their recorded status: range scans
// over the list's index keys (statusScanChunk sequence numbers each), no
// record reads.
func GetStatusEntries(tx Tx, dept string, list uint64) ([]credential.StatusEntry, error) {
	if !validToken(dept, 64) {
		return nil, credential.Errorf(credential.ReasonInvalidRequest, "department id %q is not valid", dept)
	}
	if list > MaxStatusList {
		return nil, credential.Errorf(credential.ReasonInvalidStatusList, "status list %d is above the highest list %d", list, uint64(MaxStatusList))
	}
	p := statusListPrefix(dept, list)
	var out []credential.StatusEntry
	for from := list * StatusListSize; from < (list+1)*StatusListSize; from += statusScanChunk {
		start, end := statusIndexKey(dept, from), statusIndexKey(dept, from+statusScanChunk)
		if from+statusScanChunk >= (list+1)*StatusListSize {
			end = prefixEnd(p)
		}
		kvs, err := tx.StateRange(start, end)
		if err != nil {
			return nil, ledgerErr("scan "+start, err)
		}
		for _, kv := range kvs {
			seq, err := strconv.ParseUint(strings.TrimPrefix(kv.Key, p), 10, 64)
			if err != nil {
				return nil, ledgerErr("decode status index key "+kv.Key, err)
			}
			var e statusIndexEntry
			if err := json.Unmarshal(kv.Value, &e); err != nil {
				return nil, ledgerErr("decode "+kv.Key, err)
			}
			out = append(out, credential.StatusEntry{Sequence: seq, ID: e.ID, Status: e.Status})
		}
	}
	if out == nil {
		out = []credential.StatusEntry{}
	}
	return out, nil
}
