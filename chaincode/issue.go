package chaincode

import (
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/certledger/certledger/credential"
)

// Bounds on issuance input. The largest schema (64 fields of up to a few
// thousand characters) fits well inside MaxRequestSize.
const (
	MaxRequestSize = 1 << 20
	// IssuedAtTolerance is how far a document's IssuedAt may be from the
	// transaction timestamp.
	IssuedAtTolerance = 10 * time.Minute
	maxIdempotencyKey = 128
)

// idempotencyEntry remembers which record an idempotency key produced and
// for which request.
type idempotencyEntry struct {
	RecordID    string `json:"recordId"`
	RequestHash string `json:"requestHash"`
}

// Issue records a new credential from the IssueRequest in the transient
// data (key TransientRequest): the public record goes to world state, the
// full document to the private data collection.
func Issue(tx Tx) (credential.IssueResult, error) {
	caller, err := CallerDepartment(tx)
	if err != nil {
		return credential.IssueResult{}, err
	}
	req, err := readIssueRequest(tx)
	if err != nil {
		return credential.IssueResult{}, err
	}
	if req.IdempotencyKey != "" {
		rec, replay, err := checkIdempotency(tx, caller.ID, req)
		if err != nil || replay {
			return credential.IssueResult{Record: rec, Replayed: replay}, err
		}
	}
	now, err := tx.TxTimestamp()
	if err != nil {
		return credential.IssueResult{}, ledgerErr("read the transaction time", err)
	}
	doc := &req.Document
	if err := checkDocument(tx, caller, doc, now.UTC()); err != nil {
		return credential.IssueResult{}, err
	}
	prev, renews, err := predecessor(tx, caller, doc, req.Action)
	if err != nil {
		return credential.IssueResult{}, err
	}
	reason, err := normalizeReason(req.Reason)
	if err != nil {
		return credential.IssueResult{}, err
	}
	if req.Action == credential.ActionChange && reason == "" {
		return credential.IssueResult{}, credential.Errorf(credential.ReasonInvalidField, "a change needs a reason")
	}
	if err := checkActor(tx, caller, req.APIKeyID, req.Staff, credential.StaffClerk); err != nil {
		return credential.IssueResult{}, err
	}
	// The contract holds no holder key, so it cannot tell whether a reference
	// is scoped to the issuing department (docs/decisions/0010). It checks the
	// form, and that a new version of a credential keeps its predecessor's.
	if !validHex(req.HolderRef, 64) {
		return credential.IssueResult{}, credential.Errorf(credential.ReasonInvalidField, "holderRef must be 64 hex characters (an HMAC-SHA256)")
	}
	if renews && doc.Version > 1 && req.HolderRef != prev.HolderRef {
		return credential.IssueResult{}, credential.Errorf(credential.ReasonInvalidField, "holderRef of version %d must be that of version %d, %s: a new version has the same holder", doc.Version, doc.Version-1, doc.Renews)
	}
	existing, err := tx.GetState(recordKey(doc.ID))
	if err != nil {
		return credential.IssueResult{}, ledgerErr("read "+recordKey(doc.ID), err)
	}
	if existing == nil {
		// An anchored batch owns every serial of its token, held or not.
		if held, err := batchOwnsSerial(tx, doc.ID); err != nil {
			return credential.IssueResult{}, err
		} else if held {
			existing = []byte{}
		}
	}
	if existing != nil {
		return credential.IssueResult{}, credential.Errorf(credential.ReasonDuplicateID, "credential %s already exists", doc.ID)
	}

	action := credential.ActionIssue
	if req.Action.NewVersion() {
		action = req.Action
	}
	change := credential.Change{
		Action:   action,
		Reason:   reason,
		Renews:   doc.Renews,
		Actor:    caller.ID,
		APIKeyID: req.APIKeyID,
		Staff:    req.Staff,
		MSPID:    caller.MSPID,
		TxID:     tx.TxID(),
		Time:     now.UTC(),
		Status:   credential.StatusValid,
	}
	rec := credential.Record{
		ID:         doc.ID,
		Type:       doc.Type,
		Issuer:     doc.Issuer,
		Digest:     doc.Proof.Digest,
		KeyID:      doc.Proof.KeyID,
		HolderRef:  req.HolderRef,
		Status:     credential.StatusValid,
		IssuedAt:   doc.IssuedAt.UTC(),
		ValidFrom:  doc.ValidFrom.UTC(),
		ValidUntil: doc.ValidUntil.UTC(),
		Version:    doc.Version,
		Renews:     doc.Renews,
		IssueTxID:  tx.TxID(),
		LastChange: change,
		Revision:   1,
	}
	// Renewing a suspended credential must not lift its suspension.
	if renews && prev.Status == credential.StatusSuspended {
		rec.Status, rec.StatusReason = credential.StatusSuspended, prev.StatusReason
		rec.LastChange.Status, rec.LastChange.Reason = credential.StatusSuspended, prev.StatusReason
	}
	if req.StatusSequence != 0 {
		if err := allocateStatus(tx, caller.ID, caller.MSPID, rec.ID, rec.Status, req.StatusSequence); err != nil {
			return credential.IssueResult{}, err
		}
		rec.StatusSequence = req.StatusSequence
	}
	if err := putJSON(tx, recordKey(rec.ID), rec); err != nil {
		return credential.IssueResult{}, err
	}
	// From now on only the issuing department's peers can endorse a change
	// of this record: another department calling the chaincode with its own
	// identity cannot get its write validated.
	if err := restrictTo(tx, recordKey(rec.ID), caller.MSPID); err != nil {
		return credential.IssueResult{}, err
	}
	// A new version takes its predecessor's place in the holder's list.
	if err := indexHolder(tx, rec, caller.MSPID); err != nil {
		return credential.IssueResult{}, err
	}
	if err := indexDepartment(tx, rec, prev, replacesVersion(rec, renews), caller.MSPID); err != nil {
		return credential.IssueResult{}, err
	}
	if err := putDocument(tx, doc, caller.MSPID); err != nil {
		return credential.IssueResult{}, err
	}
	var superseded *credential.Record
	if req.Action.NewVersion() {
		t, _, err := typeByCode(tx, doc.Type)
		if err != nil {
			return credential.IssueResult{}, err
		}
		keep := req.Action == credential.ActionRenew && t.RenewalKeepsPrevious
		old, err := supersede(tx, prev, rec.ID, keep, change)
		if err != nil {
			return credential.IssueResult{}, err
		}
		superseded = &old
	}
	if req.IdempotencyKey != "" {
		k := idempotencyKey(caller.ID, req.IdempotencyKey)
		if err := putJSON(tx, k, idempotencyEntry{RecordID: rec.ID, RequestHash: req.RequestHash}); err != nil {
			return credential.IssueResult{}, err
		}
		if err := restrictTo(tx, k, caller.MSPID); err != nil {
			return credential.IssueResult{}, err
		}
	}
	if err := emitNewVersion(tx, rec, superseded); err != nil {
		return credential.IssueResult{}, err
	}
	return credential.IssueResult{Record: rec, Superseded: superseded}, nil
}

