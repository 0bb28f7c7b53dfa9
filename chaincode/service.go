package chaincode

import (
	"encoding/json"

	"github.com/certledger/certledger/credential"
)

// The service catalogue (事项目录) lives in public state beside the
// registry it refers to: service/<code> -> credential.Service. Each write
// replaces the whole item, so the key's history holds every version
// (docs/decisions/0014-service-catalogue.md).

// Contract functions of the service catalogue.
const (
	FnPutService  = "PutService"
	FnGetServices = "GetServices" // a query
)

const prefixService = "service/"

func serviceKey(code string) string { return prefixService + code }

// PutService adds or replaces a service item (governance only) and returns
// it as stored: checked against the registry as of the transaction, types
// named by their ID, lists sorted, stamped with the transaction time and
// the governance department.
func PutService(tx Tx, s credential.Service) (credential.Service, error) {
	caller, err := CallerDepartment(tx)
	if err != nil {
		return credential.Service{}, err
	}
	if !caller.HasRole(credential.RoleGovernance) {
		return credential.Service{}, credential.Errorf(credential.ReasonNotGovernance, "only the governance department may change the service catalogue")
	}
	reg, err := GetRegistry(tx)
	if err != nil {
		return credential.Service{}, err
	}
	stored, probs := credential.CheckService(s, reg)
	if len(probs) > 0 {
		// One problem is enough for a client that bypassed the gateway,
		// which lists them all before it writes.
		e := credential.Errorf(credential.ReasonInvalidService, "%s", probs[0].Message)
		e.Pointer = probs[0].Pointer
		return credential.Service{}, e
	}
	now, err := tx.TxTimestamp()
	if err != nil {
		return credential.Service{}, ledgerErr("read the transaction time", err)
	}
	stored.UpdatedAt, stored.UpdatedBy = now.UTC(), caller.ID
	if err := putJSON(tx, serviceKey(stored.Code), stored); err != nil {
		return credential.Service{}, err
	}
	// Like the registry's keys, endorsed by governance alone.
	if err := restrictTo(tx, serviceKey(stored.Code), caller.MSPID); err != nil {
		return credential.Service{}, err
	}
	return stored, nil
}

// GetServices returns every service item, sorted by code (the key order of
// the range scan).
func GetServices(tx Tx) ([]credential.Service, error) {
	kvs, err := tx.StateRange(prefixService, prefixEnd(prefixService))
	if err != nil {
		return nil, ledgerErr("scan services", err)
	}
	out := make([]credential.Service, 0, len(kvs))
	for _, kv := range kvs {
		var s credential.Service
		if err := json.Unmarshal(kv.Value, &s); err != nil {
			return nil, ledgerErr("decode "+kv.Key, err)
		}
		out = append(out, s)
	}
	return out, nil
}
