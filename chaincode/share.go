package chaincode

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/certledger/certledger/credential"
)

// Shares live in the issuing department's private data collection, beside
// the documents they disclose part of (docs/decisions/0013):
//
//	share/<share ID>                                    -> credential.Share
//	sharebyholder/<holder ref>/<inverted time>/<share ID> -> shareIndexEntry
//
// The inverted creation time (nanoseconds before math.MaxInt64, 19 digits)
// makes one bounded range scan read a holder's newest shares first. The
// public state sees none of it: a peer of another department stores only
// the hashes of these keys and values, in the blocks.
const (
	prefixShare       = "share/"
	prefixShareHolder = "sharebyholder/"
)

type shareIndexEntry struct {
	ID string `json:"id"`
}

func shareKey(id string) string { return prefixShare + id }

func shareHolderPrefix(ref string) string { return prefixShareHolder + ref + "/" }

func shareHolderKey(s credential.Share) string {
	return fmt.Sprintf("%s%019d/%s", shareHolderPrefix(s.HolderRef), math.MaxInt64-s.CreatedAt.UnixNano(), s.ID)
}

// PrivateRanger is a Tx that range-scans a private data collection,
// stopping after n keys. Listing a holder's shares reads through it; a Tx
// without it cannot list them, rather than scan without bound.
type PrivateRanger interface {
	PrivateRangeN(collection, start, end string, n int) ([]KV, error)
}

// readTransient decodes the transient value under key into v.
func readTransient(tx Tx, key, what string, v any) error {
	raw, err := tx.Transient(key)
	if err != nil {
		return ledgerErr("read transient data", err)
	}
	if raw == nil {
		return credential.Errorf(credential.ReasonInvalidRequest, "the %s must be passed as transient data under %q", what, key)
	}
	if len(raw) > MaxRequestSize {
		return credential.Errorf(credential.ReasonInvalidRequest, "the %s is larger than %d bytes", what, MaxRequestSize)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return credential.Wrapf(err, credential.ReasonInvalidRequest, "the %s is not valid JSON", what)
	}
	return nil
}

// shareCaller resolves the caller and checks that share id belongs to its
// collection: the ID's prefix names the caller's department. Another
// department's share is share_not_found, as if it did not exist.
func shareCaller(tx Tx, id string) (credential.Department, error) {
	caller, err := CallerDepartment(tx)
	if err != nil {
		return caller, err
	}
	dept, err := credential.ShareIssuer(id)
	if err != nil {
		return caller, err
	}
	if dept != caller.ID {
		return caller, credential.Errorf(credential.ReasonShareNotFound, "share %s is not one of department %s", id, caller.ID)
	}
	return caller, nil
}

func readShare(tx Tx, mspID, id string) (credential.Share, error) {
	var s credential.Share
	b, err := tx.GetPrivateData(DocumentCollection(mspID), shareKey(id))
	if err != nil {
		return s, ledgerErr("read private "+shareKey(id), err)
	}
	if b == nil {
		return s, credential.Errorf(credential.ReasonShareNotFound, "no share %s", id)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, ledgerErr("decode private "+shareKey(id), err)
	}
	return s, nil
}

// putPrivate writes v to key of the caller's collection, which only the
// caller's peers may endorse changing later.
func putPrivate(tx Tx, mspID, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return ledgerErr("encode "+key, err)
	}
	coll := DocumentCollection(mspID)
	if err := tx.PutPrivateData(coll, key, b); err != nil {
		return ledgerErr("write private "+key, err)
	}
	if err := tx.RestrictPrivateTo(coll, key, mspID); err != nil {
		return ledgerErr("set policy of private "+key, err)
	}
	return nil
}

