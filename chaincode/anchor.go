package chaincode

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/certledger/certledger/credential"
)

// Anchored batches (docs/decisions/0021-anchored-batches.md): one
// transaction records a batch of credentials under a Merkle root. A batch's
// own keys name the issuer by its code (USCC), as its identifiers do, so an
// identifier leads to its batch; its status runs, by department ID. Keys:
//
//	anchor/<issuer code>/<type code>/<token>               -> credential.Anchor
//	anchorleaf/<issuer code>/<type code>/<token>/<chunk>   -> []credential.AnchorLeaf
//	anchordoc/<issuer code>/<type code>/<token>/<chunk>    -> EncodeAnchorChunk blob (private)
//	anchorstatus/<department>/<last sequence, 20 digits>  -> anchorStatusEntry
const (
	prefixAnchor       = "anchor/"
	prefixAnchorLeaf   = "anchorleaf/"
	prefixAnchorDoc    = "anchordoc/"
	prefixAnchorStatus = "anchorstatus/"
	// MaxAnchorRequestSize bounds the transient request of AnchorBatch
	// (the leaves; documents travel in their own chunks).
	MaxAnchorRequestSize = 4 << 20
)

func anchorName(issuerCode, typeCode, token string) string {
	return issuerCode + "/" + typeCode + "/" + token
}
func anchorNameOf(a credential.Anchor) string { return anchorName(a.IssuerCode, a.Type, a.Token) }
func anchorKey(issuerCode, typeCode, token string) string {
	return prefixAnchor + anchorName(issuerCode, typeCode, token)
}
func anchorLeafKey(a credential.Anchor, chunk int) string {
	return fmt.Sprintf("%s%s/%04d", prefixAnchorLeaf, anchorNameOf(a), chunk)
}
func anchorDocKey(a credential.Anchor, chunk int) string {
	return fmt.Sprintf("%s%s/%04d", prefixAnchorDoc, anchorNameOf(a), chunk)
}
func anchorStatusPrefix(dept string) string { return prefixAnchorStatus + dept + "/" }
func anchorStatusKey(dept string, last uint64) string {
	return fmt.Sprintf("%s%020d", anchorStatusPrefix(dept), last)
}

// anchorStatusEntry is a batch's run of status positions.
type anchorStatusEntry struct {
	Token string `json:"token"`
	Type  string `json:"type"`
	Count int    `json:"count"`
}

