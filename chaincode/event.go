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
}

func emit(tx Tx, rec credential.Record) error {
	b, err := json.Marshal(ChangeEvent{ID: rec.ID, Change: rec.LastChange, Record: &rec})
	if err != nil {
		return ledgerErr("encode event", err)
	}
	if err := tx.SetEvent(EventName, b); err != nil {
		return ledgerErr("set event", err)
	}
	return nil
}
