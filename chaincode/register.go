package chaincode

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/certledger/certledger/credential"
)

// The department index lists each department's credentials newest first,
// so a department's register (证照台账) is a bounded range scan of its own
// prefix (docs/decisions/0018-register.md):
//
//	deptidx/<department id>/<inverted issuance time>/<identifier> -> holderIndexEntry
//
// The inverted time is math.MaxInt64 minus IssuedAt in Unix nanoseconds,
// 19 digits, so byte order is newest first and an issuance period is one
// key range. A new version of a credential takes its predecessor's place, as
// in the holder index: the register lists current versions. Keys hold the
// department, times and identifiers, all public in the record already.
const prefixDeptIndex = "deptidx/"

// FnGetCredentialsByDepartment is the register's query.
const FnGetCredentialsByDepartment = "GetCredentialsByDepartment"

// registerChunk is how many index entries a register scan reads at a time
// beyond a page: enough that a selective filter does not cost a round trip
// per few entries.
const registerChunk = 500

func deptIndexPrefix(dept string) string { return prefixDeptIndex + dept + "/" }

// invertedTime is t's position in the department index.
func invertedTime(t time.Time) string {
	return fmt.Sprintf("%019d", math.MaxInt64-t.UnixNano())
}

func deptIndexKey(rec credential.Record) string {
	return deptIndexPrefix(rec.Issuer) + invertedTime(rec.IssuedAt) + "/" + rec.ID
}

// indexDepartment lists rec in its department's index, in the transaction
// that writes it, and removes the entry of the version it replaces (prev,
// when renews is a new version of the same serial). Only the department's
// peers can endorse a later change of the entry.
func indexDepartment(tx Tx, rec, prev credential.Record, replaces bool, mspID string) error {
	if replaces && prev.ID != "" {
		if err := tx.DelState(deptIndexKey(prev)); err != nil {
			return ledgerErr("delete "+deptIndexKey(prev), err)
		}
	}
	k := deptIndexKey(rec)
	if err := putJSON(tx, k, holderIndexEntry{ID: rec.ID}); err != nil {
		return err
	}
	return restrictTo(tx, k, mspID)
}

// replacesVersion reports whether doc is a new version of the serial of the
// credential it renews, which then leaves the register.
func replacesVersion(rec credential.Record, renews bool) bool {
	if !renews || rec.Renews == "" {
		return false
	}
	a, err1 := credential.ParseIdentifier(rec.ID)
	b, err2 := credential.ParseIdentifier(rec.Renews)
	return err1 == nil && err2 == nil && a.Serial == b.Serial && a.Issuer == b.Issuer && a.TypeCode == b.TypeCode
}