// AnchorBatch records the anchored batch of the AnchorRequest under
// transient key TransientAnchor, with its documents under
// TransientAnchorChunk(i). What it checks is the decision's list: the
// caller's authority, the key, the root, identifier uniqueness and the
// status run; the documents it stores unread in the caller's collection.
func AnchorBatch(tx Tx) (credential.AnchorResult, error) {
	caller, err := CallerDepartment(tx)
	if err != nil {
		return credential.AnchorResult{}, err
	}
	req, rawLeaves, err := readAnchorRequest(tx)
	if err != nil {
		return credential.AnchorResult{}, err
	}
	if err := req.Validate(); err != nil {
		return credential.AnchorResult{}, err
	}
	chunks, err := readAnchorChunks(tx, len(req.Leaves))
	if err != nil {
		return credential.AnchorResult{}, err
	}
	now, err := tx.TxTimestamp()
	if err != nil {
		return credential.AnchorResult{}, ledgerErr("read the transaction time", err)
	}
	now = now.UTC()
	if err := checkAnchorAuthority(tx, caller, req, now); err != nil {
		return credential.AnchorResult{}, err
	}
	for i := range req.Leaves {
		l := &req.Leaves[i]
		l.ValidFrom = l.ValidFrom.UTC()
		if !l.ValidUntil.IsZero() {
			l.ValidUntil = l.ValidUntil.UTC()
		}
	}
	// The token is the batch's idempotency key: documents signed again
	// have new salts and a new root, so the rows' hash decides a replay.
	var prev credential.Anchor
	found, err := getJSON(tx, anchorKey(caller.USCC, req.Type, req.Token), &prev)
	if err != nil {
		return credential.AnchorResult{}, err
	}
	if found {
		if prev.RequestHash == req.RequestHash {
			return credential.AnchorResult{Anchor: prev, Replayed: true}, nil
		}
		return credential.AnchorResult{}, credential.Errorf(credential.ReasonIdempotencyKeyReused, "batch %s of %s was already anchored with other rows", req.Token, req.Type)
	}
	root, chunkRoots := credential.AnchorRoots(req.Type, caller.USCC, req.Token, req.Leaves)
	if hex.EncodeToString(root[:]) != req.Root {
		return credential.AnchorResult{}, credential.Errorf(credential.ReasonInvalidField, "root does not match the leaves: the leaves give %x", root)
	}
	if err := checkAnchorSerialsFree(tx, caller.USCC, req); err != nil {
		return credential.AnchorResult{}, err
	}
	if err := checkAnchorStatusFree(tx, caller.ID, req.StatusFrom, len(req.Leaves)); err != nil {
		return credential.AnchorResult{}, err
	}
	a := credential.Anchor{
		Token: req.Token, Type: req.Type, Issuer: caller.ID, IssuerCode: caller.USCC, KeyID: req.KeyID, IssuedAt: req.IssuedAt.UTC(),
		Count: len(req.Leaves), Root: req.Root, StatusFrom: req.StatusFrom, RequestHash: req.RequestHash,
		APIKeyID: req.APIKeyID, Staff: req.Staff, MSPID: caller.MSPID, TxID: tx.TxID(), Time: now,
	}
	for _, c := range chunkRoots {
		a.ChunkRoots = append(a.ChunkRoots, hex.EncodeToString(c[:]))
	}
	if err := putRestricted(tx, anchorKey(a.IssuerCode, a.Type, a.Token), a, caller.MSPID); err != nil {
		return credential.AnchorResult{}, err
	}
	coll := DocumentCollection(caller.MSPID)
	for c := range chunks {
		// The leaves are stored as they came, in their binary form.
		chunk := rawLeaves[c*credential.AnchorChunkSize*credential.AnchorLeafSize : min((c+1)*credential.AnchorChunkSize, a.Count)*credential.AnchorLeafSize]
		if err := putRawRestricted(tx, anchorLeafKey(a, c), chunk, caller.MSPID); err != nil {
			return credential.AnchorResult{}, err
		}
		k := anchorDocKey(a, c)
		if err := tx.PutPrivateData(coll, k, chunks[c]); err != nil {
			return credential.AnchorResult{}, ledgerErr("write private documents", err)
		}
		if err := tx.RestrictPrivateTo(coll, k, caller.MSPID); err != nil {
			return credential.AnchorResult{}, ledgerErr("set documents policy", err)
		}
	}
	if err := putRestricted(tx, anchorStatusKey(a.Issuer, a.StatusFrom+uint64(a.Count)-1), anchorStatusEntry{Token: a.Token, Type: a.Type, Count: a.Count}, caller.MSPID); err != nil {
		return credential.AnchorResult{}, err
	}
	if err := indexAnchorHolders(tx, a, req.Leaves, caller.MSPID); err != nil {
		return credential.AnchorResult{}, err
	}
	if err := indexAnchorDepartment(tx, a, caller.MSPID); err != nil {
		return credential.AnchorResult{}, err
	}
	payload, err := json.Marshal(a)
	if err != nil {
		return credential.AnchorResult{}, ledgerErr("encode anchor event", err)
	}
	if err := tx.SetEvent(EventAnchorName, payload); err != nil {
		return credential.AnchorResult{}, ledgerErr("set event", err)
	}
	return credential.AnchorResult{Anchor: a}, nil
}

func putRestricted(tx Tx, key string, v any, mspID string) error {
	if err := putJSON(tx, key, v); err != nil {
		return err
	}
	return restrictTo(tx, key, mspID)
}

// putRawRestricted is putRestricted for a value already encoded.
func putRawRestricted(tx Tx, key string, b []byte, mspID string) error {
	if err := tx.PutState(key, b); err != nil {
		return ledgerErr("write "+key, err)
	}
	return restrictTo(tx, key, mspID)
}

