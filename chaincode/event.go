package chaincode

import (
	"encoding/json"

	"github.com/certledger/certledger/credential"
)

// ChangeEvent is the payload of the EventName event: the change and the
// whole public record after it, so a subscriber (the gateway's record
// cache) can keep a copy of the record without reading the ledger.
type ChangeEvent struct {
	ID     string             `json:"id"`
	Change credential.Change  `json:"change"`
	Record *credential.Record `json:"record,omitempty"`
	// Superseded is, for a renewal or change, the record of the version it
	// superseded, changed in the same transaction: Fabric keeps one event
	// per transaction, and a subscriber's copy of it must not stay valid.
	Superseded *credential.Record `json:"superseded,omitempty"`
}

func emit(tx Tx, rec credential.Record) error { return emitNewVersion(tx, rec, nil) }

// emitNewVersion is emit for a record whose transaction also superseded
// another, which may be nil.
func emitNewVersion(tx Tx, rec credential.Record, superseded *credential.Record) error {
	b, err := json.Marshal(ChangeEvent{ID: rec.ID, Change: rec.LastChange, Record: &rec, Superseded: superseded})
	if err != nil {
		return ledgerErr("encode event", err)
	}
	if err := tx.SetEvent(EventName, b); err != nil {
		return ledgerErr("set event", err)
	}
	return nil
}
