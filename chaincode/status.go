package chaincode

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/certledger/certledger/credential"
)

// MaxReasonLength bounds a status change reason, in characters.
const MaxReasonLength = 500

var errMissingRecord = errors.New("record not found")

// ChangeStatus suspends, reinstates or revokes a credential. Only the
// issuing department may; revoked is final.
func ChangeStatus(tx Tx, id string, ch credential.StatusChange) (credential.Record, error) {
	if _, err := credential.ParseIdentifier(id); err != nil {
		return credential.Record{}, err
	}
	reason, err := normalizeReason(ch.Reason)
	if err != nil {
		return credential.Record{}, err
	}
	caller, rec, err := issuersRecord(tx, id, ch.APIKeyID, ch.Staff, credential.StaffApprover, "change")
	if err != nil {
		return credential.Record{}, err
	}
	next, err := applyChange(rec, ch.Action, reason, ch.Code)
	if err != nil {
		return credential.Record{}, err
	}
	now, err := tx.TxTimestamp()
	if err != nil {
		return credential.Record{}, ledgerErr("read the transaction time", err)
	}
	change := credential.Change{
		Action:   ch.Action,
		Reason:   reason,
		Code:     next.RevocationCode,
		Actor:    caller.ID,
		APIKeyID: ch.APIKeyID,
		Staff:    ch.Staff,
		MSPID:    caller.MSPID,
		TxID:     tx.TxID(),
		Time:     now.UTC(),
		Status:   next.Status,
	}
	if ch.Action != credential.ActionRevoke {
		change.Code = ""
	}
	next.LastChange = change
	next.Revision = rec.Revision + 1
	if err := writeRecord(tx, next, caller.MSPID); err != nil {
		return credential.Record{}, err
	}
	if err := updateStatusIndex(tx, next, caller.MSPID); err != nil {
		return credential.Record{}, err
	}
	if err := emit(tx, next); err != nil {
		return credential.Record{}, err
	}
	return next, nil
}

// issuersRecord reads credential id for a change by the calling
// department, which must be its issuer, acting as checkActor accepts for
// role need; verb says what the refusal says the caller cannot do.
func issuersRecord(tx Tx, id, apiKeyID, staff string, need credential.StaffRole, verb string) (credential.Department, credential.Record, error) {
	caller, err := CallerDepartment(tx)
	if err != nil {
		return credential.Department{}, credential.Record{}, err
	}
	if err := checkActor(tx, caller, apiKeyID, staff, need); err != nil {
		return credential.Department{}, credential.Record{}, err
	}
	rec, err := readRecord(tx, id)
	if err != nil {
		return credential.Department{}, credential.Record{}, err
	}
	if rec.Issuer != caller.ID {
		return credential.Department{}, credential.Record{}, credential.Errorf(credential.ReasonNotIssuer, "only the issuing department can %s credential %s", verb, id)
	}
	return caller, rec, nil
}

// applyChange is the record's state machine:
//
//	valid     --suspend-->   suspended
//	suspended --reinstate--> valid
//	valid, suspended --revoke--> revoked (final)
func applyChange(rec credential.Record, action credential.Action, reason string, code credential.RevocationCode) (credential.Record, error) {
	if rec.Status == credential.StatusRevoked {
		return rec, credential.Errorf(credential.ReasonCredentialRevoked, "credential %s is revoked; revocation is final", rec.ID)
	}
	// A superseded version has no status of its own to suspend or
	// reinstate: its successor carries it. It may still be revoked.
	if rec.Superseded() && action != credential.ActionRevoke {
		return rec, credential.Errorf(credential.ReasonNotNewestVersion, "credential %s was superseded by %s; change the status of the newest version", rec.ID, rec.SupersededBy)
	}
	switch action {
	case credential.ActionSuspend:
		if reason == "" {
			return rec, credential.Errorf(credential.ReasonInvalidStatusChange, "a suspension needs a reason")
		}
		if rec.Status == credential.StatusSuspended {
			return rec, credential.Errorf(credential.ReasonAlreadySuspended, "credential %s is already suspended", rec.ID)
		}
		rec.Status, rec.StatusReason = credential.StatusSuspended, reason
	case credential.ActionReinstate:
		if rec.Status != credential.StatusSuspended {
			return rec, credential.Errorf(credential.ReasonNotSuspended, "only a suspended credential can be reinstated; %s is %s", rec.ID, rec.Status)
		}
		rec.Status, rec.StatusReason = credential.StatusValid, ""
	case credential.ActionRevoke:
		if reason == "" {
			return rec, credential.Errorf(credential.ReasonInvalidStatusChange, "a revocation needs a reason")
		}
		if !credential.ValidRevocationCode(code) {
			return rec, credential.Errorf(credential.ReasonInvalidStatusChange, "revocation code %q is not one of %s, %s, %s",
				code, credential.RevokedWithdrawn, credential.RevokedCancelled, credential.RevokedPenalty)
		}
		rec.Status, rec.StatusReason, rec.RevocationCode = credential.StatusRevoked, reason, code
	default:
		return rec, credential.Errorf(credential.ReasonInvalidStatusChange, "action %q is not one of %s, %s, %s",
			action, credential.ActionSuspend, credential.ActionReinstate, credential.ActionRevoke)
	}
	return rec, nil
}

// normalizeReason trims a reason and rejects overlong text and control
// characters (other than newlines), which have no place in an audit trail.
func normalizeReason(s string) (string, error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return "", credential.Errorf(credential.ReasonInvalidStatusChange, "the reason is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(s); n > MaxReasonLength {
		return "", credential.Errorf(credential.ReasonInvalidStatusChange, "the reason is %d characters long; the maximum is %d", n, MaxReasonLength)
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' {
			return "", credential.Errorf(credential.ReasonInvalidStatusChange, "the reason contains a control character")
		}
	}
	return s, nil
}