func readIssueRequest(tx Tx) (credential.IssueRequest, error) {
	var req credential.IssueRequest
	raw, err := tx.Transient(TransientRequest)
	if err != nil {
		return req, ledgerErr("read transient data", err)
	}
	if raw == nil {
		return req, credential.Errorf(credential.ReasonInvalidRequest, "the issue request must be passed as transient data under %q", TransientRequest)
	}
	if len(raw) > MaxRequestSize {
		return req, credential.Errorf(credential.ReasonInvalidRequest, "the issue request is larger than %d bytes", MaxRequestSize)
	}
	if err := json.Unmarshal(raw, &req); err != nil {
		return req, credential.Wrapf(err, credential.ReasonInvalidRequest, "the issue request is not valid JSON")
	}
	return req, nil
}

// checkIdempotency looks up the department's idempotency key. replay is true
// when the same request was already recorded; a different request under
// the same key is a conflict.
func checkIdempotency(tx Tx, deptID string, req credential.IssueRequest) (credential.Record, bool, error) {
	if !validToken(req.IdempotencyKey, maxIdempotencyKey) {
		return credential.Record{}, false, credential.Errorf(credential.ReasonInvalidField, "idempotencyKey must be 1-%d characters of letters, digits, '-' or '_'", maxIdempotencyKey)
	}
	if !validToken(req.RequestHash, maxIdempotencyKey) {
		return credential.Record{}, false, credential.Errorf(credential.ReasonInvalidField, "requestHash must be 1-%d characters of letters, digits, '-' or '_' when an idempotency key is given", maxIdempotencyKey)
	}
	var e idempotencyEntry
	found, err := getJSON(tx, idempotencyKey(deptID, req.IdempotencyKey), &e)
	if err != nil || !found {
		return credential.Record{}, false, err
	}
	if e.RequestHash != req.RequestHash {
		return credential.Record{}, false, credential.Errorf(credential.ReasonIdempotencyKeyReused, "the idempotency key was already used for a different request")
	}
	var rec credential.Record
	found, err = getJSON(tx, recordKey(e.RecordID), &rec)
	if err != nil {
		return rec, false, err
	}
	if !found {
		return rec, false, ledgerErr("idempotency entry points to a missing record "+e.RecordID, errMissingRecord)
	}
	return rec, true, nil
}

