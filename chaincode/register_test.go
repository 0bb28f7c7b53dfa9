package chaincode

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
)

const samrOtherType = "11100000MB02000124002"

// putListed writes a record of samr issued at t, listed in the register and
// the holder index as the contract lists it.
func putListed(t *testing.T, l *memLedger, typeCode, serial string, at time.Time, holderRef string, status credential.Status, until time.Time) credential.Record {
	t.Helper()
	id := credential.Identifier{TypeCode: typeCode, Issuer: samrUSCC, Serial: serial, Version: 1}
	rec := credential.Record{ID: id.String(), Type: typeCode, Issuer: "samr", HolderRef: holderRef, Status: status,
		IssuedAt: at, ValidFrom: at, ValidUntil: until, Version: 1}
	tx := l.tx(fmt.Sprintf("%064d", len(l.state)), at, "SamrMSP", nil)
	if err := putJSON(tx, recordKey(rec.ID), rec); err != nil {
		t.Fatal(err)
	}
	if err := indexHolder(tx, rec, "SamrMSP"); err != nil {
		t.Fatal(err)
	}
	if err := indexDepartment(tx, rec, credential.Record{}, false, "SamrMSP"); err != nil {
		t.Fatal(err)
	}
	tx.commit()
	return rec
}

// registerAll pages through a register query and returns every record's
// identifier, failing on a page larger than the limit, a scan beyond the
// bound or a page that reads more records than it scanned entries. A
// batch's leaves count as scanned without a range scan of their own.
func registerAll(t *testing.T, l *memLedger, msp string, q credential.RegisterQuery) ([]string, int) {
	t.Helper()
	batches, _ := l.tx("", q.Now, "", nil).StateRange(prefixAnchor, prefixEnd(prefixAnchor))
	var ids []string
	pages := 0
	for ; ; pages++ {
		if pages > 2000 {
			t.Fatal("paging does not end")
		}
		ct := &countingTx{memTx: l.tx("", q.Now, msp, nil)}
		page, err := GetCredentialsByDepartment(ct, q)
		if err != nil {
			t.Fatal(err)
		}
		size := q.Limit
		if size == 0 {
			size = credential.DefaultRegisterPage
		}
		if len(page.Records) > size || page.Scanned > credential.MaxRegisterScan || ct.scanned > credential.MaxRegisterScan+credential.MaxRegisterScan/10 ||
			len(batches) == 0 && page.Scanned != ct.scanned {
			t.Fatalf("page %d: %d records, %d scanned (reported %d)", pages, len(page.Records), ct.scanned, page.Scanned)
		}
		for _, r := range page.Records {
			ids = append(ids, r.ID)
		}
		if q.After = page.Next; q.After == "" {
			return ids, pages + 1
		}
	}
}