// CreateShare records the share of the transient NewShare. The caller must
// be the credential's issuer, whose collection holds the document; the
// share's holder reference must be the record's, and its fields claims the
// document discloses. Its times come from the transaction.
func CreateShare(tx Tx) (credential.ShareReceipt, error) {
	var req credential.NewShare
	if err := readTransient(tx, TransientShare, "share request", &req); err != nil {
		return credential.ShareReceipt{}, err
	}
	caller, err := shareCaller(tx, req.ID)
	if err != nil {
		return credential.ShareReceipt{}, err
	}
	life, err := credential.ShareExpiry(req.ExpiresIn)
	if err != nil {
		return credential.ShareReceipt{}, err
	}
	if err := credential.CheckSharePurpose(req.Purpose); err != nil {
		return credential.ShareReceipt{}, err
	}
	if _, err := credential.ParseIdentifier(req.Credential); err != nil {
		return credential.ShareReceipt{}, err
	}
	rec, err := readRecord(tx, req.Credential)
	if err != nil {
		return credential.ShareReceipt{}, err
	}
	if rec.Issuer != caller.ID {
		return credential.ShareReceipt{}, credential.Errorf(credential.ReasonNotIssuer, "credential %s was issued by %s, not %s", rec.ID, rec.Issuer, caller.ID)
	}
	if !validHex(req.HolderRef, 64) || req.HolderRef != rec.HolderRef {
		return credential.ShareReceipt{}, credential.Errorf(credential.ReasonCredentialNotFound, "the holder of the share does not hold credential %s", rec.ID)
	}
	doc, err := GetDocument(tx, rec.ID)
	if err != nil {
		return credential.ShareReceipt{}, err
	}
	if err := credential.CheckShareFields(&doc, req.Fields); err != nil {
		return credential.ShareReceipt{}, err
	}
	coll := DocumentCollection(caller.MSPID)
	if b, err := tx.GetPrivateData(coll, shareKey(req.ID)); err != nil {
		return credential.ShareReceipt{}, ledgerErr("read private "+shareKey(req.ID), err)
	} else if b != nil {
		return credential.ShareReceipt{}, credential.Errorf(credential.ReasonDuplicateID, "share %s already exists", req.ID)
	}
	now, err := tx.TxTimestamp()
	if err != nil {
		return credential.ShareReceipt{}, ledgerErr("read the transaction time", err)
	}
	s := credential.Share{
		ID: req.ID, Credential: rec.ID, Type: rec.Type, Issuer: rec.Issuer, HolderRef: rec.HolderRef,
		Fields: req.Fields, Purpose: req.Purpose, CreatedAt: now.UTC(), ExpiresAt: now.UTC().Add(life),
		Openings: []credential.ShareOpening{},
	}
	if err := putPrivate(tx, caller.MSPID, shareKey(s.ID), s); err != nil {
		return credential.ShareReceipt{}, err
	}
	if err := putPrivate(tx, caller.MSPID, shareHolderKey(s), shareIndexEntry{ID: s.ID}); err != nil {
		return credential.ShareReceipt{}, err
	}
	return credential.ShareReceipt{CreatedAt: s.CreatedAt, ExpiresAt: s.ExpiresAt}, nil
}

// OpenShare records an opening of the share of the transient ShareOpen and
// refuses one withdrawn or expired at the transaction time. The gateway
// shows the share only after this has committed.
func OpenShare(tx Tx) (credential.ShareReceipt, error) {
	var req credential.ShareOpen
	if err := readTransient(tx, TransientShare, "share opening", &req); err != nil {
		return credential.ShareReceipt{}, err
	}
	caller, err := shareCaller(tx, req.ID)
	if err != nil {
		return credential.ShareReceipt{}, err
	}
	if req.By != "" && !credential.ValidRegistryID(req.By) {
		return credential.ShareReceipt{}, credential.Errorf(credential.ReasonInvalidRequest, "by must be a department ID")
	}
	s, err := readShare(tx, caller.MSPID, req.ID)
	if err != nil {
		return credential.ShareReceipt{}, err
	}
	now, err := tx.TxTimestamp()
	if err != nil {
		return credential.ShareReceipt{}, ledgerErr("read the transaction time", err)
	}
	if err := s.CheckOpen(now); err != nil {
		return credential.ShareReceipt{}, err
	}
	s.OpenCount++
	s.Openings = append(s.Openings, credential.ShareOpening{At: now.UTC(), By: req.By})
	if n := len(s.Openings); n > credential.MaxShareOpenings {
		s.Openings = append([]credential.ShareOpening{}, s.Openings[n-credential.MaxShareOpenings:]...)
	}
	if err := putPrivate(tx, caller.MSPID, shareKey(s.ID), s); err != nil {
		return credential.ShareReceipt{}, err
	}
	return credential.ShareReceipt{CreatedAt: s.CreatedAt, ExpiresAt: s.ExpiresAt}, nil
}

