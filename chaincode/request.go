package chaincode

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/certledger/certledger/credential"
)

// Consent requests (授权用证) in public state (docs/decisions/0015):
//
//	request/<id>                                   -> credential.ConsentRequest
//	requestidx/<holder ref>/<id>                   -> requestIndexEntry (the holder's inbox)
//	requestdept/<dept>/<inverted created ns>/<id>  -> requestIndexEntry (the department's list, newest first)
//	receipt/<decided ns>/<id>/<decision>           -> credential.Receipt (supervision, oldest first)
//
// Every key is endorsed by governance AND the requesting department once
// written, so neither alone can forge, alter or remove a request or its
// receipts. None holds a name, an ID number or a field value.

// Contract functions of consent requests.
const (
	FnCreateRequest       = "CreateRequest"
	FnDecideRequest       = "DecideRequest"
	FnRecordProofRead     = "RecordProofRead"
	FnGetRequest          = "GetRequest"          // a query
	FnGetRequestsByHolder = "GetRequestsByHolder" // a query
	FnGetRequestsByDept   = "GetRequestsByDept"   // a query
	FnGetReceipts         = "GetReceipts"         // a query
)

const (
	prefixRequest      = "request/"
	prefixRequestIndex = "requestidx/"
	prefixRequestDept  = "requestdept/"
	prefixReceipt      = "receipt/"
)

type requestIndexEntry struct {
	ID string `json:"id"`
}

func requestKey(id string) string { return prefixRequest + id }
func requestIndexKey(ref, id string) string {
	return prefixRequestIndex + ref + "/" + id
}
func requestDeptPrefix(dept string) string { return prefixRequestDept + dept + "/" }
func requestDeptKey(dept string, created time.Time, id string) string {
	return fmt.Sprintf("%s%019d/%s", requestDeptPrefix(dept), math.MaxInt64-created.UnixNano(), id)
}
func receiptTime(t time.Time) string { return fmt.Sprintf("%019d", max(t.UnixNano(), 0)) }
func receiptKey(r credential.Receipt) string {
	return prefixReceipt + receiptTime(r.At) + "/" + r.Request + "/" + string(r.Decision)
}

// restrictToBoth sets the policy of key to governance AND the requester
// (one department when they are the same).
func restrictToBoth(tx Tx, key, govMSP, requesterMSP string) error {
	msps := []string{govMSP}
	if requesterMSP != govMSP {
		msps = append(msps, requesterMSP)
	}
	if err := tx.RestrictTo(key, msps...); err != nil {
		return ledgerErr("set policy of "+key, err)
	}
	return nil
}

func governanceOf(reg credential.Registry) (credential.Department, error) {
	for _, d := range reg.Departments {
		if d.HasRole(credential.RoleGovernance) {
			return d, nil
		}
	}
	return credential.Department{}, credential.Errorf(credential.ReasonInternal, "the registry has no governance department")
}

// usableService reads a service item and checks it against the registry
// again: a type renamed since it was saved must not widen a disclosure.
func usableService(tx Tx, reg credential.Registry, code string) (credential.Service, error) {
	var svc credential.Service
	found, err := getJSON(tx, serviceKey(code), &svc)
	if err != nil {
		return svc, err
	}
	if !found {
		return svc, credential.ServiceNotFound(clipped(code))
	}
	if _, probs := credential.CheckService(svc, reg); len(probs) > 0 {
		return svc, credential.Errorf(credential.ReasonInvalidService, "service %s no longer fits the registry (%s); governance must save it again", code, probs[0].Message)
	}
	return svc, nil
}

func clipped(s string) string { return truncated(s) }

func consentErr(ptr, format string, args ...any) error {
	e := credential.Errorf(credential.ReasonInvalidConsent, format, args...)
	e.Pointer = ptr
	return e
}

