package chaincode

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
)

// StateRangeN makes memTx a BoundedRanger, as the backends' query
// transactions are.
func (t *memTx) StateRangeN(start, end string, n int) ([]KV, error) {
	kvs, _ := t.StateRange(start, end)
	return kvs[:min(n, len(kvs))], nil
}

// countingTx counts what a query reads: index keys returned by bounded
// scans, and records.
type countingTx struct {
	*memTx
	scanned, gets, unbounded int
}

func (c *countingTx) StateRangeN(start, end string, n int) ([]KV, error) {
	kvs, err := c.memTx.StateRangeN(start, end, n)
	c.scanned += len(kvs)
	return kvs, err
}

func (c *countingTx) StateRange(start, end string) ([]KV, error) {
	c.unbounded++
	return c.memTx.StateRange(start, end)
}

func (c *countingTx) GetState(key string) ([]byte, error) {
	c.gets++
	return c.memTx.GetState(key)
}

// The demo departments' USCCs and type codes, for identifiers.
const (
	samrUSCC    = "11100000MB02000124"
	samrLicence = "11100000MB02000124001"
	eduUSCC     = "11100000MB0300013R"
	eduDiploma  = "11100000MB0300013R001"
)

func ref(s string) string { return strings.Repeat(s, 64/len(s)) }

// putRecord writes a record as the contract would, with or without its
// holder index entry.
func putRecord(t *testing.T, l *memLedger, dept, typeCode, uscc, serial string, version int, holderRef string, indexed bool) credential.Record {
	t.Helper()
	id := credential.Identifier{TypeCode: typeCode, Issuer: uscc, Serial: serial, Version: version}
	rec := credential.Record{ID: id.String(), Type: typeCode, Issuer: dept, HolderRef: holderRef, Status: credential.StatusValid, Version: version}
	tx := l.tx(fmt.Sprintf("%064d", len(l.state)), t0, "SamrMSP", nil)
	if err := putJSON(tx, recordKey(rec.ID), rec); err != nil {
		t.Fatal(err)
	}
	if indexed {
		if err := indexHolder(tx, rec, "SamrMSP"); err != nil {
			t.Fatal(err)
		}
		if err := indexDepartment(tx, rec, credential.Record{}, false, "SamrMSP"); err != nil {
			t.Fatal(err)
		}
	}
	tx.commit()
	return rec
}

// Paging through a holder's credentials returns each exactly once, in
// index order, and no page reads more than its size plus two index entries
// or more records than it returns, however many the holder has.
func TestCredentialsByHolderPages(t *testing.T) {
	l := newMemLedger()
	a, b, other := ref("a"), ref("b"), ref("c")
	var want []string
	for i := range 250 {
		want = append(want, putRecord(t, l, "samr", samrLicence, samrUSCC, fmt.Sprintf("A%04d", i), 1, a, true).ID)
	}
	for i := range 7 {
		want = append(want, putRecord(t, l, "edu", eduDiploma, eduUSCC, fmt.Sprintf("B%04d", i), 1, b, true).ID)
	}
	putRecord(t, l, "samr", samrLicence, samrUSCC, "OTHER", 1, other, true)

	for _, limit := range []int{0, 1, 7, 100} {
		t.Run(fmt.Sprint("limit ", limit), func(t *testing.T) {
			size := limit
			if size == 0 {
				size = credential.MaxHolderPage
			}
			var got []string
			q := credential.HolderQuery{Refs: []string{b, a}, Limit: limit}
			for pages := 0; ; pages++ {
				if pages > len(want) {
					t.Fatal("paging does not end")
				}
				ct := &countingTx{memTx: l.tx("", t0, "", nil)}
				page, err := GetCredentialsByHolder(ct, q)
				if err != nil {
					t.Fatal(err)
				}
				if len(page.Records) > size || ct.scanned > size+2 || ct.gets > len(page.Records) || ct.unbounded > 0 {
					t.Fatalf("page %d: %d records, %d index entries scanned, %d records read, %d unbounded scans; page size %d",
						pages, len(page.Records), ct.scanned, ct.gets, ct.unbounded, size)
				}
				for _, r := range page.Records {
					got = append(got, r.ID)
				}
				if page.Next == "" {
					break
				}
				if len(page.Records) != size {
					t.Fatalf("page %d has %d records and a next page", pages, len(page.Records))
				}
				q.After = page.Next
			}
			if !slices.Equal(got, want) {
				t.Fatalf("got %d records, want %d in order; first %v", len(got), len(want), got[:min(3, len(got))])
			}
		})
	}
}