// WithdrawShare withdraws the share of the transient ShareWithdrawal if
// its holder reference is the share's; anyone else's share is
// share_not_found. A second withdrawal changes nothing.
func WithdrawShare(tx Tx) (credential.ShareReceipt, error) {
	var req credential.ShareWithdrawal
	if err := readTransient(tx, TransientShare, "share withdrawal", &req); err != nil {
		return credential.ShareReceipt{}, err
	}
	caller, err := shareCaller(tx, req.ID)
	if err != nil {
		return credential.ShareReceipt{}, err
	}
	s, err := readShare(tx, caller.MSPID, req.ID)
	if err != nil {
		return credential.ShareReceipt{}, err
	}
	if req.HolderRef == "" || req.HolderRef != s.HolderRef {
		return credential.ShareReceipt{}, credential.Errorf(credential.ReasonShareNotFound, "no share %s of this holder", req.ID)
	}
	out := credential.ShareReceipt{CreatedAt: s.CreatedAt, ExpiresAt: s.ExpiresAt, WithdrawnAt: s.WithdrawnAt}
	if !s.WithdrawnAt.IsZero() {
		out.Unchanged = true
		return out, nil
	}
	now, err := tx.TxTimestamp()
	if err != nil {
		return out, ledgerErr("read the transaction time", err)
	}
	s.WithdrawnAt = now.UTC()
	if err := putPrivate(tx, caller.MSPID, shareKey(s.ID), s); err != nil {
		return out, err
	}
	out.WithdrawnAt = s.WithdrawnAt
	return out, nil
}

// GetShare reads a share of the caller's collection.
func GetShare(tx Tx, id string) (credential.Share, error) {
	caller, err := shareCaller(tx, id)
	if err != nil {
		return credential.Share{}, err
	}
	return readShare(tx, caller.MSPID, id)
}

// GetSharesByHolder lists the shares of the caller's collection under the
// query's references, newest first: at most q.Limit, read in one bounded
// scan of the holder index per reference. An entry whose share does not
// carry the reference it is listed under is left out.
func GetSharesByHolder(tx Tx, q credential.ShareQuery) ([]credential.Share, error) {
	out := []credential.Share{}
	caller, err := CallerDepartment(tx)
	if err != nil {
		return out, err
	}
	if len(q.Refs) == 0 || len(q.Refs) > 2 {
		return out, credential.Errorf(credential.ReasonInvalidRequest, "a share query names 1 or 2 holder references, not %d", len(q.Refs))
	}
	for _, r := range q.Refs {
		if !validHex(r, 64) {
			return out, credential.Errorf(credential.ReasonInvalidRequest, "holder reference %q is not 64 hex characters", truncated(r))
		}
	}
	limit := q.Limit
	if limit == 0 {
		limit = credential.MaxShareList
	}
	if limit < 0 || limit > credential.MaxShareList {
		return out, credential.Errorf(credential.ReasonInvalidRequest, "limit must be 1 to %d, not %d", credential.MaxShareList, q.Limit)
	}
	pr, ok := tx.(PrivateRanger)
	if !ok {
		return out, ledgerErr("scan the shares of a holder", errNoBoundedRange)
	}
	coll := DocumentCollection(caller.MSPID)
	for i, ref := range q.Refs {
		if i == 1 && ref == q.Refs[0] {
			break
		}
		prefix := shareHolderPrefix(ref)
		kvs, err := pr.PrivateRangeN(coll, prefix, prefixEnd(prefix), limit)
		if err != nil {
			return out, ledgerErr("scan "+prefix, err)
		}
		for _, kv := range kvs {
			var e shareIndexEntry
			if err := json.Unmarshal(kv.Value, &e); err != nil {
				return out, ledgerErr("decode "+kv.Key, err)
			}
			s, err := readShare(tx, caller.MSPID, e.ID)
			if credential.ErrorReason(err) == credential.ReasonShareNotFound {
				continue
			}
			if err != nil {
				return out, err
			}
			if s.HolderRef == ref && strings.HasSuffix(kv.Key, "/"+s.ID) {
				out = append(out, s)
			}
		}
	}
	// Two references' lists merge newest first; the limit holds for both.
	sortSharesNewestFirst(out)
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func sortSharesNewestFirst(s []credential.Share) {
	slices.SortFunc(s, func(a, b credential.Share) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}