// AnchorTransient is the transient data of an AnchorBatch call for req:
// the request's JSON, its leaves in their stored binary form, and each
// chunk of documents. Both backends send it as it is.
func AnchorTransient(req credential.AnchorRequest) (map[string][]byte, error) {
	raw, err := json.Marshal(req)
	if err != nil {
		return nil, credential.Wrapf(err, credential.ReasonInvalidRequest, "the anchor request cannot be encoded")
	}
	if len(raw) > MaxAnchorRequestSize {
		return nil, credential.Errorf(credential.ReasonInvalidRequest, "the anchor request is larger than %d bytes", MaxAnchorRequestSize)
	}
	leaves, err := credential.EncodeAnchorLeaves(req.Leaves)
	if err != nil {
		return nil, err
	}
	m := make(map[string][]byte, len(req.Chunks)+2)
	m[TransientAnchor], m[TransientAnchorLeaves] = raw, leaves
	for i, c := range req.Chunks {
		m[TransientAnchorChunk(i)] = c
	}
	return m, nil
}

// readAnchorRequest reads the request and its leaves, which it also
// answers in their binary form, to be stored as they are.
func readAnchorRequest(tx Tx) (credential.AnchorRequest, []byte, error) {
	var req credential.AnchorRequest
	raw, err := tx.Transient(TransientAnchor)
	if err != nil {
		return req, nil, ledgerErr("read transient data", err)
	}
	if raw == nil {
		return req, nil, credential.Errorf(credential.ReasonInvalidRequest, "the anchor request must be passed as transient data under %q", TransientAnchor)
	}
	if len(raw) > MaxAnchorRequestSize {
		return req, nil, credential.Errorf(credential.ReasonInvalidRequest, "the anchor request is larger than %d bytes", MaxAnchorRequestSize)
	}
	if err := json.Unmarshal(raw, &req); err != nil {
		return req, nil, credential.Wrapf(err, credential.ReasonInvalidRequest, "the anchor request is not valid JSON")
	}
	leaves, err := tx.Transient(TransientAnchorLeaves)
	if err != nil {
		return req, nil, ledgerErr("read transient data", err)
	}
	if len(leaves) > credential.MaxAnchorLeaves*credential.AnchorLeafSize {
		return req, nil, credential.Errorf(credential.ReasonInvalidRequest, "the leaves are larger than %d bytes", credential.MaxAnchorLeaves*credential.AnchorLeafSize)
	}
	if req.Leaves, err = credential.DecodeAnchorLeaves(leaves); err != nil {
		return req, nil, err
	}
	return req, leaves, nil
}

// readAnchorChunks reads the document chunks of n leaves, exactly
// AnchorChunks(n) of them.
func readAnchorChunks(tx Tx, n int) ([][]byte, error) {
	out := make([][]byte, credential.AnchorChunks(n))
	for i := range out {
		b, err := tx.Transient(TransientAnchorChunk(i))
		if err != nil {
			return nil, ledgerErr("read transient data", err)
		}
		if len(b) == 0 {
			return nil, credential.Errorf(credential.ReasonInvalidRequest, "chunk %d of the documents is missing (transient key %q)", i, TransientAnchorChunk(i))
		}
		if len(b) > credential.MaxAnchorChunk {
			return nil, credential.Errorf(credential.ReasonInvalidRequest, "chunk %d of the documents is larger than %d bytes", i, credential.MaxAnchorChunk)
		}
		out[i] = b
	}
	if b, err := tx.Transient(TransientAnchorChunk(len(out))); err != nil {
		return nil, ledgerErr("read transient data", err)
	} else if b != nil {
		return nil, credential.Errorf(credential.ReasonInvalidRequest, "the batch of %d credentials has more than %d chunks of documents", n, len(out))
	}
	return out, nil
}