// An index entry only points: a record that does not carry the reference
// it is listed under is left out, as is an entry whose record is gone.
func TestCredentialsByHolderTrustsRecordsOnly(t *testing.T) {
	l := newMemLedger()
	a := ref("a")
	own := putRecord(t, l, "samr", samrLicence, samrUSCC, "OWN", 1, a, true)
	foreign := putRecord(t, l, "samr", samrLicence, samrUSCC, "FOREIGN", 1, ref("d"), false)
	tx := l.tx("x", t0, "SamrMSP", nil)
	id, _ := credential.ParseIdentifier(foreign.ID)
	putJSON(tx, holderIndexKey(a, id), holderIndexEntry{ID: foreign.ID})
	missing := credential.Identifier{TypeCode: samrLicence, Issuer: samrUSCC, Serial: "GONE", Version: 1}
	putJSON(tx, holderIndexKey(a, missing), holderIndexEntry{ID: missing.String()})
	tx.commit()

	page, err := GetCredentialsByHolder(l.tx("", t0, "", nil), credential.HolderQuery{Refs: []string{a}})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Records) != 1 || page.Records[0].ID != own.ID {
		t.Fatalf("records %+v, want only %s", page.Records, own.ID)
	}
}

func TestCredentialsByHolderRefusesBadQueries(t *testing.T) {
	l := newMemLedger()
	many := make([]string, credential.MaxHolderRefs+1)
	for i := range many {
		many[i] = fmt.Sprintf("%064x", i)
	}
	for name, q := range map[string]credential.HolderQuery{
		"no references":        {},
		"too many references":  {Refs: many},
		"short reference":      {Refs: []string{"abc"}},
		"reference with slash": {Refs: []string{ref("a")[:63] + "/"}},
		"page too large":       {Refs: []string{ref("a")}, Limit: credential.MaxHolderPage + 1},
		"negative page":        {Refs: []string{ref("a")}, Limit: -1},
		"cursor without key":   {Refs: []string{ref("a")}, After: ref("a")},
		"cursor out of range":  {Refs: []string{ref("a")}, After: ref("a") + "/../../cred/x"},
		"cursor with bad ref":  {Refs: []string{ref("a")}, After: "zz/" + samrLicence},
	} {
		_, err := GetCredentialsByHolder(l.tx("", t0, "", nil), q)
		if credential.ErrorReason(err) != credential.ReasonInvalidRequest {
			t.Errorf("%s: %v, want invalid_request", name, err)
		}
	}
	if _, err := GetCredentialsByHolder(&unboundedTx{l.tx("", t0, "", nil)}, credential.HolderQuery{Refs: []string{ref("a")}}); err == nil || credential.ErrorCode(err) != credential.CodeInternal {
		t.Errorf("a Tx without bounded scans: %v, want an internal error", err)
	}
}

// unboundedTx hides memTx's StateRangeN.
type unboundedTx struct{ Tx }

