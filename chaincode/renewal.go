package chaincode

import "github.com/certledger/certledger/credential"

// predecessor checks the credential doc renews, if any, and returns its
// record. A version above 1 must renew the version before it of the same
// serial, so no client can add a version without these checks.
func predecessor(tx Tx, caller credential.Department, doc *credential.Document) (credential.Record, bool, error) {
	id, err := credential.ParseIdentifier(doc.ID)
	if err != nil {
		return credential.Record{}, false, err
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
	if id.Version > 1 {
		err = credential.CheckReissue(old, caller)
	} else {
		err = credential.CheckRenewal(old)
	}
	return old, err == nil, err
}
