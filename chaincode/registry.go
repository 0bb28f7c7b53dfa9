package chaincode

import (
	"encoding/json"

	"github.com/certledger/certledger/credential"
)

// CallerDepartment resolves the caller's MSP ID to its department.
func CallerDepartment(tx Tx) (credential.Department, error) {
	mspID, err := tx.CallerMSPID()
	if err != nil {
		return credential.Department{}, credential.Wrapf(err, credential.ReasonUnknownIdentity, "the caller's identity cannot be read")
	}
	d, ok, err := departmentByMSP(tx, mspID)
	if err != nil {
		return credential.Department{}, err
	}
	if !ok {
		return credential.Department{}, credential.Errorf(credential.ReasonUnknownDepartment, "MSP %s is not a registered department", mspID)
	}
	return d, nil
}

func departmentByMSP(tx Tx, mspID string) (credential.Department, bool, error) {
	id, err := tx.GetState(mspKey(mspID))
	if err != nil {
		return credential.Department{}, false, ledgerErr("read "+mspKey(mspID), err)
	}
	if id == nil {
		return credential.Department{}, false, nil
	}
	d, ok, err := department(tx, string(id))
	// Checking the department's own MSP ID as well means a stale or
	// tampered index entry can never make an MSP act as another department.
	if err != nil || !ok || d.MSPID != mspID {
		return credential.Department{}, false, err
	}
	return d, true, nil
}

func department(tx Tx, id string) (credential.Department, bool, error) {
	var d credential.Department
	ok, err := getJSON(tx, departmentKey(id), &d)
	return d, ok, err
}

func credentialType(tx Tx, id string) (credential.CredentialType, bool, error) {
	var t credential.CredentialType
	ok, err := getJSON(tx, typeKey(id), &t)
	return t, ok, err
}

func typeByCode(tx Tx, code string) (credential.CredentialType, bool, error) {
	id, err := tx.GetState(typeCodeKey(code))
	if err != nil {
		return credential.CredentialType{}, false, ledgerErr("read "+typeCodeKey(code), err)
	}
	if id == nil {
		return credential.CredentialType{}, false, nil
	}
	t, ok, err := credentialType(tx, string(id))
	if err != nil || !ok || t.Code != code {
		return credential.CredentialType{}, false, err
	}
	return t, true, nil
}

// requireGovernance returns the caller's department if it keeps the
// registry.
func requireGovernance(tx Tx) (credential.Department, error) {
	caller, err := CallerDepartment(tx)
	if err != nil {
		return caller, err
	}
	if !caller.HasRole(credential.RoleGovernance) {
		return caller, credential.Errorf(credential.ReasonNotGovernance, "only the governance department may change the registry")
	}
	return caller, nil
}

func registryEmpty(tx Tx) (bool, error) {
	kvs, err := tx.StateRange(prefixDepartment, prefixEnd(prefixDepartment))
	if err != nil {
		return false, ledgerErr("scan departments", err)
	}
	return len(kvs) == 0, nil
}

// PutDepartment adds or replaces a department. Only the governance
// department may, except on an empty registry, where a governance
// department may register itself (the bootstrap).
func PutDepartment(tx Tx, d credential.Department) error {
	if err := d.Validate(); err != nil {
		return err
	}
	mspID, err := tx.CallerMSPID()
	if err != nil {
		return credential.Wrapf(err, credential.ReasonUnknownIdentity, "the caller's identity cannot be read")
	}
	caller, isDept, err := departmentByMSP(tx, mspID)
	if err != nil {
		return err
	}
	switch {
	case isDept && caller.HasRole(credential.RoleGovernance):
	case !isDept && d.MSPID == mspID && d.HasRole(credential.RoleGovernance):
		empty, err := registryEmpty(tx)
		if err != nil {
			return err
		}
		if !empty {
			return credential.Errorf(credential.ReasonNotGovernance, "only the governance department may change the registry")
		}
	default:
		return credential.Errorf(credential.ReasonNotGovernance, "only the governance department may change the registry")
	}

	old, exists, err := department(tx, d.ID)
	if err != nil {
		return err
	}
	if exists {
		if err := checkDepartmentUpdate(old, d); err != nil {
			return err
		}
	}
	if err := checkCompromiseTimes(old, d); err != nil {
		return err
	}
	if isDept && caller.ID == d.ID && !d.HasRole(credential.RoleGovernance) {
		return credential.Errorf(credential.ReasonGovernanceRoleRequired, "the governance department cannot give up its role: the registry would have no keeper")
	}
	holder, err := tx.GetState(mspKey(d.MSPID))
	if err != nil {
		return ledgerErr("read "+mspKey(d.MSPID), err)
	}
	if holder != nil && string(holder) != d.ID {
		if other, ok, err := department(tx, string(holder)); err != nil {
			return err
		} else if ok && other.MSPID == d.MSPID {
			return credential.Errorf(credential.ReasonMSPIDTaken, "MSP %s already belongs to department %s", d.MSPID, other.ID)
		}
	}

	if err := putJSON(tx, departmentKey(d.ID), d); err != nil {
		return err
	}
	if err := tx.PutState(mspKey(d.MSPID), []byte(d.ID)); err != nil {
		return ledgerErr("write "+mspKey(d.MSPID), err)
	}
	// Registry keys are endorsed by the governance organization alone, so no
	// issuing department can rewrite the catalogue with its own peers.
	if err := restrictTo(tx, departmentKey(d.ID), mspID); err != nil {
		return err
	}
	return restrictTo(tx, mspKey(d.MSPID), mspID)
}