// CreateRequest records a department's request for a holder's credentials
// for a service item. Only a department the item lists as a requester may.
func CreateRequest(tx Tx, n credential.NewConsentRequest) (credential.ConsentRequest, error) {
	var out credential.ConsentRequest
	caller, err := CallerDepartment(tx)
	if err != nil {
		return out, err
	}
	if !credential.ValidRequestID(n.ID) {
		return out, credential.Errorf(credential.ReasonInvalidRequest, "a request ID is 32 lower-case hex digits, not %q", clipped(n.ID))
	}
	if n.HolderRef != "" && !validHex(n.HolderRef, 64) {
		return out, credential.Errorf(credential.ReasonInvalidRequest, "a holder reference is 64 hex characters")
	}
	if !credential.ValidPurpose(n.Purpose) {
		return out, consentErr("/purpose", "purpose is at most %d characters without control characters", credential.MaxRequestPurpose)
	}
	reg, err := GetRegistry(tx)
	if err != nil {
		return out, err
	}
	svc, err := usableService(tx, reg, n.Service)
	if err != nil {
		return out, err
	}
	if !slices.Contains(svc.Requesters, caller.ID) {
		return out, credential.Errorf(credential.ReasonNotServiceRequester, "department %s is not a requester of service %s", caller.ID, svc.Code)
	}
	now, err := tx.TxTimestamp()
	if err != nil {
		return out, ledgerErr("read the transaction time", err)
	}
	now = now.UTC()
	if !n.ExpiresAt.After(now) || n.ExpiresAt.Sub(now) > credential.MaxRequestExpiry {
		return out, consentErr("/expiresIn", "a request expires after the transaction time and within %s of it", credential.MaxRequestExpiry)
	}
	if n.TermDays < 1 || n.TermDays > credential.MaxConsentTermDays {
		return out, consentErr("/term", "a consent term is 1 to %d days", credential.MaxConsentTermDays)
	}
	if b, err := tx.GetState(requestKey(n.ID)); err != nil {
		return out, ledgerErr("read "+requestKey(n.ID), err)
	} else if b != nil {
		return out, credential.Errorf(credential.ReasonDuplicateID, "request %s exists already", n.ID)
	}
	gov, err := governanceOf(reg)
	if err != nil {
		return out, err
	}
	out = credential.ConsentRequest{ID: n.ID, Service: svc.Code, Requester: caller.ID, Purpose: n.Purpose,
		Status: credential.RequestPending, CreatedAt: now, ExpiresAt: n.ExpiresAt.UTC(), TermDays: n.TermDays, HolderRef: n.HolderRef}
	keys := []string{requestKey(out.ID), requestDeptKey(caller.ID, now, out.ID)}
	if err := putJSON(tx, keys[0], out); err != nil {
		return out, err
	}
	if err := putJSON(tx, keys[1], requestIndexEntry{ID: out.ID}); err != nil {
		return out, err
	}
	if out.HolderRef != "" {
		keys = append(keys, requestIndexKey(out.HolderRef, out.ID))
		if err := putJSON(tx, keys[2], requestIndexEntry{ID: out.ID}); err != nil {
			return out, err
		}
	}
	for _, k := range keys {
		if err := restrictToBoth(tx, k, gov.MSPID, caller.MSPID); err != nil {
			return out, err
		}
	}
	return out, nil
}

func readRequest(tx Tx, id string) (credential.ConsentRequest, error) {
	var r credential.ConsentRequest
	if !credential.ValidRequestID(id) {
		return r, credential.RequestNotFound(id)
	}
	found, err := getJSON(tx, requestKey(id), &r)
	if err != nil {
		return r, err
	}
	if !found {
		return r, credential.RequestNotFound(id)
	}
	return r, nil
}

// GetRequest reads one request.
func GetRequest(tx Tx, id string) (credential.ConsentRequest, error) { return readRequest(tx, id) }

