package chaincode

import (
	"encoding/json"

	"github.com/certledger/certledger/credential"
)

// ChangeEvent is the payload of the EventName event.
type ChangeEvent struct {
	ID     string            `json:"id"`
	Change credential.Change `json:"change"`
}

func emit(tx Tx, id string, ch credential.Change) error {
	b, err := json.Marshal(ChangeEvent{ID: id, Change: ch})
	if err != nil {
		return ledgerErr("encode event", err)
	}
	if err := tx.SetEvent(EventName, b); err != nil {
		return ledgerErr("set event", err)
	}
	return nil
}