// checkDepartmentUpdate keeps what issued credentials depend on: the USCC
// is part of every identifier the department issued, the MSP ID is named in
// the key-level endorsement policy of every key it wrote, and a signing key
// must stay registered with the same public key so old signatures still
// verify. Keys are retired or marked compromised instead of removed.
func checkDepartmentUpdate(old, d credential.Department) error {
	if old.USCC != d.USCC {
		return credential.Errorf(credential.ReasonRegistryFieldImmutable, "department %s: the USCC cannot change, identifiers embed it", d.ID)
	}
	if old.MSPID != d.MSPID {
		return credential.Errorf(credential.ReasonRegistryFieldImmutable, "department %s: the MSP ID cannot change, the endorsement policies of its credentials (and, for governance, of the registry) name it", d.ID)
	}
	for _, k := range old.Keys {
		nk, ok := d.Key(k.ID)
		if !ok {
			return credential.Errorf(credential.ReasonKeyChangeNotAllowed, "department %s: key %s cannot be removed; retire it or mark it compromised", d.ID, k.ID)
		}
		if nk.PublicKey != k.PublicKey {
			return credential.Errorf(credential.ReasonKeyChangeNotAllowed, "department %s: key %s cannot be replaced; register a new key id", d.ID, k.ID)
		}
		if k.Status == credential.KeyCompromised && (nk.Status != credential.KeyCompromised || !nk.CompromisedAt.Equal(k.CompromisedAt)) {
			return credential.Errorf(credential.ReasonKeyChangeNotAllowed, "department %s: key %s was compromised; that cannot be undone", d.ID, k.ID)
		}
	}
	return nil
}

// checkCompromiseTimes applies Key.CheckCompromiseTime to every compromise
// this write records or requests. A compromise already on the ledger is
// final and not checked again, so an old entry never blocks its department.
func checkCompromiseTimes(old, d credential.Department) error {
	for _, k := range d.Keys {
		if was, ok := old.Key(k.ID); ok && was.Status == credential.KeyCompromised {
			continue
		}
		if err := k.CheckCompromiseTime(); err != nil {
			return err
		}
	}
	return nil
}

// PutCredentialType adds or replaces a credential type (governance only).
// Every authorized issuer must be a registered issuing department.
func PutCredentialType(tx Tx, t credential.CredentialType) error {
	if err := t.Validate(); err != nil {
		return err
	}
	caller, err := requireGovernance(tx)
	if err != nil {
		return err
	}
	seen := make(map[string]bool, len(t.Issuers))
	for _, id := range t.Issuers {
		if seen[id] {
			return credential.Errorf(credential.ReasonInvalidRegistryEntry, "type %s: issuer %s is listed twice", t.ID, id)
		}
		seen[id] = true
		d, ok, err := department(tx, id)
		if err != nil {
			return err
		}
		if !ok {
			return credential.Errorf(credential.ReasonInvalidRegistryEntry, "type %s: issuer %s is not a registered department", t.ID, id)
		}
		if !d.HasRole(credential.RoleIssuer) {
			return credential.Errorf(credential.ReasonInvalidRegistryEntry, "type %s: department %s does not have the issuer role", t.ID, id)
		}
	}
	old, exists, err := credentialType(tx, t.ID)
	if err != nil {
		return err
	}
	if exists && old.Code != t.Code {
		return credential.Errorf(credential.ReasonRegistryFieldImmutable, "type %s: the code cannot change, identifiers embed it", t.ID)
	}
	holder, err := tx.GetState(typeCodeKey(t.Code))
	if err != nil {
		return ledgerErr("read "+typeCodeKey(t.Code), err)
	}
	if holder != nil && string(holder) != t.ID {
		return credential.Errorf(credential.ReasonTypeCodeTaken, "type code %s already belongs to type %s", t.Code, holder)
	}
	if err := putJSON(tx, typeKey(t.ID), t); err != nil {
		return err
	}
	if err := tx.PutState(typeCodeKey(t.Code), []byte(t.ID)); err != nil {
		return ledgerErr("write "+typeCodeKey(t.Code), err)
	}
	if err := restrictTo(tx, typeKey(t.ID), caller.MSPID); err != nil {
		return err
	}
	return restrictTo(tx, typeCodeKey(t.Code), caller.MSPID)
}

// GetRegistry returns every department and credential type, sorted by ID
// (the key order of the range scans).
func GetRegistry(tx Tx) (credential.Registry, error) {
	reg := credential.Registry{Departments: []credential.Department{}, Types: []credential.CredentialType{}}
	depts, err := tx.StateRange(prefixDepartment, prefixEnd(prefixDepartment))
	if err != nil {
		return reg, ledgerErr("scan departments", err)
	}
	for _, kv := range depts {
		var d credential.Department
		if err := json.Unmarshal(kv.Value, &d); err != nil {
			return reg, ledgerErr("decode "+kv.Key, err)
		}
		reg.Departments = append(reg.Departments, d)
	}
	types, err := tx.StateRange(prefixType, prefixEnd(prefixType))
	if err != nil {
		return reg, ledgerErr("scan types", err)
	}
	for _, kv := range types {
		var t credential.CredentialType
		if err := json.Unmarshal(kv.Value, &t); err != nil {
			return reg, ledgerErr("decode "+kv.Key, err)
		}
		reg.Types = append(reg.Types, t)
	}
	return reg, nil
}
