package chaincode

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/certledger/certledger/credential"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// The holder index lists each credential under the holder reference of its
// public record, so a gateway holding the holder key finds one holder's
// credentials without scanning every record (docs/decisions/0012):
//
//	holderidx/<holder reference>/<type code>.<issuer USCC>.<serial> -> holderIndexEntry
//
// One key per credential (its serial), whatever its version: a new version
// overwrites its predecessor's entry, so the index names the newest. Keys
// and values hold only the reference, which the record carries already, and
// identifiers: no personal data, and nothing a reader of the records could
// not compute.
const prefixHolderIndex = "holderidx/"

// Contract functions of the holder index.
const (
	FnGetCredentialsByHolder = "GetCredentialsByHolder" // a query
	FnIndexHolders           = "IndexHolders"           // governance's backfill
)

// holderIndexEntry is the value of a holder index key.
type holderIndexEntry struct {
	ID string `json:"id"` // the newest version's identifier
}

func holderIndexPrefix(ref string) string { return prefixHolderIndex + ref + "/" }

// holderIndexKey is the index key of credential id under reference ref.
func holderIndexKey(ref string, id credential.Identifier) string {
	return holderIndexPrefix(ref) + id.TypeCode + "." + id.Issuer + "." + id.Serial
}

// indexHolder lists rec under its holder reference, in the transaction that
// writes the record. Only the issuing department's peers can endorse a later
// change of the entry, as of the record: another department can neither
// hide a credential from its holder's list nor add one.
func indexHolder(tx Tx, rec credential.Record, mspID string) error {
	id, err := credential.ParseIdentifier(rec.ID)
	if err != nil {
		return err
	}
	k := holderIndexKey(rec.HolderRef, id)
	if err := putJSON(tx, k, holderIndexEntry{ID: rec.ID}); err != nil {
		return err
	}
	return restrictTo(tx, k, mspID)
}

// BoundedRanger is a Tx whose range scans stop after n keys and read no
// further. The holder index is read through it, so that a holder with
// thousands of credentials costs one page's reads per call. The queries
// of both backends run on one.
type BoundedRanger interface {
	// StateRangeN returns the first n keys of [start, end) in byte order.
	StateRangeN(start, end string, n int) ([]KV, error)
}

var errNoBoundedRange = errors.New("the transaction cannot bound a range scan")

func boundedRanger(tx Tx) (BoundedRanger, error) {
	br, ok := tx.(BoundedRanger)
	if !ok {
		return nil, ledgerErr("scan the holder index", errNoBoundedRange)
	}
	return br, nil
}

// GetCredentialsByHolder returns one page of the records the holder index
// lists under q.Refs, and the cursor of the next page. A single issuance is
// listed by its index entry; an anchored credential by its batch's holder
// shard (holderindex_anchor.go), both current versions only.
//
// Order and cursor: the references are taken in groups sharing their first
// hex digit (holderShard: the shard the anchored batches list them in), in order;
// within a group, first each reference's single issuances in index key order
// (cursor <reference>/<type code>.<issuer>.<serial>, as ever), then the
// anchored credentials of all the group's references in shard key and leaf
// order (cursor <reference>/~<issuer code>/<type code>/<token>/<leaf>, or
// <reference>/~ for the start of the group's shards). A cursor names the
// last position the previous page looked at; a page resumes after it.
//
// Bounds: at most q.Limit+2 single index entries (one more tells whether
// another page follows, and one is the cursor's own) in one range scan per
// reference, and q.Limit records, as before (an anchored credential's
// versions 1 and 2, and its batch and chunk of leaves once a page); besides,
// at most maxHolderShards holder shards, one per batch of every department
// whose leaves include a reference of the group. A page that reaches that bound
// comes back short, even empty, with a cursor. An entry whose record does
// not carry the reference it is listed under is left out: the index only
// points, the record decides.
func GetCredentialsByHolder(tx Tx, q credential.HolderQuery) (credential.HolderPage, error) {
	page := credential.HolderPage{Records: []credential.Record{}}
	refs, err := holderRefs(q.Refs)
	if err != nil {
		return page, err
	}
	limit := q.Limit
	if limit == 0 {
		limit = credential.MaxHolderPage
	}
	if limit < 0 || limit > credential.MaxHolderPage {
		return page, credential.Errorf(credential.ReasonInvalidRequest, "limit must be 1 to %d, not %d", credential.MaxHolderPage, q.Limit)
	}
	after, err := holderCursor(q.After)
	if err != nil {
		return page, err
	}
	br, err := boundedRanger(tx)
	if err != nil {
		return page, err
	}
	s := holderScan{br: br, want: limit + 1, shards: maxHolderShards, cands: make([]holderCand, 0, limit+1)}
	for _, g := range holderGroups(refs) {
		if after.ref != "" && g.shard < holderShard(after.ref) {
			continue
		}
		var from *holderPos
		if after.ref != "" && g.shard == holderShard(after.ref) {
			from = &after
		}
		if from == nil || !from.anchored {
			if err := s.singles(g, from); err != nil {
				return page, err
			}
			if s.full() {
				break
			}
			if from != nil {
				from = nil // the group's shards are read from their start
			}
		}
		if err := s.anchored(g, from); err != nil {
			return page, err
		}
		if s.full() || s.stop != "" {
			break
		}
	}
	cands := s.cands
	if len(cands) > limit {
		cands = cands[:limit]
		page.Next = cands[limit-1].pos
	} else {
		page.Next = s.stop
	}
	recs, err := holderRecords(tx, cands)
	if err != nil {
		return page, err
	}
	page.Records = recs
	return page, nil
}

