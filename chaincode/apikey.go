package chaincode

import (
	"encoding/json"
	"sort"
	"time"

	"github.com/certledger/certledger/credential"
)

// API keys are recorded on the ledger so that every gateway of the channel
// authenticates against the same list and a revocation reaches all of
// them. A record holds the key's SHA-256, never the key
// (docs/security.md says why the hash may be public).

// apiKeyRevocation is the record of a revocation, kept under its own key.
type apiKeyRevocation struct {
	RevokedAt      time.Time `json:"revokedAt"`
	RevokedBy      string    `json:"revokedBy"`
	RevokedByKey   string    `json:"revokedByKey,omitempty"`
	RevokedByStaff string    `json:"revokedByStaff,omitempty"`
	TxID           string    `json:"txId"`
}

func (r apiKeyRevocation) applyTo(k *credential.APIKey) {
	k.RevokedAt, k.RevokedBy, k.RevokedByKey, k.RevokedByStaff, k.RevokeTxID = r.RevokedAt, r.RevokedBy, r.RevokedByKey, r.RevokedByStaff, r.TxID
}

// CreateAPIKey records an API key of department k.Dept. The department
// itself may create its keys, the governance department any department's.
func CreateAPIKey(tx Tx, k credential.NewAPIKey) (credential.APIKey, error) {
	caller, err := CallerDepartment(tx)
	if err != nil {
		return credential.APIKey{}, err
	}
	if _, ok, err := department(tx, k.Dept); err != nil {
		return credential.APIKey{}, err
	} else if !ok {
		return credential.APIKey{}, credential.Errorf(credential.ReasonDepartmentNotFound, "department %q is not in the registry", k.Dept)
	}
	if caller.ID != k.Dept && !caller.HasRole(credential.RoleGovernance) {
		return credential.APIKey{}, credential.Errorf(credential.ReasonNotGovernance, "only department %s itself or the governance department may create its API keys", k.Dept)
	}
	if err := checkActor(tx, caller, k.ActingKey, k.ActingStaff, credential.StaffAdmin); err != nil {
		return credential.APIKey{}, err
	}
	roles, ok := credential.NormalizeStaffRoles(staffRoleStrings(k.Roles))
	if !ok {
		e := credential.Errorf(credential.ReasonInvalidField, "roles must be among clerk, approver and admin")
		e.Pointer = "/roles"
		return credential.APIKey{}, e
	}
	now, err := tx.TxTimestamp()
	if err != nil {
		return credential.APIKey{}, ledgerErr("read the transaction time", err)
	}
	now = now.UTC()
	label, err := checkNewAPIKey(k, now)
	if err != nil {
		return credential.APIKey{}, err
	}
	if old, err := tx.GetState(apiKeyKey(k.ID)); err != nil {
		return credential.APIKey{}, ledgerErr("read "+apiKeyKey(k.ID), err)
	} else if old != nil {
		return credential.APIKey{}, credential.Errorf(credential.ReasonAPIKeyExists, "API key %s is already recorded", k.ID)
	}
	rec := credential.APIKey{
		ID: k.ID, Dept: k.Dept, Prefix: k.Prefix, Label: label, SHA256: k.SHA256, ExpiresAt: k.ExpiresAt.UTC(), Roles: roles,
		Created: now, CreatedBy: caller.ID, CreatedByKey: k.ActingKey, CreatedByStaff: k.ActingStaff, CreateTxID: tx.TxID(),
	}
	if err := putJSON(tx, apiKeyKey(rec.ID), rec); err != nil {
		return credential.APIKey{}, err
	}
	// Written once: the creator's peers alone could endorse a rewrite.
	if err := restrictTo(tx, apiKeyKey(rec.ID), caller.MSPID); err != nil {
		return credential.APIKey{}, err
	}
	return rec, emitAPIKey(tx, rec)
}

// checkNewAPIKey checks what the contract can of a key it never sees: the
// hash's form, the ID derived from it, the public prefix's form, the label
// and the expiry, which must lie after the transaction. It returns the
// normalized label.
func checkNewAPIKey(k credential.NewAPIKey, now time.Time) (string, error) {
	invalid := func(ptr, format string, args ...any) error {
		e := credential.Errorf(credential.ReasonInvalidField, format, args...)
		e.Pointer = ptr
		return e
	}
	if !credential.ValidAPIKeyHash(k.SHA256) {
		return "", invalid("/sha256", "sha256 must be 64 lower-case hex digits")
	}
	if k.ID != credential.APIKeyIDOf(k.SHA256) {
		return "", invalid("/id", "the id of an API key is %s, derived from its hash", credential.APIKeyIDOf(k.SHA256))
	}
	if k.Prefix != "" && !credential.ValidAPIKeyPrefix(k.Prefix) {
		return "", invalid("/prefix", "prefix must be the key's first %d characters", credential.APIKeyPublicPrefixLength)
	}
	label, ok := credential.NormalizeAPIKeyLabel(k.Label)
	if !ok {
		return "", invalid("/label", "label must be at most %d characters without control characters", credential.MaxAPIKeyLabel)
	}
	if !k.ExpiresAt.IsZero() && !k.ExpiresAt.After(now) {
		return "", invalid("/expiresAt", "expiresAt %s is not after the ledger time %s", k.ExpiresAt.UTC().Format(time.RFC3339), now.Format(time.RFC3339))
	}
	if err := checkActingKey(k.ActingKey); err != nil {
		return "", err
	}
	return label, nil
}

// checkActingKey accepts an empty acting key or a key ID.
func checkActingKey(id string) error {
	if id != "" && !credential.ValidAPIKeyID(id) {
		e := credential.Errorf(credential.ReasonInvalidField, "apiKeyId must be an API key id (ak_ and 16 hex digits)")
		e.Pointer = "/apiKeyId"
		return e
	}
	return nil
}