// The register lists the department's credentials newest first, each once
// whatever the page size, filtered by type, status and issuance period; an
// equal issuance time is ordered by identifier. Another department's
// credentials are never listed.
func TestRegisterPagesAndFilters(t *testing.T) {
	l, _ := provisioned(t)
	now := t0.Add(400 * time.Hour)
	type want struct {
		id     string
		typ    string
		at     time.Time
		status credential.Status
	}
	var all []want
	for i := range 120 {
		at := t0.Add(time.Duration(i/2) * time.Hour) // pairs share an instant
		typ, status, until := samrLicence, credential.StatusValid, time.Time{}
		switch {
		case i%7 == 0:
			typ = samrOtherType
		case i%5 == 0:
			status = credential.StatusRevoked
		case i%11 == 0:
			until = t0.Add(time.Hour) // expired by now
		}
		rec := putListed(t, l, typ, fmt.Sprintf("R%04d", i), at, ref("a"), status, until)
		derived := status
		if !until.IsZero() {
			derived = credential.StatusExpired
		}
		all = append(all, want{rec.ID, typ, at, derived})
	}
	// edu's credential, and one record listed under samr's prefix by a
	// forged entry whose record names edu: neither is samr's.
	eduRec := putRecord(t, l, "edu", eduDiploma, eduUSCC, "EDU1", 1, ref("b"), false)
	tx := l.tx("forged", t0, "EduMSP", nil)
	putJSON(tx, deptIndexPrefix("samr")+invertedTime(t0)+"/"+eduRec.ID, holderIndexEntry{ID: eduRec.ID})
	tx.commit()

	slices.SortFunc(all, func(a, b want) int {
		if c := b.at.Compare(a.at); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	sel := func(keep func(want) bool) []string {
		var out []string
		for _, w := range all {
			if keep(w) {
				out = append(out, w.id)
			}
		}
		return out
	}
	from, to := t0.Add(10*time.Hour), t0.Add(20*time.Hour)
	for _, tt := range []struct {
		name string
		q    credential.RegisterQuery
		want []string
	}{
		{"all", credential.RegisterQuery{}, sel(func(want) bool { return true })},
		{"page of 1", credential.RegisterQuery{Limit: 1}, sel(func(want) bool { return true })},
		{"page of 7", credential.RegisterQuery{Limit: 7}, sel(func(want) bool { return true })},
		{"type", credential.RegisterQuery{Type: samrOtherType, Limit: 3}, sel(func(w want) bool { return w.typ == samrOtherType })},
		{"revoked", credential.RegisterQuery{Status: credential.StatusRevoked, Limit: 4}, sel(func(w want) bool { return w.status == credential.StatusRevoked })},
		{"expired", credential.RegisterQuery{Status: credential.StatusExpired}, sel(func(w want) bool { return w.status == credential.StatusExpired })},
		{"period", credential.RegisterQuery{IssuedFrom: from, IssuedTo: to, Limit: 5}, sel(func(w want) bool { return !w.at.Before(from) && w.at.Before(to) })},
		{"period and type", credential.RegisterQuery{IssuedFrom: from, IssuedTo: to, Type: samrLicence}, sel(func(w want) bool {
			return !w.at.Before(from) && w.at.Before(to) && w.typ == samrLicence
		})},
		{"holder", credential.RegisterQuery{HolderRefs: []string{ref("a")}, Limit: 9}, sel(func(want) bool { return true })},
		{"holder and status", credential.RegisterQuery{HolderRefs: []string{ref("a"), ref("c")}, Status: credential.StatusRevoked, Limit: 2}, sel(func(w want) bool { return w.status == credential.StatusRevoked })},
		{"another holder", credential.RegisterQuery{HolderRefs: []string{ref("b")}}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			q := tt.q
			q.Dept, q.Now = "samr", now
			got, _ := registerAll(t, l, "SamrMSP", q)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("got %d records, want %d\n got %v\nwant %v", len(got), len(tt.want), head(got), head(tt.want))
			}
		})
	}
}

func head(s []string) []string { return s[:min(4, len(s))] }

// A status filter that matches few credentials scans at most
// MaxRegisterScan entries per page: the first page comes back short with a
// cursor, and the pages that follow find the rest.
func TestRegisterScanIsBounded(t *testing.T) {
	l, _ := provisioned(t)
	n := credential.MaxRegisterScan + 300
	var suspended []string
	for i := range n {
		status := credential.StatusValid
		if i < 3 { // the oldest three, at the far end of the index
			status = credential.StatusSuspended
		}
		rec := putListed(t, l, samrLicence, fmt.Sprintf("B%05d", i), t0.Add(time.Duration(i)*time.Second), ref("a"), status, time.Time{})
		if status == credential.StatusSuspended {
			suspended = append([]string{rec.ID}, suspended...)
		}
	}
	q := credential.RegisterQuery{Dept: "samr", Now: t0.Add(time.Hour), Status: credential.StatusSuspended, Limit: 2}
	ct := &countingTx{memTx: l.tx("", q.Now, "SamrMSP", nil)}
	first, err := GetCredentialsByDepartment(ct, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Records) != 0 || first.Next == "" || first.Scanned != credential.MaxRegisterScan || ct.gets > credential.MaxRegisterScan+8 {
		t.Fatalf("first page: %d records, next %q, %d scanned, %d reads", len(first.Records), first.Next, first.Scanned, ct.gets)
	}
	got, pages := registerAll(t, l, "SamrMSP", q)
	if !slices.Equal(got, suspended) || pages != 3 {
		t.Fatalf("got %v in %d pages, want %v in 3 (empty, 2, 1)", got, pages, suspended)
	}
}