// GetCredentialsByDepartment returns one page of q.Dept's register: the
// records its index lists, newest first, that pass the query's filters; a
// batch's entry lists its leaves (register_anchor.go). It scans at most
// credential.MaxRegisterScan index entries and leaves and reads at most as
// many records; the page's Next resumes after the last entry or leaf it
// looked at, so a selective filter yields short pages rather than long scans.
// Only the department itself may ask, as its own identity.
func GetCredentialsByDepartment(tx Tx, q credential.RegisterQuery) (credential.RegisterPage, error) {
	page := credential.RegisterPage{Records: []credential.Record{}}
	caller, err := CallerDepartment(tx)
	if err != nil {
		return page, err
	}
	if q.Dept != caller.ID {
		return page, credential.Errorf(credential.ReasonNotIssuer, "department %s cannot list the register of %q", caller.ID, truncated(q.Dept))
	}
	limit := q.Limit
	if limit == 0 {
		limit = credential.DefaultRegisterPage
	}
	if limit < 0 || limit > credential.MaxRegisterPage {
		return page, credential.Errorf(credential.ReasonInvalidRequest, "limit must be 1 to %d, not %d", credential.MaxRegisterPage, q.Limit)
	}
	if q.Status != "" && !credential.ValidRegisterStatus(q.Status) {
		return page, credential.Errorf(credential.ReasonInvalidRequest, "status %q is not one of %v", truncated(string(q.Status)), credential.RegisterStatuses)
	}
	if q.Now.IsZero() {
		return page, credential.Errorf(credential.ReasonInvalidRequest, "a register query names the instant statuses are derived at")
	}
	after, err := registerCursor(q.After)
	if err != nil {
		return page, err
	}
	br, err := boundedRanger(tx)
	if err != nil {
		return page, err
	}
	f := registerFilter{q: q, reg: credential.Registry{Departments: []credential.Department{caller}}}
	if q.Status != "" {
		if f.reg, err = GetRegistry(tx); err != nil {
			return page, err
		}
	}
	if len(q.HolderRefs) > 0 {
		return holderRegister(tx, br, f, caller.USCC, after, limit)
	}
	prefix := deptIndexPrefix(q.Dept)
	start, end := prefix, prefixEnd(prefix)
	if !q.IssuedTo.IsZero() {
		start = max(start, prefix+invertedTime(q.IssuedTo.Add(-time.Nanosecond)))
	}
	if !q.IssuedFrom.IsZero() {
		end = min(end, prefix+invertedTime(q.IssuedFrom)+"0")
	}
	w := &registerWalk{tx: tx, br: br, f: f, prefix: prefix, limit: limit, page: &page, anchors: newAnchorReader(tx), last: after.pos}
	switch {
	case after.batch != "":
		// Resume inside the batch: its entry is read again.
		start = max(start, prefix+after.batch)
		w.resumeKey, w.resumeLeaf = prefix+after.batch, after.leaf+1
	case after.pos != "":
		start = max(start, prefix+after.pos+"\x00")
	}
	more := true
	for page.Scanned < credential.MaxRegisterScan && !w.full() && !w.stopped && start < end {
		// The first read is the page itself, as when nothing is filtered
		// out; later ones are larger.
		n := limit + 1 - len(w.keys)
		if page.Scanned > 0 {
			n = max(n, registerChunk)
		}
		n = min(n, credential.MaxRegisterScan-page.Scanned)
		kvs, err := br.StateRangeN(start, end, n)
		if err != nil {
			return page, ledgerErr("scan "+start, err)
		}
		page.Scanned += len(kvs)
		if err := w.entries(kvs); err != nil {
			return page, err
		}
		if w.full() || w.stopped {
			break
		}
		if len(kvs) < n {
			more = false
			break
		}
		start = kvs[len(kvs)-1].Key + "\x00"
	}
	switch {
	case len(w.keys) > limit:
		page.Records, page.Next = page.Records[:limit], w.keys[limit-1]
	case more && w.last != after.pos:
		// The scan bound stopped the scan before the index's end.
		page.Next = w.last
	}
	return page, nil
}

// registerFilter applies a register query's filters to index entries.
type registerFilter struct {
	q   credential.RegisterQuery
	reg credential.Registry
}

// records reads the records of the entries whose identifier passes the
// type filter and returns those that pass every filter, nil for the others.
func (f registerFilter) records(tx Tx, kvs []KV) ([]*credential.Record, error) {
	out := make([]*credential.Record, len(kvs))
	var ids []string
	var at []int
	for i, kv := range kvs {
		id := kv.Key[strings.LastIndexByte(kv.Key, '/')+1:]
		if f.q.Type != "" {
			if pid, err := credential.ParseIdentifier(id); err != nil || pid.TypeCode != f.q.Type {
				continue
			}
		}
		ids, at = append(ids, id), append(at, i)
	}
	values, err := readRecords(tx, ids)
	if err != nil {
		return nil, err
	}
	for j, b := range values {
		if b == nil {
			continue
		}
		var rec credential.Record
		if err := decodeListed(b, &rec); err != nil {
			return nil, ledgerErr("decode "+recordKey(ids[j]), err)
		}
		if f.keep(rec) {
			out[at[j]] = &rec
		}
	}
	return out, nil
}