// RevokeAPIKey revokes an API key for good. The key's department or the
// governance department may, except the governance department's last
// usable key: nothing could create another one.
func RevokeAPIKey(tx Tx, r credential.APIKeyRevocation) (credential.APIKey, error) {
	caller, err := CallerDepartment(tx)
	if err != nil {
		return credential.APIKey{}, err
	}
	if err := checkActor(tx, caller, r.ActingKey, r.ActingStaff, credential.StaffAdmin); err != nil {
		return credential.APIKey{}, err
	}
	k, err := readAPIKey(tx, r.Dept, r.ID)
	if err != nil {
		return k, err
	}
	if caller.ID != k.Dept && !caller.HasRole(credential.RoleGovernance) {
		return k, credential.Errorf(credential.ReasonNotKeyOwner, "only department %s itself or the governance department may revoke its API keys", k.Dept)
	}
	if !k.RevokedAt.IsZero() {
		return k, credential.Errorf(credential.ReasonAPIKeyAlreadyRevoked, "API key %s was revoked at %s", k.ID, k.RevokedAt.Format(time.RFC3339))
	}
	now, err := tx.TxTimestamp()
	if err != nil {
		return k, ledgerErr("read the transaction time", err)
	}
	now = now.UTC()
	if err := keepGovernanceKey(tx, k, now); err != nil {
		return k, err
	}
	rev := apiKeyRevocation{RevokedAt: now, RevokedBy: caller.ID, RevokedByKey: r.ActingKey, RevokedByStaff: r.ActingStaff, TxID: tx.TxID()}
	if err := putJSON(tx, apiKeyRevocationKey(k.ID), rev); err != nil {
		return k, err
	}
	// Final: only the revoker's peers could endorse a change of it.
	if err := restrictTo(tx, apiKeyRevocationKey(k.ID), caller.MSPID); err != nil {
		return k, err
	}
	rev.applyTo(&k)
	return k, emitAPIKey(tx, k)
}

// keepGovernanceKey refuses to revoke k when it is the last key of a
// governance department still active at now.
func keepGovernanceKey(tx Tx, k credential.APIKey, now time.Time) error {
	d, ok, err := department(tx, k.Dept)
	if err != nil || !ok || !d.HasRole(credential.RoleGovernance) || k.State(now) != credential.APIKeyActive {
		return err
	}
	keys, err := GetAPIKeys(tx, k.Dept)
	if err != nil {
		return err
	}
	for _, o := range keys {
		if o.ID != k.ID && o.State(now) == credential.APIKeyActive {
			return nil
		}
	}
	return credential.Errorf(credential.ReasonLastGovernanceAPIKey, "API key %s is the last active key of the governance department %s: create another one first", k.ID, k.Dept)
}

// readAPIKey returns key id of department dept with its revocation, if
// any; a key of another department is not found, like a missing one.
func readAPIKey(tx Tx, dept, id string) (credential.APIKey, error) {
	var k credential.APIKey
	found, err := getJSON(tx, apiKeyKey(id), &k)
	if err != nil {
		return k, err
	}
	if !found || k.Dept != dept || !credential.ValidAPIKeyID(id) {
		return credential.APIKey{}, credential.Errorf(credential.ReasonAPIKeyNotFound, "department %s has no API key %q", dept, id)
	}
	var rev apiKeyRevocation
	if found, err := getJSON(tx, apiKeyRevocationKey(id), &rev); err != nil {
		return k, err
	} else if found {
		rev.applyTo(&k)
	}
	return k, nil
}

// GetAPIKeys returns department dept's API keys, every department's when
// dept is empty, oldest first. The records are public state, which every
// member of the channel reads anyway, so the contract does not restrict
// who lists them; the gateway shows a department only its own.
func GetAPIKeys(tx Tx, dept string) ([]credential.APIKey, error) {
	if dept != "" && !credential.ValidRegistryID(dept) {
		return nil, credential.Errorf(credential.ReasonInvalidRequest, "%q is not a department id", dept)
	}
	created, err := tx.StateRange(prefixAPIKey, prefixEnd(prefixAPIKey))
	if err != nil {
		return nil, ledgerErr("scan API keys", err)
	}
	revoked, err := tx.StateRange(prefixAPIKeyRevocation, prefixEnd(prefixAPIKeyRevocation))
	if err != nil {
		return nil, ledgerErr("scan API key revocations", err)
	}
	revs := make(map[string][]byte, len(revoked))
	for _, kv := range revoked {
		revs[kv.Key[len(prefixAPIKeyRevocation):]] = kv.Value
	}
	out := []credential.APIKey{}
	for _, kv := range created {
		var k credential.APIKey
		if err := json.Unmarshal(kv.Value, &k); err != nil {
			return nil, ledgerErr("decode "+kv.Key, err)
		}
		if dept != "" && k.Dept != dept {
			continue
		}
		if raw, ok := revs[k.ID]; ok {
			var rev apiKeyRevocation
			if err := json.Unmarshal(raw, &rev); err != nil {
				return nil, ledgerErr("decode "+apiKeyRevocationKey(k.ID), err)
			}
			rev.applyTo(&k)
		}
		out = append(out, k)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

func emitAPIKey(tx Tx, k credential.APIKey) error {
	b, err := json.Marshal(k)
	if err != nil {
		return ledgerErr("encode event", err)
	}
	if err := tx.SetEvent(EventAPIKeyName, b); err != nil {
		return ledgerErr("set event", err)
	}
	return nil
}

func staffRoleStrings(roles []credential.StaffRole) []string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = string(r)
	}
	return out
}