// Issuance lists the credential under its record's holder reference, with
// the issuer's key-level policy; the index carries nothing personal. One
// holder's credentials of two departments are listed under two unrelated
// references, so a query with one department's finds only its own.
func TestIssueIndexesHolderPerDepartment(t *testing.T) {
	l, keys := provisionedAll(t)
	key := []byte("0123456789abcdef0123456789abcdef")
	holder := credential.Holder{Name: "张三", IDType: credential.IDResidentCard, IDNumber: "11010519491231002X"}
	issue := func(dept, typeID string, fields map[string]string) (credential.Record, string) {
		t.Helper()
		reg, _ := GetRegistry(l.tx("", t0, "", nil))
		d, _ := reg.Department(dept)
		ty, _ := reg.Type(typeID)
		doc, err := credential.Issue(credential.IssueParams{Type: ty, Issuer: d, IssuedAt: t0, Holder: holder, Fields: fields}, d.Keys[0].ID, keys[dept])
		if err != nil {
			t.Fatal(err)
		}
		req, _ := json.Marshal(credential.IssueRequest{Document: *doc, HolderRef: credential.HolderRef(key, dept, holder.IDType, holder.IDNumber)})
		tx := l.tx(fmt.Sprintf("%064x", len(l.state)), t0, d.MSPID, map[string][]byte{TransientRequest: req})
		res, err := Issue(tx)
		if err != nil {
			t.Fatal(err)
		}
		tx.commit()
		return res.Record, tx.trace()
	}
	lic, trace := issue(demo.HumanRes, "professional-qualification", map[string]string{"occupation": "软件工程师", "grade": "二级",
		"certificateNumber": "2000120240001"})
	dip, _ := issue(demo.Education, "diploma", map[string]string{"school": "某大学", "major": "计算机科学与技术",
		"level": "本科", "graduatedOn": "2024-06-30", "certificateNumber": "1000120240001"})

	id, _ := credential.ParseIdentifier(lic.ID)
	k := holderIndexKey(lic.HolderRef, id)
	for _, want := range []string{"put " + k + `={"id":"` + lic.ID + `"}`, "policy " + k + "=HrssMSP"} {
		if !strings.Contains(trace, want) {
			t.Errorf("issue did not %q:\n%s", want, trace)
		}
	}
	for _, line := range strings.Split(trace, "\n") {
		if strings.Contains(line, prefixHolderIndex) && (strings.Contains(line, holder.IDNumber) || strings.Contains(line, holder.Name)) {
			t.Errorf("personal data in the holder index: %s", line)
		}
	}
	if lic.HolderRef == dip.HolderRef {
		t.Fatal("two departments' records share a holder reference")
	}
	for _, tt := range []struct {
		refs []string
		want []string
	}{
		{[]string{lic.HolderRef}, []string{lic.ID}},
		{[]string{dip.HolderRef}, []string{dip.ID}},
		{[]string{credential.LegacyHolderRef(key, holder.IDType, holder.IDNumber)}, nil},
	} {
		page, err := GetCredentialsByHolder(l.tx("", t0, "", nil), credential.HolderQuery{Refs: tt.refs})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range page.Records {
			got = append(got, r.ID)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("refs %.8s…: %v, want %v", tt.refs[0], got, tt.want)
		}
	}
}

// provisionedAll is provisioned with every department's signing key.
func provisionedAll(t *testing.T) (*memLedger, map[string]ed25519.PrivateKey) {
	t.Helper()
	l := newMemLedger()
	keys := map[string]ed25519.PrivateKey{}
	n := 0
	run := func(fn func(tx Tx) error) {
		n++
		tx := l.tx(fmt.Sprintf("%064x", n), t0, "GovMSP", nil)
		if err := fn(tx); err != nil {
			t.Fatal(err)
		}
		tx.commit()
	}
	for _, d := range demo.Departments() {
		pub, priv, _ := ed25519.GenerateKey(nil)
		keys[d.ID] = priv
		d.Keys = []credential.Key{{ID: d.ID + "-1", PublicKey: base64.StdEncoding.EncodeToString(pub), ValidFrom: t0.Add(-time.Hour), Status: credential.KeyActive}}
		run(func(tx Tx) error { return PutDepartment(tx, d) })
	}
	for _, ty := range demo.Types() {
		run(func(tx Tx) error { return PutCredentialType(tx, ty) })
	}
	return l, keys
}