// checkAnchorAuthority is checkDocument for a batch: the caller may issue
// the type, the key signs for it now, and the acting key or staff is a clerk.
func checkAnchorAuthority(tx Tx, caller credential.Department, req credential.AnchorRequest, now time.Time) error {
	t, ok, err := typeByCode(tx, req.Type)
	if err != nil {
		return err
	}
	if !ok {
		return credential.Errorf(credential.ReasonUnknownType, "unknown credential type %q", req.Type)
	}
	if !t.AuthorizesIssuer(caller.ID) {
		return credential.Errorf(credential.ReasonNotAuthorizedForType, "department %s is not authorized to issue %s", caller.ID, t.ID)
	}
	k, ok := caller.Key(req.KeyID)
	if !ok {
		return credential.Errorf(credential.ReasonUnknownKey, "key %q is not registered for %s", req.KeyID, caller.ID)
	}
	if k.Status != credential.KeyActive {
		return credential.Errorf(credential.ReasonKeyNotUsable, "key %s is %s and cannot sign new credentials", k.ID, k.Status)
	}
	if err := k.AcceptsSignatureAt(req.IssuedAt); err != nil {
		return err
	}
	if d := req.IssuedAt.Sub(now); d > IssuedAtTolerance || d < -IssuedAtTolerance {
		return credential.Errorf(credential.ReasonIssuedAtSkew, "issuedAt %s is more than %s away from the ledger time %s",
			req.IssuedAt.UTC().Format(time.RFC3339), IssuedAtTolerance, now.Format(time.RFC3339))
	}
	return checkActor(tx, caller, req.APIKeyID, req.Staff, credential.StaffClerk)
}

// checkAnchorSerialsFree refuses a batch whose serials a singly issued
// record already holds: one range scan of the batch's identifier prefix.
func checkAnchorSerialsFree(tx Tx, issuerCode string, req credential.AnchorRequest) error {
	p := recordKey(credential.IdentifierPrefix + req.Type + "." + issuerCode + "." + credential.AnchoredSerialPrefix(req.Token))
	// Serial characters are 0-9 and A-Z, all below '['.
	kvs, err := tx.StateRange(p, p+"[")
	if err != nil {
		return ledgerErr("scan "+p, err)
	}
	if len(kvs) > 0 {
		return credential.Errorf(credential.ReasonDuplicateID, "credential %s already holds a serial of batch %s", kvs[0].Key[len(prefixRecord):], req.Token)
	}
	return nil
}

// checkAnchorStatusFree refuses a run of status positions that meets
// another batch's. Runs are keyed by their last position: a run that meets
// [from, from+n) ends at or after from and, holding at most
// MaxAnchorLeaves, before from+n+MaxAnchorLeaves-1. The batch anchored just
// before, which ends at from-1, is outside the scan, so batches anchored
// one after the other do not conflict over it.
func checkAnchorStatusFree(tx Tx, dept string, from uint64, n int) error {
	end := from + uint64(n)
	kvs, err := tx.StateRange(anchorStatusKey(dept, from), anchorStatusKey(dept, end+credential.MaxAnchorLeaves-1))
	if err != nil {
		return ledgerErr("scan "+anchorStatusPrefix(dept), err)
	}
	for _, kv := range kvs {
		last, err := strconv.ParseUint(kv.Key[len(anchorStatusPrefix(dept)):], 10, 64)
		if err != nil {
			return ledgerErr("parse "+kv.Key, err)
		}
		var e anchorStatusEntry
		if err := json.Unmarshal(kv.Value, &e); err != nil {
			return ledgerErr("decode "+kv.Key, err)
		}
		if last+1 < uint64(e.Count)+end { // its first position, last+1-count, is before end
			return credential.StatusSequenceTaken(dept, from)
		}
	}
	return nil
}

// GetAnchorStatusNext is the first status sequence after every batch of
// department dept (credential.AnchorStatusBase when it has none): the last
// key of its runs, found by one bounded scan from the top.
func GetAnchorStatusNext(tx Tx, dept string) (uint64, error) {
	p := anchorStatusPrefix(dept)
	next := credential.AnchorStatusBase
	// Runs are keyed by their last sequence; without a reverse scan, the
	// highest is found by halving the key space, each step one bounded scan.
	lo, hi := credential.AnchorStatusBase, uint64(credential.MaxStatusSequence)
	for lo < hi {
		mid := lo + (hi-lo)/2
		kvs, err := tx.StateRange(anchorStatusKey(dept, mid), anchorStatusKey(dept, hi))
		if err != nil {
			return 0, ledgerErr("scan "+p, err)
		}
		if len(kvs) == 0 {
			hi = mid
			continue
		}
		if len(kvs) <= 64 {
			k := kvs[len(kvs)-1].Key
			last, err := strconv.ParseUint(k[len(p):], 10, 64)
			if err != nil {
				return 0, ledgerErr("parse "+k, err)
			}
			return last + 1, nil
		}
		lo = mid
	}
	return next, nil
}