// holderRecords reads the records of a page's candidates, in order, and
// keeps those that carry the reference they are listed under.
func holderRecords(tx Tx, cands []holderCand) ([]credential.Record, error) {
	var ids []string
	var leaves []leafRef
	for _, c := range cands {
		if c.leaf != nil {
			leaves = append(leaves, *c.leaf)
			continue
		}
		var e holderIndexEntry
		if err := decodeListed(c.kv.Value, &e); err != nil {
			return nil, ledgerErr("decode "+c.kv.Key, err)
		}
		ids = append(ids, e.ID)
	}
	values, err := readRecords(tx, ids)
	if err != nil {
		return nil, err
	}
	anchored, err := newAnchorReader(tx).current(leaves)
	if err != nil {
		return nil, err
	}
	out := make([]credential.Record, 0, len(cands))
	var single, leaf int
	for _, c := range cands {
		var rec *credential.Record
		if c.leaf != nil {
			rec, leaf = anchored[leaf], leaf+1
		} else {
			b := values[single]
			if b != nil {
				rec = new(credential.Record)
				if err := decodeListed(b, rec); err != nil {
					return nil, ledgerErr("decode "+recordKey(ids[single]), err)
				}
			}
			single++
		}
		if rec != nil && rec.HolderRef == c.ref {
			out = append(out, *rec)
		}
	}
	return out, nil
}

// decodeListed decodes a value the holder query reads, up to a page of
// records per call: with encoding/json's semantics (the v1 emulation of
// go-json-experiment) but in one pass, about four times faster on a
// record, which made decoding the largest cost of a holder's list.
func decodeListed(b []byte, v any) error { return jsonv1.Unmarshal(b, v) }

// holderRefs validates a query's references and returns them sorted, in
// the order of their index keys, without duplicates.
func holderRefs(refs []string) ([]string, error) {
	if len(refs) == 0 || len(refs) > credential.MaxHolderRefs {
		return nil, credential.Errorf(credential.ReasonInvalidRequest, "a holder query names 1 to %d references, not %d", credential.MaxHolderRefs, len(refs))
	}
	for _, r := range refs {
		if !validHex(r, 64) {
			return nil, credential.Errorf(credential.ReasonInvalidRequest, "holder reference %q is not 64 hex characters", truncated(r))
		}
	}
	out := slices.Clone(refs)
	slices.Sort(out)
	return slices.Compact(out), nil
}

// validLineage accepts <type code>.<issuer>.<serial> as identifiers spell
// them: at most 80 characters of 0-9, A-Z and '.'.
func validLineage(s string) bool {
	if s == "" || len(s) > 80 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c == '.') {
			return false
		}
	}
	return true
}

func truncated(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// readRecords reads the records of ids, nil for an absent one: in one
// round trip to the peer when the transaction can.
func readRecords(tx Tx, ids []string) ([][]byte, error) {
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = recordKey(id)
	}
	if mg, ok := tx.(multiGetter); ok && len(keys) > 0 {
		values, err := mg.GetStates(keys)
		if err != nil {
			return nil, ledgerErr("read the holder's records", err)
		}
		if len(values) != len(keys) {
			return nil, ledgerErr("read the holder's records", errShortRead)
		}
		return values, nil
	}
	values := make([][]byte, len(keys))
	for i, k := range keys {
		v, err := tx.GetState(k)
		if err != nil {
			return nil, ledgerErr("read "+k, err)
		}
		values[i] = v
	}
	return values, nil
}