// DecideRequest records a holder's approval, refusal or withdrawal. Only
// the governance department submits decisions: its portal is what signs
// holders in. The request's key needs the requester's endorsement too.
func DecideRequest(tx Tx, d credential.RequestDecision) (credential.ConsentRequest, error) {
	caller, err := CallerDepartment(tx)
	if err != nil {
		return credential.ConsentRequest{}, err
	}
	if !caller.HasRole(credential.RoleGovernance) {
		return credential.ConsentRequest{}, credential.Errorf(credential.ReasonNotGovernance, "only the governance department's portal submits holders' decisions")
	}
	if !validHex(d.HolderRef, 64) {
		return credential.ConsentRequest{}, credential.Errorf(credential.ReasonInvalidRequest, "a decision names the holder's reference: 64 hex characters")
	}
	req, err := readRequest(tx, d.ID)
	if err != nil {
		return req, err
	}
	if req.HolderRef != "" && req.HolderRef != d.HolderRef {
		return credential.ConsentRequest{}, credential.RequestNotFound(d.ID)
	}
	now, err := tx.TxTimestamp()
	if err != nil {
		return req, ledgerErr("read the transaction time", err)
	}
	now = now.UTC()
	reg, err := GetRegistry(tx)
	if err != nil {
		return req, err
	}
	requester, ok := reg.Department(req.Requester)
	if !ok {
		return req, credential.Errorf(credential.ReasonRegistryChanged, "the requester %s of request %s left the registry", req.Requester, req.ID)
	}
	bind := req.HolderRef == ""
	switch d.Action {
	case credential.DecisionApprove, credential.DecisionRefuse:
		switch st := req.StatusAt(now); st {
		case credential.RequestPending:
		case credential.RequestExpired:
			return req, credential.Errorf(credential.ReasonRequestExpired, "request %s expired at %s", req.ID, req.ExpiresAt.Format(time.RFC3339))
		default:
			return req, credential.Errorf(credential.ReasonRequestNotPending, "request %s is %s already", req.ID, st)
		}
		if d.Action == credential.DecisionRefuse {
			if len(d.Credentials) > 0 {
				return req, consentErr("/credentials", "a refusal names no credentials")
			}
			req.Status = credential.RequestRefused
			break
		}
		svc, err := usableService(tx, reg, req.Service)
		if err != nil {
			return req, err
		}
		creds, err := approvedCredentials(tx, reg, svc, d.Credentials, now)
		if err != nil {
			return req, err
		}
		req.Status, req.Credentials = credential.RequestApproved, creds
		req.ConsentUntil = now.Add(time.Duration(req.TermDays) * 24 * time.Hour)
	case credential.DecisionWithdraw:
		if req.Status != credential.RequestApproved {
			return req, credential.Errorf(credential.ReasonRequestNotPending, "request %s is %s: there is no consent to withdraw", req.ID, req.StatusAt(now))
		}
		if !req.ConsentActive(now) {
			return req, credential.Errorf(credential.ReasonConsentEnded, "the consent of request %s ended at %s", req.ID, req.ConsentUntil.Format(time.RFC3339))
		}
		req.Status, req.WithdrawnAt = credential.RequestWithdrawn, now
	default:
		return req, credential.Errorf(credential.ReasonInvalidRequest, "a decision is approve, refuse or withdraw, not %q", clipped(string(d.Action)))
	}
	if d.Action != credential.DecisionWithdraw {
		req.DecidedAt = now
	}
	req.HolderRef, req.DecisionTxID = d.HolderRef, tx.TxID()
	rc := credential.Receipt{Request: req.ID, Service: req.Service, Requester: req.Requester, Decision: req.Status, At: now,
		TxID: tx.TxID(), TermDays: req.TermDays, ConsentUntil: req.ConsentUntil, HolderRef: req.HolderRef, Credentials: req.Credentials}
	keys := []string{requestKey(req.ID), receiptKey(rc)}
	if err := putJSON(tx, keys[0], req); err != nil {
		return req, err
	}
	if err := putJSON(tx, keys[1], rc); err != nil {
		return req, err
	}
	if bind {
		keys = append(keys, requestIndexKey(req.HolderRef, req.ID))
		if err := putJSON(tx, keys[2], requestIndexEntry{ID: req.ID}); err != nil {
			return req, err
		}
	}
	// The request key has its policy from creation; new keys get theirs.
	for _, k := range keys[1:] {
		if err := restrictToBoth(tx, k, caller.MSPID, requester.MSPID); err != nil {
			return req, err
		}
	}
	return req, nil
}

