package chaincode

import (
	"encoding/json"

	"github.com/certledger/certledger/credential"
)

// predecessor checks the credential doc renews, if any, and returns its
// record. A version above 1 must renew the version before it of the same
// serial, so no client can add a version without these checks. action is
// the request's: a renewal or change (credential.Action.NewVersion) of the
// newest version, or else a key's reissue.
func predecessor(tx Tx, caller credential.Department, doc *credential.Document, action credential.Action) (credential.Record, bool, error) {
	id, err := credential.ParseIdentifier(doc.ID)
	if err != nil {
		return credential.Record{}, false, err
	}
	if action != "" && !action.NewVersion() {
		return credential.Record{}, false, credential.Errorf(credential.ReasonInvalidRequest,
			"the action of an issue request is empty, %s or %s, not %q", credential.ActionRenew, credential.ActionChange, action)
	}
	if action.NewVersion() && (id.Version < 2 || doc.Renews == "") {
		return credential.Record{}, false, credential.Errorf(credential.ReasonInvalidDocument,
			"a %s is a new version of a credential: version 2 or above, renewing the one before", action)
	}
	if id.Version > 1 {
		prev := id
		prev.Version--
		if doc.Renews != prev.String() {
			return credential.Record{}, false, credential.Errorf(credential.ReasonInvalidDocument,
				"version %d of a credential must renew version %d of the same serial, %s", id.Version, prev.Version, prev)
		}
	}
	if doc.Renews == "" {
		return credential.Record{}, false, nil
	}
	old, err := readRecord(tx, doc.Renews)
	if credential.ErrorReason(err) == credential.ReasonCredentialNotFound {
		return old, false, credential.Errorf(credential.ReasonRenewedNotOnLedger, "the renewed credential %s is not on the ledger", doc.Renews)
	}
	if err != nil {
		return old, false, err
	}
	if old.Issuer != caller.ID {
		return old, false, credential.Errorf(credential.ReasonNotIssuer, "only the issuing department can renew credential %s", doc.Renews)
	}
	switch {
	case action.NewVersion():
		err = checkNewVersion(tx, caller, old, doc, action)
	case id.Version > 1:
		err = credential.CheckReissue(old, caller)
	default:
		err = credential.CheckRenewal(old)
	}
	return old, err == nil, err
}

// checkNewVersion is a renewal's or change's own checks: prev is not
// revoked, is the newest version (no renewal superseded it, and no record
// of the next version exists), and doc differs from prev's document only
// as the action allows. prev's document is read from the caller's own
// collection, which its endorsing peers hold.
func checkNewVersion(tx Tx, caller credential.Department, prev credential.Record, doc *credential.Document, action credential.Action) error {
	if err := credential.CheckRenewal(prev); err != nil {
		return err
	}
	if err := credential.CheckNewestVersion(prev); err != nil {
		return err
	}
	next, err := tx.GetState(recordKey(doc.ID))
	if err != nil {
		return ledgerErr("read "+recordKey(doc.ID), err)
	}
	if next != nil {
		return credential.Errorf(credential.ReasonNotNewestVersion, "credential %s already has a newer version, %s", prev.ID, doc.ID)
	}
	if a, i, ok, err := anchorOf(tx, prev.ID); err != nil {
		return err
	} else if ok {
		old, err := anchoredDocument(tx, a, i, caller.MSPID)
		if err != nil {
			return err
		}
		return credential.CheckNewVersionContent(action, &old, doc)
	}
	b, err := tx.GetPrivateData(DocumentCollection(caller.MSPID), documentKey(prev.ID))
	if err != nil {
		return ledgerErr("read private document", err)
	}
	if b == nil {
		return credential.Errorf(credential.ReasonDocumentNotFound, "no document of %s in the private data collection", prev.ID)
	}
	var old credential.Document
	if err := json.Unmarshal(b, &old); err != nil {
		return ledgerErr("decode private document", err)
	}
	return credential.CheckNewVersionContent(action, &old, doc)
}

// supersede records, in the transaction of the renewal or change ch that
// made version next, that next replaced prev. keep leaves prev valid until
// its own end (the type's RenewalKeepsPrevious, for renewals only). The
// status index then lists prev as superseded unless it is kept, so a W3C
// status list shows it revoked (docs/decisions/0017).
func supersede(tx Tx, prev credential.Record, next string, keep bool, ch credential.Change) (credential.Record, error) {
	prev.SupersededBy, prev.KeepsValidity = next, keep
	ch.Action, ch.Status, ch.Renews, ch.SupersededBy = credential.ActionSupersede, prev.Status, "", next
	prev.LastChange = ch
	prev.Revision++
	if err := writeRecord(tx, prev, ch.MSPID); err != nil {
		return prev, err
	}
	if err := updateStatusIndex(tx, prev, ch.MSPID); err != nil {
		return prev, err
	}
	return prev, nil
}
