package chaincode

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
)

// registerItem is one credential the register should list.
type registerItem struct {
	key    string // its position in the register
	id     string
	typ    string
	at     time.Time
	status credential.Status
	holder string
}

func leafPosition(a credential.Anchor, i int) string {
	return fmt.Sprintf("%s/%s%s/%s/%04d", invertedTime(a.IssuedAt), anchorIndexMark, a.Type, a.Token, i)
}

// The register lists a batch's credentials where its entry stands, in leaf
// order, with the single issuances of the same instant first; each once
// whatever the page size, a renewed one as its new version, and filtered
// per credential by type, status, period and holder.
func TestRegisterListsBatches(t *testing.T) {
	f := newAnchorFixture(t)
	l := f.l
	holderA, holderB := ref("a"), ref("b")
	var items []registerItem
	single := func(typ, serial string, at time.Time, holder string, status credential.Status) {
		rec := putListed(t, l, typ, serial, at, holder, status, time.Time{})
		items = append(items, registerItem{invertedTime(at) + "/" + rec.ID, rec.ID, typ, at, status, holder})
	}
	single(samrLicence, "S1", t0, holderA, credential.StatusValid) // the instant of the early batch
	single(samrOtherType, "S2", t0, holderB, credential.StatusValid)
	single(samrLicence, "S3", t0.Add(2*time.Minute), holderB, credential.StatusRevoked)
	single(samrOtherType, "S4", t0.Add(10*time.Minute), holderA, credential.StatusValid)
	single(samrLicence, "S5", t0.Add(-time.Hour), holderA, credential.StatusValid)

	ab := func(i int) string { return []string{holderA, holderB}[i%2] }
	early, _ := f.anchor(batchSpec{seed: "early", n: 600, holder: ab, issuedAt: t0})
	late, docs := f.anchor(batchSpec{seed: "late", n: 300, docs: true, holder: ab, issuedAt: t0.Add(5 * time.Minute),
		statusFrom: credential.AnchorStatusBase + 600})
	status := map[string]credential.Status{}
	for _, c := range []struct {
		id     string
		action credential.Action
		status credential.Status
	}{
		{early.CredentialID(5), credential.ActionSuspend, credential.StatusSuspended},
		{early.CredentialID(7), credential.ActionRevoke, credential.StatusRevoked},
		{late.CredentialID(11), credential.ActionRevoke, credential.StatusRevoked},
	} {
		tx := f.next(t0.Add(30*time.Minute), "SamrMSP", nil)
		if _, err := ChangeStatus(tx, c.id, credential.StatusChange{Action: c.action, Reason: "核查", Code: credential.RevokedWithdrawn}); err != nil {
			t.Fatal(err)
		}
		tx.commit()
		status[c.id] = c.status
	}
	renewedAt := t0.Add(time.Hour)
	res, _, err := f.issue(f.nextVersion(docs[9], credential.ActionRenew, renewedAt), ab(9), 0, credential.ActionRenew, "")
	if err != nil {
		t.Fatal(err)
	}
	items = append(items, registerItem{invertedTime(renewedAt) + "/" + res.Record.ID, res.Record.ID, samrLicence, renewedAt, credential.StatusValid, ab(9)})
	for _, a := range []credential.Anchor{early, late} {
		for i := range a.Count {
			id := a.CredentialID(i)
			if a.Token == late.Token && i == 9 {
				continue // renewed: listed as its version 2
			}
			st := status[id]
			if st == "" {
				st = credential.StatusValid
			}
			items = append(items, registerItem{leafPosition(a, i), id, a.Type, a.IssuedAt, st, ab(i)})
		}
	}
	slices.SortFunc(items, func(x, y registerItem) int { return strings.Compare(x.key, y.key) })
	sel := func(keep func(registerItem) bool) []string {
		var out []string
		for _, it := range items {
			if keep(it) {
				out = append(out, it.id)
			}
		}
		return out
	}
	from, to := t0, t0.Add(3*time.Minute)
	for _, tt := range []struct {
		name string
		q    credential.RegisterQuery
		want []string
	}{
		{"all", credential.RegisterQuery{}, sel(func(registerItem) bool { return true })},
		{"pages of 7", credential.RegisterQuery{Limit: 7}, sel(func(registerItem) bool { return true })},
		{"pages of 500", credential.RegisterQuery{Limit: credential.MaxRegisterPage}, sel(func(registerItem) bool { return true })},
		{"another type", credential.RegisterQuery{Type: samrOtherType, Limit: 1}, sel(func(it registerItem) bool { return it.typ == samrOtherType })},
		{"the batches' type", credential.RegisterQuery{Type: samrLicence, Limit: 9}, sel(func(it registerItem) bool { return it.typ == samrLicence })},
		{"suspended", credential.RegisterQuery{Status: credential.StatusSuspended, Limit: 1}, sel(func(it registerItem) bool { return it.status == credential.StatusSuspended })},
		{"revoked", credential.RegisterQuery{Status: credential.StatusRevoked, Limit: 2}, sel(func(it registerItem) bool { return it.status == credential.StatusRevoked })},
		{"period", credential.RegisterQuery{IssuedFrom: from, IssuedTo: to, Limit: 100}, sel(func(it registerItem) bool { return !it.at.Before(from) && it.at.Before(to) })},
		{"holder", credential.RegisterQuery{HolderRefs: []string{holderA}, Limit: 11}, sel(func(it registerItem) bool { return it.holder == holderA })},
		{"the renewing holder", credential.RegisterQuery{HolderRefs: []string{holderB}, Limit: 50}, sel(func(it registerItem) bool { return it.holder == holderB })},
		{"holder and status", credential.RegisterQuery{HolderRefs: []string{holderB, ref("c")}, Status: credential.StatusRevoked, Limit: 1},
			sel(func(it registerItem) bool { return it.holder == holderB && it.status == credential.StatusRevoked })},
		{"holder and type", credential.RegisterQuery{HolderRefs: []string{holderA}, Type: samrOtherType},
			sel(func(it registerItem) bool { return it.holder == holderA && it.typ == samrOtherType })},
	} {
		t.Run(tt.name, func(t *testing.T) {
			q := tt.q
			q.Dept, q.Now = "samr", t0.Add(2*time.Hour)
			got, _ := registerAll(t, l, "SamrMSP", q)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("got %d records, want %d\n got %v\nwant %v", len(got), len(tt.want), head(got), head(tt.want))
			}
		})
	}
	// A cursor names a leaf; the next page starts at the leaf after it.
	q := credential.RegisterQuery{Dept: "samr", Now: t0.Add(2 * time.Hour), Limit: 3, After: leafPosition(early, 4)}
	page, err := GetCredentialsByDepartment(f.read("SamrMSP"), q)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{early.CredentialID(5), early.CredentialID(6), early.CredentialID(7)}
	if got := idsOf(page.Records); !slices.Equal(got, want) || page.Next != leafPosition(early, 7) {
		t.Fatalf("after leaf 4: %v next %q; want %v next %q", got, page.Next, want, leafPosition(early, 7))
	}
	if all, _ := registerAll(t, l, "SamrMSP", credential.RegisterQuery{Dept: "samr", Now: q.Now, Limit: credential.MaxRegisterPage}); len(all) != 5+1+600+299 {
		t.Fatalf("the register lists %d credentials, want 905", len(all))
	}
}