// approvedCredentials checks an approval's credentials against the
// service item: one valid credential of each type it needs, with exactly
// its fields, and nothing else. Returned sorted by type.
func approvedCredentials(tx Tx, reg credential.Registry, svc credential.Service, given []credential.ConsentCredential, now time.Time) ([]credential.ConsentCredential, error) {
	if len(given) != len(svc.Credentials) {
		return nil, consentErr("/credentials", "service %s needs %d credentials, one of each type it lists; the approval names %d", svc.Code, len(svc.Credentials), len(given))
	}
	out := make([]credential.ConsentCredential, 0, len(given))
	seen := map[string]bool{}
	for i, c := range given {
		ptr := fmt.Sprintf("/credentials/%d", i)
		t, ok := reg.Type(c.Type)
		if !ok {
			return nil, consentErr(ptr+"/type", "%q is not a registered credential type", clipped(c.Type))
		}
		fields, needed := svc.Needs(t.ID)
		if !needed || seen[t.ID] {
			return nil, consentErr(ptr+"/type", "service %s does not need (another) credential of type %s", svc.Code, t.ID)
		}
		seen[t.ID] = true
		got := slices.Clone(c.Fields)
		slices.Sort(got)
		if !slices.Equal(got, fields) {
			return nil, consentErr(ptr+"/fields", "the fields of %s must be exactly those service %s lists: %s", t.ID, svc.Code, strings.Join(fields, ", "))
		}
		if _, err := credential.ParseIdentifier(c.ID); err != nil {
			return nil, consentErr(ptr+"/id", "%q is not a credential identifier", clipped(c.ID))
		}
		rec, err := readRecord(tx, c.ID)
		if err != nil {
			return nil, err
		}
		if rec.Type != t.Code {
			return nil, consentErr(ptr+"/id", "credential %s is not of type %s", c.ID, t.ID)
		}
		if st := credential.RecordStatus(rec, reg, now); st != credential.StatusValid {
			return nil, credential.Errorf(credential.ReasonCredentialNotValid, "credential %s is %s", c.ID, st)
		}
		out = append(out, credential.ConsentCredential{Type: t.ID, ID: c.ID, Fields: fields})
	}
	slices.SortFunc(out, func(a, b credential.ConsentCredential) int { return strings.Compare(a.Type, b.Type) })
	return out, nil
}

// RecordProofRead counts one fetch of an approved request's presentations
// by its requester, within the consent's term. The gateway records it
// before it answers the presentations, so no read goes uncounted.
func RecordProofRead(tx Tx, id string) (credential.ConsentRequest, error) {
	caller, err := CallerDepartment(tx)
	if err != nil {
		return credential.ConsentRequest{}, err
	}
	req, err := readRequest(tx, id)
	if err != nil {
		return req, err
	}
	if req.Requester != caller.ID {
		return credential.ConsentRequest{}, credential.RequestNotFound(id)
	}
	now, err := tx.TxTimestamp()
	if err != nil {
		return req, ledgerErr("read the transaction time", err)
	}
	now = now.UTC()
	if !req.ConsentActive(now) {
		return req, credential.Errorf(credential.ReasonConsentEnded, "request %s is %s: there is no consent in force to read under", req.ID, req.StatusAt(now))
	}
	req.Reads++
	req.RecentReads = append(req.RecentReads, now)
	if n := len(req.RecentReads); n > credential.MaxRecentReads {
		req.RecentReads = slices.Clone(req.RecentReads[n-credential.MaxRecentReads:])
	}
	return req, putJSON(tx, requestKey(req.ID), req)
}