// keep reports whether rec, a record an index lists, passes every filter.
// The record decides: an entry whose record is of another department or
// type is left out.
func (f registerFilter) keep(rec credential.Record) bool {
	q := f.q
	switch {
	case rec.Issuer != q.Dept, q.Type != "" && rec.Type != q.Type:
		return false
	case !q.IssuedFrom.IsZero() && rec.IssuedAt.Before(q.IssuedFrom):
		return false
	case !q.IssuedTo.IsZero() && !rec.IssuedAt.Before(q.IssuedTo):
		return false
	case q.Status != "" && credential.RecordStatus(rec, f.reg, q.Now) != q.Status:
		return false
	}
	return true
}

// holderRegister answers a register query with holder references from the
// holder index: a holder has few credentials, so it reads every entry under
// the references, and the department's holder shards of each (one per batch
// listing a reference of the same first hex digit), up to the scan
// bound, keeps the department's, and pages through them in the register's
// order, with the register's cursors.
func holderRegister(tx Tx, br BoundedRanger, f registerFilter, issuerCode string, after registerPos, limit int) (credential.RegisterPage, error) {
	page := credential.RegisterPage{Records: []credential.Record{}}
	refs, err := holderRefs(f.q.HolderRefs)
	if err != nil {
		return page, err
	}
	if len(refs) > 2 {
		return page, credential.Errorf(credential.ReasonInvalidRequest, "a register query names at most 2 holder references, not %d", len(refs))
	}
	var kvs []KV
	for _, ref := range refs {
		p := holderIndexPrefix(ref)
		got, err := br.StateRangeN(p, prefixEnd(p), credential.MaxRegisterScan-len(kvs))
		if err != nil {
			return page, ledgerErr("scan "+p, err)
		}
		kvs = append(kvs, got...)
	}
	leaves, leafRefs, shards, err := holderRegisterLeaves(br, refs, issuerCode, credential.MaxRegisterScan-len(kvs))
	if err != nil {
		return page, err
	}
	page.Scanned = len(kvs) + shards
	ids := make([]KV, len(kvs))
	for i, kv := range kvs {
		var e holderIndexEntry
		if err := decodeListed(kv.Value, &e); err != nil {
			return page, ledgerErr("decode "+kv.Key, err)
		}
		// Keyed like the department index, so the type filter and the
		// order are the same.
		ids[i] = KV{Key: "/" + e.ID}
	}
	recs, err := f.records(tx, ids)
	if err != nil {
		return page, err
	}
	type keyed struct {
		key string
		rec credential.Record
	}
	var sel []keyed
	for i, rec := range recs {
		if rec == nil || !strings.HasPrefix(kvs[i].Key, holderIndexPrefix(rec.HolderRef)) {
			continue
		}
		if k := invertedTime(rec.IssuedAt) + "/" + rec.ID; k > after.pos {
			sel = append(sel, keyed{k, *rec})
		}
	}
	anchored, err := newAnchorReader(tx).current(leaves)
	if err != nil {
		return page, err
	}
	for i, rec := range anchored {
		if rec == nil || rec.HolderRef != leafRefs[i] || !f.keep(*rec) {
			continue
		}
		_, rest, _ := strings.Cut(leaves[i].name, "/")
		if k := invertedTime(rec.IssuedAt) + "/" + anchorIndexMark + batchPos(rest, leaves[i].index); k > after.pos {
			sel = append(sel, keyed{k, *rec})
		}
	}
	slices.SortFunc(sel, func(a, b keyed) int { return strings.Compare(a.key, b.key) })
	if len(sel) > limit {
		sel, page.Next = sel[:limit], sel[limit-1].key
	}
	for _, s := range sel {
		page.Records = append(page.Records, s.rec)
	}
	return page, nil
}
