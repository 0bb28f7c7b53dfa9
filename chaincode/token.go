package chaincode

import "github.com/certledger/certledger/credential"

// MaxTokenGeneration bounds a credential's token rotations, far above any
// real use, so the counter can never wrap.
const MaxTokenGeneration = 1 << 20

// RotateToken moves a credential to its next access token generation, so
// the old verification URL no longer shows its fields. Only the issuing
// department may. A revoked credential may still rotate: its printed link
// keeps showing the revocation, and a leaked token can still be withdrawn.
func RotateToken(tx Tx, id string, r credential.TokenRotation) (credential.Record, error) {
	if _, err := credential.ParseIdentifier(id); err != nil {
		return credential.Record{}, err
	}
	caller, rec, err := issuersRecord(tx, id, r.APIKeyID, r.Staff, credential.StaffClerk, "rotate the token of")
	if err != nil {
		return credential.Record{}, err
	}
	if rec.TokenGeneration >= MaxTokenGeneration {
		return credential.Record{}, credential.Errorf(credential.ReasonInvalidRequest, "credential %s has reached the most token rotations (%d)", id, MaxTokenGeneration)
	}
	now, err := tx.TxTimestamp()
	if err != nil {
		return credential.Record{}, ledgerErr("read the transaction time", err)
	}
	next := rec
	next.TokenGeneration = rec.TokenGeneration + 1
	next.LastChange = credential.Change{
		Action:   credential.ActionRotateToken,
		Actor:    caller.ID,
		APIKeyID: r.APIKeyID,
		Staff:    r.Staff,
		MSPID:    caller.MSPID,
		TxID:     tx.TxID(),
		Time:     now.UTC(),
		Status:   rec.Status,
	}
	next.Revision = rec.Revision + 1
	if err := writeRecord(tx, next, caller.MSPID); err != nil {
		return credential.Record{}, err
	}
	if err := emit(tx, next); err != nil {
		return credential.Record{}, err
	}
	return next, nil
}
