package chaincode

import (
	"encoding/json"

	"github.com/certledger/certledger/credential"
)

func readRecord(tx Tx, id string) (credential.Record, error) {
	var rec credential.Record
	found, err := getJSON(tx, recordKey(id), &rec)
	if err != nil {
		return rec, err
	}
	if found {
		return rec, nil
	}
	// A credential of an anchored batch has no record of its own until it
	// changes: its record is derived from the batch.
	rec, found, err = anchoredRecord(tx, id)
	if err != nil {
		return rec, err
	}
	if !found {
		return rec, credential.Errorf(credential.ReasonCredentialNotFound, "credential %s is not on the ledger", id)
	}
	return rec, nil
}

// GetRecord returns the public record of a credential.
func GetRecord(tx Tx, id string) (credential.Record, error) {
	if _, err := credential.ParseIdentifier(id); err != nil {
		return credential.Record{}, err
	}
	return readRecord(tx, id)
}

// GetDocument returns the full signed document from the issuing
// department's private data collection, found through the record's issuer.
// On Fabric only the issuer's peers hold it and only the issuer's clients
// may read it (memberOnlyRead): another department's read fails.
func GetDocument(tx Tx, id string) (credential.Document, error) {
	var doc credential.Document
	rec, err := GetRecord(tx, id)
	if err != nil {
		return doc, err
	}
	issuer, ok, err := department(tx, rec.Issuer)
	if err != nil {
		return doc, err
	}
	if !ok {
		return doc, credential.Errorf(credential.ReasonInternal, "credential %s names issuer %q, which is not in the registry", id, rec.Issuer)
	}
	if a, i, ok, err := anchorOf(tx, id); err != nil {
		return doc, err
	} else if ok {
		return anchoredDocument(tx, a, i, issuer.MSPID)
	}
	b, err := tx.GetPrivateData(DocumentCollection(issuer.MSPID), documentKey(id))
	if err != nil {
		return doc, ledgerErr("read private document", err)
	}
	if b == nil {
		return doc, credential.Errorf(credential.ReasonDocumentNotFound, "no document of %s in the private data collection", id)
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return doc, ledgerErr("decode private document", err)
	}
	return doc, nil
}

// GetHistory returns every change of a credential, oldest first, from the
// record key's history: each committed version of the record carries the
// change that produced it.
func GetHistory(tx Tx, id string) ([]credential.Change, error) {
	if _, err := credential.ParseIdentifier(id); err != nil {
		return nil, err
	}
	mods, err := tx.History(recordKey(id))
	if err != nil {
		return nil, ledgerErr("read history of "+recordKey(id), err)
	}
	changes := make([]credential.Change, 0, len(mods)+1)
	// An anchored credential's issuance is its batch's; its own record key
	// holds only the changes since.
	if rec, ok, err := anchoredRecord(tx, id); err != nil {
		return nil, err
	} else if ok {
		changes = append(changes, rec.LastChange)
	}
	// History is newest first; walk it backwards.
	for i := len(mods) - 1; i >= 0; i-- {
		m := mods[i]
		if m.IsDelete {
			continue
		}
		var rec credential.Record
		if err := json.Unmarshal(m.Value, &rec); err != nil {
			return nil, ledgerErr("decode history of "+recordKey(id), err)
		}
		changes = append(changes, rec.LastChange)
	}
	if len(changes) == 0 {
		return nil, credential.Errorf(credential.ReasonCredentialNotFound, "credential %s is not on the ledger", id)
	}
	return changes, nil
}