// checkDocument runs every check a new document must pass: the caller
// issues in its own name a type it is authorized for, the document matches
// the registry's schema and names a holder ID type the type accepts, its
// digest matches its content, the signature is made with a registered
// active key, and it was issued just now. The credential it renews is
// checked by predecessor.
func checkDocument(tx Tx, caller credential.Department, doc *credential.Document, now time.Time) error {
	t, ok, err := typeByCode(tx, doc.Type)
	if err != nil {
		return err
	}
	if !ok {
		return credential.Errorf(credential.ReasonUnknownType, "unknown credential type %q", doc.Type)
	}
	if !t.AuthorizesIssuer(caller.ID) {
		return credential.Errorf(credential.ReasonNotAuthorizedForType, "department %s is not authorized to issue %s", caller.ID, t.ID)
	}
	if doc.Issuer != caller.ID {
		return credential.Errorf(credential.ReasonIssuerMismatch, "department %s cannot issue in the name of %q", caller.ID, doc.Issuer)
	}
	reg := credential.Registry{Departments: []credential.Department{caller}, Types: []credential.CredentialType{t}}
	if _, _, err := doc.CheckStructure(reg, true); err != nil {
		return err
	}
	// The full document arrives as transient data, so the holder's ID type
	// is checked here without any of it reaching world state.
	if err := t.CheckHolderIDType(doc.Holder().IDType); err != nil {
		return err
	}
	if err := doc.CheckIntegrity(); err != nil {
		return err
	}
	k, ok := caller.Key(doc.Proof.KeyID)
	if !ok {
		return credential.Errorf(credential.ReasonUnknownKey, "key %q is not registered for %s", doc.Proof.KeyID, caller.ID)
	}
	if k.Status != credential.KeyActive {
		return credential.Errorf(credential.ReasonKeyNotUsable, "key %s is %s and cannot sign new credentials", k.ID, k.Status)
	}
	if err := k.AcceptsSignatureAt(doc.IssuedAt); err != nil {
		return err
	}
	pub, err := k.Ed25519()
	if err != nil {
		return err
	}
	if err := doc.CheckSignature(pub); err != nil {
		return err
	}
	if d := doc.IssuedAt.Sub(now); d > IssuedAtTolerance || d < -IssuedAtTolerance {
		return credential.Errorf(credential.ReasonIssuedAtSkew, "issuedAt %s is more than %s away from the ledger time %s",
			doc.IssuedAt.UTC().Format(time.RFC3339), IssuedAtTolerance, now.Format(time.RFC3339))
	}
	return nil
}

// putDocument stores the full document in the issuing department's private
// data collection. Its JSON has sorted claims, so every endorser writes the
// same bytes.
func putDocument(tx Tx, doc *credential.Document, mspID string) error {
	doc.SortClaims()
	b, err := json.Marshal(doc)
	if err != nil {
		return ledgerErr("encode document", err)
	}
	coll := DocumentCollection(mspID)
	if err := tx.PutPrivateData(coll, documentKey(doc.ID), b); err != nil {
		return ledgerErr("write private document", err)
	}
	if err := tx.RestrictPrivateTo(coll, documentKey(doc.ID), mspID); err != nil {
		return ledgerErr("set document policy", err)
	}
	return nil
}

func validHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// validToken accepts 1..max characters of [A-Za-z0-9_-]; tokens become part
// of ledger keys, so nothing else (no '/', no control bytes) gets in.
func validToken(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// batchOwnsSerial reports whether id is a version-1 identifier of anchored
// shape whose batch is on the ledger, whatever its leaf index: a single
// issuance never takes a serial of a batch's token.
func batchOwnsSerial(tx Tx, id string) (bool, error) {
	p, err := credential.ParseIdentifier(id)
	if err != nil || p.Version != 1 {
		return false, nil
	}
	token, _, ok := credential.IsAnchoredSerial(p.Serial)
	if !ok {
		return false, nil
	}
	b, err := tx.GetState(anchorKey(p.Issuer, p.TypeCode, token))
	if err != nil {
		return false, ledgerErr("read "+anchorKey(p.Issuer, p.TypeCode, token), err)
	}
	return b != nil, nil
}
