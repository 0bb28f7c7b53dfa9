package chaincode

import (
	"encoding/json"
	"fmt"

	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/statebased"
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

// endorsementPolicy returns a key-level endorsement policy that requires a
// peer of the given MSP. Peers are identified by the PEER role, so the
// network's MSPs must enable node OUs (cryptogen's EnableNodeOUs).
func endorsementPolicy(mspID string) ([]byte, error) {
	ep, err := statebased.NewStateEP(nil)
	if err != nil {
		return nil, err
	}
	if err := ep.AddOrgs(statebased.RoleTypePeer, mspID); err != nil {
		return nil, err
	}
	return ep.Policy()
}

// PolicyOrgs lists the MSP IDs a key-level endorsement policy names. The
// embedded backend uses it to enforce policies the way Fabric validators do.
func PolicyOrgs(policy []byte) ([]string, error) {
	ep, err := statebased.NewStateEP(policy)
	if err != nil {
		return nil, err
	}
	return ep.ListOrgs(), nil
}

// restrictTo sets the key-level endorsement policy of key to mspID's peers.
func restrictTo(tx Tx, key, mspID string) error {
	p, err := endorsementPolicy(mspID)
	if err != nil {
		return ledgerErr("build policy for "+key, err)
	}
	if err := tx.SetStateValidationParameter(key, p); err != nil {
		return ledgerErr("set policy of "+key, err)
	}
	return nil
}