// Records written before the index are listed by IndexHolders, in
// transactions of at most IndexBatch records: each credential once, under
// its newest version, with its issuer's policy; entries already there are
// left as they are, and a second run writes nothing.
func TestIndexHoldersBackfills(t *testing.T) {
	l, _ := provisioned(t)
	a, b := ref("a"), ref("b")
	var want []string
	for i := range IndexBatch + 20 {
		want = append(want, putRecord(t, l, "samr", samrLicence, samrUSCC, fmt.Sprintf("S%04d", i), 1, a, false).ID)
	}
	putRecord(t, l, "edu", eduDiploma, eduUSCC, "RE", 1, b, false)
	v2 := putRecord(t, l, "edu", eduDiploma, eduUSCC, "RE", 2, b, false)
	already := putRecord(t, l, "samr", samrLicence, samrUSCC, "DONE", 1, a, true)
	want = append(want, already.ID)
	slices.Sort(want)

	if _, err := IndexHolders(l.tx("s", t0, "SamrMSP", nil), ""); credential.ErrorReason(err) != credential.ReasonNotGovernance {
		t.Fatalf("IndexHolders as samr: %v, want not_governance", err)
	}
	after, runs, indexed := "", 0, 0
	var trace strings.Builder
	for {
		tx := l.tx(fmt.Sprintf("%064x", 900+runs), t0, "GovMSP", nil)
		p, err := IndexHolders(tx, after)
		if err != nil {
			t.Fatal(err)
		}
		tx.commit()
		trace.WriteString(tx.trace())
		runs, indexed = runs+1, indexed+p.Indexed
		if p.Scanned > IndexBatch {
			t.Fatalf("one transaction scanned %d records", p.Scanned)
		}
		if p.Next == "" {
			break
		}
		after = p.Next
	}
	// Each record unlisted gets two entries: the holder's and the register's.
	if runs != 2 || indexed != 2*(IndexBatch+21) {
		t.Fatalf("%d transactions wrote %d entries; want 2 and %d", runs, indexed, 2*(IndexBatch+21))
	}
	if strings.Contains(trace.String(), `"id":"`+already.ID) {
		t.Error("an existing entry was written again")
	}
	id2, _ := credential.ParseIdentifier(v2.ID)
	if !strings.Contains(trace.String(), "policy "+holderIndexKey(b, id2)+"=EduMSP") {
		t.Error("the backfilled entry of an edu record is not edu's to change")
	}

	var got []string
	for q := (credential.HolderQuery{Refs: []string{a}}); ; {
		page, err := GetCredentialsByHolder(l.tx("", t0, "", nil), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Records {
			got = append(got, r.ID)
		}
		if q.After = page.Next; q.After == "" {
			break
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("after the backfill samr's holder has %d credentials, want %d", len(got), len(want))
	}
	page, _ := GetCredentialsByHolder(l.tx("", t0, "", nil), credential.HolderQuery{Refs: []string{b}})
	if len(page.Records) != 1 || page.Records[0].ID != v2.ID {
		t.Fatalf("reissued credential listed as %+v, want version 2 only", page.Records)
	}

	again := l.tx("again", t0, "GovMSP", nil)
	if p, err := IndexHolders(again, ""); err != nil || p.Indexed != 0 || again.trace() != "" {
		t.Fatalf("second run: %+v, %v, wrote %q", p, err, again.trace())
	}
	if _, err := IndexHolders(l.tx("", t0, "GovMSP", nil), "not-an-id"); credential.ErrorReason(err) != credential.ReasonInvalidIdentifier {
		t.Fatalf("bad cursor: %v", err)
	}
}