func idsOf(recs []credential.Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r.ID)
	}
	return out
}

// Leaves count against the scan bound: a selective filter over two full
// batches reads a chunk of leaves at a time, stops inside a batch with a
// cursor there, and the pages that follow find the rest.
func TestRegisterScanIsBoundedInsideBatches(t *testing.T) {
	f := newAnchorFixture(t)
	older, _ := f.anchor(batchSpec{seed: "older", n: credential.MaxAnchorLeaves, issuedAt: t0})
	newer, _ := f.anchor(batchSpec{seed: "newer", n: credential.MaxAnchorLeaves, issuedAt: t0.Add(time.Minute),
		statusFrom: credential.AnchorStatusBase + credential.MaxAnchorLeaves})
	want := []string{newer.CredentialID(3), older.CredentialID(8000)}
	for _, id := range want {
		tx := f.next(t0.Add(5*time.Minute), "SamrMSP", nil)
		if _, err := ChangeStatus(tx, id, credential.StatusChange{Action: credential.ActionSuspend, Reason: "核查"}); err != nil {
			t.Fatal(err)
		}
		tx.commit()
	}
	q := credential.RegisterQuery{Dept: "samr", Now: t0.Add(time.Hour), Status: credential.StatusSuspended, Limit: 2}
	var got []string
	pages := 0
	for ; ; pages++ {
		ct := &countingTx{memTx: f.read("SamrMSP")}
		page, err := GetCredentialsByDepartment(ct, q)
		if err != nil {
			t.Fatal(err)
		}
		// A page reads a chunk of leaves per 256 it looks at, the two
		// batches and the caller's registry entries.
		if page.Scanned > credential.MaxRegisterScan || ct.gets > credential.MaxRegisterScan/credential.AnchorChunkSize+12 {
			t.Fatalf("page %d: %d scanned, %d reads", pages, page.Scanned, ct.gets)
		}
		if pages == 0 && (len(page.Records) != 1 || !strings.Contains(page.Next, "/"+anchorIndexMark+f.licence.Code+"/"+newer.Token+"/")) {
			t.Fatalf("first page: %v, next %q; want one record and a cursor inside the newer batch", idsOf(page.Records), page.Next)
		}
		got = append(got, idsOf(page.Records)...)
		if q.After = page.Next; q.After == "" {
			break
		}
	}
	if !slices.Equal(got, want) || pages+1 != 4 {
		t.Fatalf("got %v in %d pages, want %v in 4", got, pages+1, want)
	}
}

func TestRegisterRefusesBadLeafCursors(t *testing.T) {
	f := newAnchorFixture(t)
	inv := invertedTime(t0)
	for _, after := range []string{
		inv + "/~" + samrLicence + "/ABCDEFGHIJKL",
		inv + "/~" + samrLicence + "/ABCDEFGHIJKL/8192",
		inv + "/~" + samrLicence + "/ABCDEFGHIJKL/12",
		inv + "/~" + samrLicence + "/abcdefghijkl/0001",
		inv + "/~samr/ABCDEFGHIJKL/0001",
		inv + "/~../../cred/x/0001",
	} {
		_, err := GetCredentialsByDepartment(f.read("SamrMSP"), credential.RegisterQuery{Dept: "samr", Now: t0, After: after})
		if credential.ErrorReason(err) != credential.ReasonInvalidRequest {
			t.Errorf("cursor %q: %v, want invalid_request", after, err)
		}
	}
}