// Only the department itself reads its register, and bad queries are
// refused before anything is scanned.
func TestRegisterRefuses(t *testing.T) {
	l, _ := provisioned(t)
	now := t0.Add(time.Hour)
	for _, tt := range []struct {
		name   string
		msp    string
		q      credential.RegisterQuery
		reason credential.Reason
	}{
		{"another department", "EduMSP", credential.RegisterQuery{Dept: "samr", Now: now}, credential.ReasonNotIssuer},
		{"governance", "GovMSP", credential.RegisterQuery{Dept: "samr", Now: now}, credential.ReasonNotIssuer},
		{"unknown caller", "NobodyMSP", credential.RegisterQuery{Dept: "samr", Now: now}, credential.ReasonUnknownDepartment},
		{"page too large", "SamrMSP", credential.RegisterQuery{Dept: "samr", Now: now, Limit: credential.MaxRegisterPage + 1}, credential.ReasonInvalidRequest},
		{"unknown status", "SamrMSP", credential.RegisterQuery{Dept: "samr", Now: now, Status: "lost"}, credential.ReasonInvalidRequest},
		{"no instant", "SamrMSP", credential.RegisterQuery{Dept: "samr"}, credential.ReasonInvalidRequest},
		{"cursor out of range", "SamrMSP", credential.RegisterQuery{Dept: "samr", Now: now, After: "../../cred/x"}, credential.ReasonInvalidRequest},
		{"cursor with bad time", "SamrMSP", credential.RegisterQuery{Dept: "samr", Now: now, After: "12x4567890123456789/" + samrLicence}, credential.ReasonInvalidRequest},
		{"three holder references", "SamrMSP", credential.RegisterQuery{Dept: "samr", Now: now, HolderRefs: []string{ref("a"), ref("b"), ref("c")}}, credential.ReasonInvalidRequest},
		{"bad holder reference", "SamrMSP", credential.RegisterQuery{Dept: "samr", Now: now, HolderRefs: []string{"zz"}}, credential.ReasonInvalidRequest},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := GetCredentialsByDepartment(l.tx("", now, tt.msp, nil), tt.q)
			if credential.ErrorReason(err) != tt.reason {
				t.Fatalf("%v, want %s", err, tt.reason)
			}
		})
	}
}

// A new version of a credential takes its predecessor's place in the
// register, in the one transaction, with the issuer's policy.
func TestRegisterListsCurrentVersions(t *testing.T) {
	l, _ := provisioned(t)
	v1 := putListed(t, l, samrLicence, "V", t0, ref("a"), credential.StatusValid, time.Time{})
	id2 := credential.Identifier{TypeCode: samrLicence, Issuer: samrUSCC, Serial: "V", Version: 2}
	v2 := v1
	v2.ID, v2.Version, v2.Renews, v2.IssuedAt = id2.String(), 2, v1.ID, t0.Add(time.Hour)
	tx := l.tx("v2", v2.IssuedAt, "SamrMSP", nil)
	if err := indexDepartment(tx, v2, v1, replacesVersion(v2, true), "SamrMSP"); err != nil {
		t.Fatal(err)
	}
	putJSON(tx, recordKey(v2.ID), v2)
	tx.commit()
	for _, want := range []string{"del " + deptIndexKey(v1), "put " + deptIndexKey(v2), "policy " + deptIndexKey(v2) + "=SamrMSP"} {
		if !strings.Contains(tx.trace(), want) {
			t.Errorf("the new version did not %q:\n%s", want, tx.trace())
		}
	}
	got, _ := registerAll(t, l, "SamrMSP", credential.RegisterQuery{Dept: "samr", Now: t0.Add(2 * time.Hour)})
	if !slices.Equal(got, []string{v2.ID}) {
		t.Fatalf("register %v, want version 2 only", got)
	}
	other := credential.Identifier{TypeCode: samrLicence, Issuer: samrUSCC, Serial: "W", Version: 1}
	renewal := credential.Record{ID: other.String(), Renews: v2.ID}
	if replacesVersion(renewal, true) {
		t.Error("a renewal under a new serial replaces the credential it renews in the register")
	}
}