// anchoredRecord is the record of id derived from its batch, when id names a
// leaf of an anchored batch on the ledger; ok is false otherwise.
func anchoredRecord(tx Tx, id string) (rec credential.Record, ok bool, err error) {
	a, i, ok, err := anchorOf(tx, id)
	if err != nil || !ok {
		return rec, false, err
	}
	leaves, err := anchorLeaves(tx, a, i/credential.AnchorChunkSize)
	if err != nil {
		return rec, false, err
	}
	return a.Record(i, leaves[i%credential.AnchorChunkSize]), true, nil
}

// anchorOf finds the batch and leaf index of id, when id has the shape of
// an anchored credential and its batch holds it.
func anchorOf(tx Tx, id string) (a credential.Anchor, index int, ok bool, err error) {
	parsed, perr := credential.ParseIdentifier(id)
	if perr != nil || parsed.Version != 1 {
		return a, 0, false, nil
	}
	token, i, shaped := credential.IsAnchoredSerial(parsed.Serial)
	if !shaped {
		return a, 0, false, nil
	}
	found, err := getJSON(tx, anchorKey(parsed.Issuer, parsed.TypeCode, token), &a)
	if err != nil || !found || i >= a.Count {
		return a, 0, false, err
	}
	return a, i, true, nil
}

// anchorLeaves reads chunk c of a batch's leaves.
func anchorLeaves(tx Tx, a credential.Anchor, c int) ([]credential.AnchorLeaf, error) {
	k := anchorLeafKey(a, c)
	b, err := tx.GetState(k)
	if err != nil {
		return nil, ledgerErr("read "+k, err)
	}
	leaves, err := credential.DecodeAnchorLeaves(b)
	if err != nil {
		return nil, ledgerErr("decode "+k, err)
	}
	if b == nil || len(leaves) != min(credential.AnchorChunkSize, a.Count-c*credential.AnchorChunkSize) {
		return nil, ledgerErr("read "+k, errMissingRecord)
	}
	return leaves, nil
}

// anchoredDocument reads the document of leaf i of a batch from the
// issuer's collection, with its inclusion proof.
func anchoredDocument(tx Tx, a credential.Anchor, i int, mspID string) (credential.Document, error) {
	c := i / credential.AnchorChunkSize
	b, err := tx.GetPrivateData(DocumentCollection(mspID), anchorDocKey(a, c))
	if err != nil {
		return credential.Document{}, ledgerErr("read private documents", err)
	}
	if b == nil {
		return credential.Document{}, credential.Errorf(credential.ReasonDocumentNotFound, "no documents of batch %s in the private data collection", a.Token)
	}
	j := i % credential.AnchorChunkSize
	id := a.CredentialID(i)
	doc, err := credential.DecodeAnchorChunkAt(b, j)
	if err != nil {
		return credential.Document{}, ledgerErr("decode private documents of batch "+a.Token, err)
	}
	if doc.ID != id {
		return credential.Document{}, credential.Errorf(credential.ReasonDocumentNotFound, "the documents of batch %s do not hold %s in its place", a.Token, id)
	}
	leaves, err := anchorLeaves(tx, a, c)
	if err != nil {
		return credential.Document{}, err
	}
	p, err := a.Proof(i, leaves)
	if err != nil {
		return credential.Document{}, ledgerErr("prove "+id, err)
	}
	doc.Proof.Anchor = &p
	return doc, nil
}

// writeRecord writes a changed record. A credential of an anchored batch
// gets its own record key at its first change, which only its department
// may endorse from then on, as a single issuance's record.
func writeRecord(tx Tx, rec credential.Record, mspID string) error {
	if err := putJSON(tx, recordKey(rec.ID), rec); err != nil {
		return err
	}
	if !anchoredID(rec.ID) {
		return nil
	}
	return restrictTo(tx, recordKey(rec.ID), mspID)
}

// anchoredID reports whether id has the shape of an anchored credential.
func anchoredID(id string) bool {
	p, err := credential.ParseIdentifier(id)
	if err != nil || p.Version != 1 {
		return false
	}
	_, _, ok := credential.IsAnchoredSerial(p.Serial)
	return ok
}
