package chaincode

import (
	"encoding/json"
	"fmt"
)

// getJSON reads key into v; found is false when the key is absent.
func getJSON(tx Tx, key string, v any) (found bool, err error) {
	b, err := tx.GetState(key)
	if err != nil {
		return false, ledgerErr("read "+key, err)
	}
	if b == nil {
		return false, nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, ledgerErr("decode "+key, err)
	}
	return true, nil
}

// putJSON writes v to key. encoding/json writes struct fields in declaration
// order and map keys sorted, so every endorser produces the same bytes.
func putJSON(tx Tx, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return ledgerErr("encode "+key, err)
	}
	if err := tx.PutState(key, b); err != nil {
		return ledgerErr("write "+key, err)
	}
	return nil
}

// ledgerErr wraps a failure of the ledger itself (not of the request). It
// is deliberately not a *credential.Error: clients see a generic internal
// error and the cause stays in logs.
func ledgerErr(what string, cause error) error {
	return fmt.Errorf("chaincode: %s: %w", what, cause)
}

// restrictTo lets only mspID's peers endorse later writes of key.
func restrictTo(tx Tx, key, mspID string) error {
	if err := tx.RestrictTo(key, mspID); err != nil {
		return ledgerErr("set policy of "+key, err)
	}
	return nil
}