// pageLimit checks a page size: 0 means max.
func pageLimit(limit, max int) (int, error) {
	if limit == 0 {
		return max, nil
	}
	if limit < 0 || limit > max {
		return 0, credential.Errorf(credential.ReasonInvalidRequest, "limit must be 1 to %d, not %d", max, limit)
	}
	return limit, nil
}

// validCursorTail accepts what this file's cursors hold after a prefix:
// hex, digits, lower-case letters, '/' and '_'; at most 200 characters.
func validCursorTail(s string) bool {
	if s == "" || len(s) > 200 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c == '/' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// scanPage reads up to limit entries of [prefix, end) after key after (a
// full key, or "" from the start), and the next page's full key.
func scanPage(tx Tx, start, end, after string, limit int) ([]KV, string, error) {
	br, err := boundedRanger(tx)
	if err != nil {
		return nil, "", err
	}
	n := limit + 1
	if after != "" {
		start, n = after, n+1
	}
	kvs, err := br.StateRangeN(start, end, n)
	if err != nil {
		return nil, "", ledgerErr("scan "+start, err)
	}
	if len(kvs) > 0 && kvs[0].Key == after {
		kvs = kvs[1:]
	}
	next := ""
	if len(kvs) > limit {
		kvs = kvs[:limit]
		next = kvs[limit-1].Key
	}
	return kvs, next, nil
}

// requestsOf reads the requests index entries point to, keeping those
// keep accepts: an index only points, the record decides.
func requestsOf(tx Tx, entries []KV, keep func(kv KV, r credential.ConsentRequest) bool) ([]credential.ConsentRequest, error) {
	out := make([]credential.ConsentRequest, 0, len(entries))
	for _, kv := range entries {
		var e requestIndexEntry
		if err := json.Unmarshal(kv.Value, &e); err != nil {
			return nil, ledgerErr("decode "+kv.Key, err)
		}
		r, err := readRequest(tx, e.ID)
		if credential.ErrorReason(err) == credential.ReasonRequestNotFound {
			continue
		}
		if err != nil {
			return nil, err
		}
		if keep(kv, r) {
			out = append(out, r)
		}
	}
	return out, nil
}

// GetRequestsByHolder returns one page of the requests the index lists
// under q.Refs (a holder's reference for each service), in key order:
// at most limit+2 index entries and limit records, one bounded scan per
// reference.
func GetRequestsByHolder(tx Tx, q credential.RequestHolderQuery) (credential.RequestPage, error) {
	page := credential.RequestPage{Requests: []credential.ConsentRequest{}}
	if len(q.Refs) == 0 || len(q.Refs) > credential.MaxRequestRefs {
		return page, credential.Errorf(credential.ReasonInvalidRequest, "a request query names 1 to %d references, not %d", credential.MaxRequestRefs, len(q.Refs))
	}
	for _, r := range q.Refs {
		if !validHex(r, 64) {
			return page, credential.Errorf(credential.ReasonInvalidRequest, "holder reference %q is not 64 hex characters", truncated(r))
		}
	}
	refs := slices.Compact(slices.Sorted(slices.Values(q.Refs)))
	limit, err := pageLimit(q.Limit, credential.MaxRequestPage)
	if err != nil {
		return page, err
	}
	afterRef, afterKey := "", ""
	if q.After != "" {
		ref, id, ok := strings.Cut(q.After, "/")
		if !ok || !validHex(ref, 64) || !credential.ValidRequestID(id) {
			return page, credential.Errorf(credential.ReasonInvalidRequest, "the page cursor %q is not one this ledger returned", truncated(q.After))
		}
		afterRef, afterKey = ref, requestIndexKey(ref, id)
	}
	var entries []KV
	next := ""
	for _, ref := range refs {
		if ref < afterRef {
			continue
		}
		prefix := prefixRequestIndex + ref + "/"
		after := ""
		if ref == afterRef {
			after = afterKey
		}
		kvs, more, err := scanPage(tx, prefix, prefixEnd(prefix), after, limit-len(entries))
		if err != nil {
			return page, err
		}
		entries = append(entries, kvs...)
		if more != "" || len(entries) == limit {
			if more != "" || ref != refs[len(refs)-1] {
				next = strings.TrimPrefix(entries[len(entries)-1].Key, prefixRequestIndex)
			}
			break
		}
	}
	reqs, err := requestsOf(tx, entries, func(kv KV, r credential.ConsentRequest) bool {
		return strings.HasPrefix(kv.Key, prefixRequestIndex+r.HolderRef+"/") && r.HolderRef != ""
	})
	page.Requests = reqs
	page.Next = next
	return page, err
}

// GetRequestsByDept returns one page of department q.Dept's requests,
// newest first.
func GetRequestsByDept(tx Tx, q credential.RequestDeptQuery) (credential.RequestPage, error) {
	page := credential.RequestPage{Requests: []credential.ConsentRequest{}}
	if q.Dept == "" || !validCursorTail(q.Dept) || strings.Contains(q.Dept, "/") {
		return page, credential.Errorf(credential.ReasonInvalidRequest, "a department query names a department ID")
	}
	limit, err := pageLimit(q.Limit, credential.MaxRequestPage)
	if err != nil {
		return page, err
	}
	prefix := requestDeptPrefix(q.Dept)
	after := ""
	if q.After != "" {
		if !validCursorTail(q.After) {
			return page, credential.Errorf(credential.ReasonInvalidRequest, "the page cursor %q is not one this ledger returned", truncated(q.After))
		}
		after = prefix + q.After
	}
	kvs, next, err := scanPage(tx, prefix, prefixEnd(prefix), after, limit)
	if err != nil {
		return page, err
	}
	page.Requests, err = requestsOf(tx, kvs, func(_ KV, r credential.ConsentRequest) bool { return r.Requester == q.Dept })
	page.Next = strings.TrimPrefix(next, prefix)
	return page, err
}

// GetReceipts returns one page of the receipts decided in [q.From, q.To),
// oldest first; zero times leave that end open.
func GetReceipts(tx Tx, q credential.ReceiptQuery) (credential.ReceiptPage, error) {
	page := credential.ReceiptPage{Receipts: []credential.Receipt{}}
	limit, err := pageLimit(q.Limit, credential.MaxRequestPage)
	if err != nil {
		return page, err
	}
	start, end := prefixReceipt, prefixEnd(prefixReceipt)
	if !q.From.IsZero() {
		start = prefixReceipt + receiptTime(q.From)
	}
	if !q.To.IsZero() {
		end = prefixReceipt + receiptTime(q.To)
	}
	after := ""
	if q.After != "" {
		if !validCursorTail(q.After) {
			return page, credential.Errorf(credential.ReasonInvalidRequest, "the page cursor %q is not one this ledger returned", truncated(q.After))
		}
		after = prefixReceipt + q.After
		if after < start {
			after = ""
		}
	}
	if start >= end {
		return page, nil
	}
	kvs, next, err := scanPage(tx, start, end, after, limit)
	if err != nil {
		return page, err
	}
	for _, kv := range kvs {
		var r credential.Receipt
		if err := json.Unmarshal(kv.Value, &r); err != nil {
			return page, ledgerErr("decode "+kv.Key, err)
		}
		page.Receipts = append(page.Receipts, r)
	}
	page.Next = strings.TrimPrefix(next, prefixReceipt)
	return page, nil
}
