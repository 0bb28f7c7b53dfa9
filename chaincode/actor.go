package chaincode

import "github.com/certledger/certledger/credential"

// checkActor checks who the gateway says acted for the calling department:
// an API key's ID, a signed-in member of staff's subject, or neither (the
// department's own tools). The contract cannot see an ID token, so a staff
// subject's roles are the gateway's word; an API key's are on the ledger,
// and a key of the caller recorded with roles must hold need
// (docs/decisions/0020-staff-roles.md).
func checkActor(tx Tx, caller credential.Department, apiKeyID, staff string, need credential.StaffRole) error {
	if err := checkActingKey(apiKeyID); err != nil {
		return err
	}
	if staff != "" && !credential.ValidStaffSubject(staff) {
		e := credential.Errorf(credential.ReasonInvalidField, "staff must be an identity provider subject: printable ASCII, at most %d characters, no ID number", credential.MaxStaffSubject)
		e.Pointer = "/staff"
		return e
	}
	if apiKeyID != "" && staff != "" {
		e := credential.Errorf(credential.ReasonInvalidField, "a change is made with an API key or by a member of staff, not both")
		e.Pointer = "/staff"
		return e
	}
	if apiKeyID == "" {
		return nil
	}
	var k credential.APIKey
	found, err := getJSON(tx, apiKeyKey(apiKeyID), &k)
	if err != nil {
		return err
	}
	if found && k.Dept == caller.ID && !k.Allows(need) {
		return credential.Errorf(credential.ReasonRoleRequired, "API key %s lacks the %s role", apiKeyID, need)
	}
	return nil
}