// IndexBatch bounds the records one IndexHolders transaction scans.
const IndexBatch = 500

// IndexProgress is what one IndexHolders transaction did.
type IndexProgress struct {
	Scanned int `json:"scanned"` // records read
	Indexed int `json:"indexed"` // index entries written
	// Next is the identifier to resume after; empty when every record has
	// been scanned.
	Next string `json:"next,omitempty"`
}

// IndexHolders lists in the holder index and the department index (the
// register, register.go) the records written before the contract kept them:
// up to IndexBatch records after identifier after, in key order. A record is
// listed when it is the newest version of its credential and an entry is
// missing; entries the contract wrote are left alone, so a
// run repeated or interrupted does no harm. Governance only: it is a
// one-off operation of the channel (docs/decisions/0012).
func IndexHolders(tx Tx, after string) (IndexProgress, error) {
	var p IndexProgress
	if _, err := requireGovernance(tx); err != nil {
		return p, err
	}
	start := prefixRecord
	if after != "" {
		if _, err := credential.ParseIdentifier(after); err != nil {
			return p, err
		}
		start = recordKey(after)
	}
	br, err := boundedRanger(tx)
	if err != nil {
		return p, err
	}
	kvs, err := br.StateRangeN(start, prefixEnd(prefixRecord), IndexBatch+2)
	if err != nil {
		return p, ledgerErr("scan "+start, err)
	}
	if len(kvs) > 0 && after != "" && kvs[0].Key == start {
		kvs = kvs[1:]
	}
	more := len(kvs) > IndexBatch
	kvs = kvs[:min(len(kvs), IndexBatch)]
	msps := map[string]string{} // department ID -> MSP ID
	for _, kv := range kvs {
		var rec credential.Record
		if err := json.Unmarshal(kv.Value, &rec); err != nil {
			return p, ledgerErr("decode "+kv.Key, err)
		}
		p.Scanned++
		newest, err := newestVersion(tx, rec)
		if err != nil {
			return p, err
		}
		if !newest {
			continue
		}
		// A changed credential of a batch has a record of its own but is
		// listed by its batch's entries; one of its own would list it twice.
		if _, _, inBatch, err := anchorOf(tx, rec.ID); err != nil {
			return p, err
		} else if inBatch {
			continue
		}
		holderMissing, err := absent(tx, holderIndexKeyOf(rec))
		if err != nil {
			return p, err
		}
		deptMissing, err := absent(tx, deptIndexKey(rec))
		if err != nil {
			return p, err
		}
		if !holderMissing && !deptMissing {
			continue
		}
		msp, known := msps[rec.Issuer]
		if !known {
			d, found, err := department(tx, rec.Issuer)
			if err != nil {
				return p, err
			}
			if !found {
				return p, credential.Errorf(credential.ReasonInternal, "credential %s names issuer %q, which is not in the registry", rec.ID, rec.Issuer)
			}
			msp, msps[rec.Issuer] = d.MSPID, d.MSPID
		}
		if holderMissing {
			if err := indexHolder(tx, rec, msp); err != nil {
				return p, err
			}
			p.Indexed++
		}
		// The department index (the register) came later, with the same
		// backfill: one pass lists a record wherever it is missing.
		if deptMissing {
			if err := indexDepartment(tx, rec, credential.Record{}, false, msp); err != nil {
				return p, err
			}
			p.Indexed++
		}
	}
	if more {
		p.Next = strings.TrimPrefix(kvs[len(kvs)-1].Key, prefixRecord)
	}
	return p, nil
}

// newestVersion reports whether rec is the newest version of its credential.
func newestVersion(tx Tx, rec credential.Record) (bool, error) {
	id, err := credential.ParseIdentifier(rec.ID)
	if err != nil {
		return false, ledgerErr("parse the identifier of "+rec.ID, err)
	}
	if id.Version < 999 {
		next := id
		next.Version++
		b, err := tx.GetState(recordKey(next.String()))
		if err != nil {
			return false, ledgerErr("read "+recordKey(next.String()), err)
		}
		if b != nil {
			return false, nil
		}
	}
	return true, nil
}

// holderIndexKeyOf is the holder index key of rec.
func holderIndexKeyOf(rec credential.Record) string {
	id, err := credential.ParseIdentifier(rec.ID)
	if err != nil {
		return ""
	}
	return holderIndexKey(rec.HolderRef, id)
}

// absent reports whether key k has no value.
func absent(tx Tx, k string) (bool, error) {
	b, err := tx.GetState(k)
	if err != nil {
		return false, ledgerErr("read "+k, err)
	}
	return b == nil, nil
}
