package chaincode

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
)

// holderLedger is samr's credentials of a few holders, issued singly and
// in two batches, with a renewal and a suspension of anchored ones.
type holderLedger struct {
	f              *anchorFixture
	a1, a2, b, c   string // a1 and a2 share their holder shard
	big, small     credential.Anchor
	singles        map[string][]string // by reference: identifiers issued singly
	renewed        string              // version 2 of big's leaf 0
	suspended      string              // big's leaf 4
	singleOrder    map[string]string   // identifier -> its holder index key
	anchoredHolder map[string]string   // identifier -> its holder reference
}

func newHolderLedger(t *testing.T) *holderLedger {
	f := newAnchorFixture(t)
	h := &holderLedger{f: f, a1: "aa" + strings.Repeat("1", 62), a2: "aa" + strings.Repeat("2", 62), b: ref("b"), c: ref("c"),
		singles: map[string][]string{}, singleOrder: map[string]string{}, anchoredHolder: map[string]string{}}
	single := func(holder string, i int) string {
		res, _, err := f.issue(f.sign(f.params(fmt.Sprintf("单独%d", i), t0)), holder, 0, "", "")
		if err != nil {
			t.Fatal(err)
		}
		id, _ := credential.ParseIdentifier(res.Record.ID)
		h.singles[holder] = append(h.singles[holder], res.Record.ID)
		h.singleOrder[res.Record.ID] = holderIndexKey(holder, id)
		return res.Record.ID
	}
	for i, holder := range []string{h.a1, h.a1, h.a1, h.a2, h.a2, h.b, h.b} {
		single(holder, i)
	}
	four := []string{h.a1, h.a2, h.b, h.c}
	var docs []credential.Document
	h.big, docs = f.anchor(batchSpec{seed: "big", n: 300, docs: true, holder: func(i int) string { return four[i%4] },
		statusFrom: credential.AnchorStatusBase})
	h.small, _ = f.anchor(batchSpec{seed: "small", n: 10, holder: func(i int) string { return []string{h.a2, h.b}[i%2] },
		statusFrom: credential.AnchorStatusBase + 300})
	for i := range 300 {
		h.anchoredHolder[h.big.CredentialID(i)] = four[i%4]
	}
	for i := range 10 {
		h.anchoredHolder[h.small.CredentialID(i)] = []string{h.a2, h.b}[i%2]
	}
	res, _, err := f.issue(f.nextVersion(docs[0], credential.ActionRenew, t0.Add(time.Hour)), h.a1, 0, credential.ActionRenew, "")
	if err != nil {
		t.Fatal(err)
	}
	h.renewed = res.Record.ID
	rid, _ := credential.ParseIdentifier(h.renewed)
	h.singleOrder[h.renewed] = holderIndexKey(h.a1, rid)
	h.singles[h.a1] = append(h.singles[h.a1], h.renewed)
	h.suspended = h.big.CredentialID(4)
	tx := f.next(t0.Add(2*time.Hour), "SamrMSP", nil)
	if _, err := ChangeStatus(tx, h.suspended, credential.StatusChange{Action: credential.ActionSuspend, Reason: "核查"}); err != nil {
		t.Fatal(err)
	}
	tx.commit()
	return h
}

// want is what a holder query for refs lists, in order: per group of
// references sharing a shard, their single issuances in index order, then
// their anchored credentials in batch and leaf order, current versions only.
func (h *holderLedger) want(refs ...string) []string {
	sorted := slices.Sorted(slices.Values(refs))
	var out []string
	for _, g := range holderGroups(slices.Compact(sorted)) {
		var singles []string
		for _, r := range g.refs {
			singles = append(singles, h.singles[r]...)
		}
		slices.SortFunc(singles, func(x, y string) int { return strings.Compare(h.singleOrder[x], h.singleOrder[y]) })
		out = append(out, singles...)
		batches := []credential.Anchor{h.big, h.small}
		slices.SortFunc(batches, func(x, y credential.Anchor) int { return strings.Compare(anchorNameOf(x), anchorNameOf(y)) })
		for _, a := range batches {
			for i := range a.Count {
				id := a.CredentialID(i)
				if g.has(h.anchoredHolder[id]) && id != h.big.CredentialID(0) {
					out = append(out, id)
				}
			}
		}
	}
	return out
}

// holderAll pages through a holder query and returns every identifier.
func holderAll(t *testing.T, l *memLedger, q credential.HolderQuery) []string {
	t.Helper()
	size := q.Limit
	if size == 0 {
		size = credential.MaxHolderPage
	}
	var got []string
	for pages := 0; ; pages++ {
		if pages > 2000 {
			t.Fatal("paging does not end")
		}
		ct := &countingTx{memTx: l.tx("", t0, "", nil)}
		page, err := GetCredentialsByHolder(ct, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Records) > size || ct.unbounded > 0 {
			t.Fatalf("page %d: %d records, %d unbounded scans", pages, len(page.Records), ct.unbounded)
		}
		for _, r := range page.Records {
			got = append(got, r.ID)
		}
		if q.After = page.Next; q.After == "" {
			return got
		}
	}
}

// A holder's list holds their anchored credentials beside their single
// issuances, each once whatever the page size, as its current version: a
// renewed one as its new version only, a suspended one as its own record.
func TestCredentialsByHolderListsAnchored(t *testing.T) {
	h := newHolderLedger(t)
	for _, tt := range []struct {
		name  string
		refs  []string
		limit int
	}{
		{"one holder", []string{h.a1}, 0},
		{"one holder, pages of 1", []string{h.a1}, 1},
		{"two references of one shard", []string{h.a2, h.a1}, 7},
		{"three references, pages of 1", []string{h.b, h.a2, h.a1}, 1},
		{"three references, pages of 13", []string{h.b, h.a2, h.a1}, 13},
		{"a reference with nothing", []string{ref("d")}, 0},
		{"only anchored", []string{h.c}, 10},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := holderAll(t, h.f.l, credential.HolderQuery{Refs: tt.refs, Limit: tt.limit})
			if want := h.want(tt.refs...); !slices.Equal(got, want) {
				t.Fatalf("got %d records, want %d\n got %v\nwant %v", len(got), len(want), head(got), head(want))
			}
		})
	}
	page, err := GetCredentialsByHolder(h.f.read(""), credential.HolderQuery{Refs: []string{h.a1}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range page.Records {
		switch r.ID {
		case h.suspended:
			if r.Status != credential.StatusSuspended || r.Revision != 2 {
				t.Errorf("the suspended credential is listed as %+v", r)
			}
		case h.renewed:
			if r.Version != 2 {
				t.Errorf("the renewal is listed as %+v", r)
			}
		}
		if r.HolderRef != h.a1 {
			t.Errorf("%s of holder %.8s is listed for %.8s", r.ID, r.HolderRef, h.a1)
		}
	}
}

// A holder shard only points: a shard listing a holder under a leaf whose
// own holder is another is left out, as is a leaf past its batch's end.
func TestCredentialsByHolderTrustsLeavesOnly(t *testing.T) {
	f := newAnchorFixture(t)
	a, _ := f.anchor(batchSpec{seed: "trust", n: 3, holder: func(int) string { return ref("c") }})
	tx := f.next(t0, "SamrMSP", nil)
	putShard(t, tx, anchorHolderKey(holderShard(ref("a")), a), []anchorHolderEntry{{HolderRef: ref("a"), Index: 1}, {HolderRef: ref("a"), Index: 7}})
	tx.commit()
	page, err := GetCredentialsByHolder(f.read(""), credential.HolderQuery{Refs: []string{ref("a")}})
	if err != nil || len(page.Records) != 0 {
		t.Fatalf("records %+v, %v; want none", page.Records, err)
	}
}

// Holder shards are read up to maxHolderShards a page: past it, the page
// comes back short with a cursor after the last shard read, and the next
// page goes on from there.
func TestCredentialsByHolderShardScanIsBounded(t *testing.T) {
	f := newAnchorFixture(t)
	holder, other := "aa"+strings.Repeat("1", 62), "aa"+strings.Repeat("9", 62)
	a, _ := f.anchor(batchSpec{seed: "found", n: 2, holder: func(int) string { return holder }})
	tx := f.next(t0, "SamrMSP", nil)
	for i := range maxHolderShards + 10 {
		fake := credential.Anchor{IssuerCode: f.samr.USCC, Type: f.licence.Code, Token: fmt.Sprintf("00000000%04d", i)}
		putShard(t, tx, anchorHolderKey(holderShard(other), fake), []anchorHolderEntry{{HolderRef: other, Index: 0}})
	}
	tx.commit()
	if anchorNameOf(a) < anchorName(f.samr.USCC, f.licence.Code, "000000009999") {
		t.Skip("the batch's token sorts before the fake batches")
	}
	q := credential.HolderQuery{Refs: []string{holder}}
	ct := &countingTx{memTx: f.read("")}
	first, err := GetCredentialsByHolder(ct, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Records) != 0 || first.Next == "" || !strings.HasPrefix(first.Next, holder+"/~") || ct.scanned > maxHolderShards {
		t.Fatalf("first page: %d records, next %q, %d scanned", len(first.Records), first.Next, ct.scanned)
	}
	got := holderAll(t, f.l, credential.HolderQuery{Refs: []string{holder}, After: first.Next})
	if want := []string{a.CredentialID(0), a.CredentialID(1)}; !slices.Equal(got, want) {
		t.Fatalf("after the bound: %v, want %v", got, want)
	}
}

func TestHolderCursorRefusesBadAnchoredPositions(t *testing.T) {
	l := newMemLedger()
	a := ref("a")
	name := samrUSCC + "/" + samrLicence + "/ABCDEFGHIJKL"
	for _, after := range []string{
		a + "/~" + name,
		a + "/~" + name + "/8192",
		a + "/~" + name + "/12",
		a + "/~" + name + "/-001",
		a + "/~" + name + "/00a1",
		a + "/~" + samrUSCC + "/" + samrLicence + "/abcdefghijkl/0001",
		a + "/~samr/" + samrLicence + "/ABCDEFGHIJKL/0001",
		a + "/~../../cred/x/0001",
	} {
		_, err := GetCredentialsByHolder(l.tx("", t0, "", nil), credential.HolderQuery{Refs: []string{a}, After: after})
		if credential.ErrorReason(err) != credential.ReasonInvalidRequest {
			t.Errorf("cursor %q: %v, want invalid_request", after, err)
		}
	}
	for _, after := range []string{a + "/~", a + "/~" + name + "/0001", a + "/~" + name + "/8191"} {
		if _, err := GetCredentialsByHolder(l.tx("", t0, "", nil), credential.HolderQuery{Refs: []string{a}, After: after}); err != nil {
			t.Errorf("cursor %q: %v", after, err)
		}
	}
}

// The backfill of the indexes leaves a changed anchored credential to its
// batch's entries, which list it already: one of its own would list it twice.
func TestIndexHoldersLeavesBatchesAlone(t *testing.T) {
	f := newAnchorFixture(t)
	a, _ := f.anchor(batchSpec{seed: "backfill", n: 3})
	id := a.CredentialID(1)
	tx := f.next(t0.Add(time.Hour), "SamrMSP", nil)
	if _, err := ChangeStatus(tx, id, credential.StatusChange{Action: credential.ActionSuspend, Reason: "核查"}); err != nil {
		t.Fatal(err)
	}
	tx.commit()
	gov := f.next(t0.Add(2*time.Hour), "GovMSP", nil)
	p, err := IndexHolders(gov, "")
	if err != nil || p.Scanned != 1 || p.Indexed != 0 || gov.trace() != "" {
		t.Fatalf("backfill: %+v, %v; wrote %q", p, err, gov.trace())
	}
	got := holderAll(t, f.l, credential.HolderQuery{Refs: []string{ref("ab")}})
	if want := []string{a.CredentialID(0), id, a.CredentialID(2)}; !slices.Equal(got, want) {
		t.Fatalf("holder lists %v, want %v", got, want)
	}
}

// putShard writes a holder shard as indexAnchorHolders stores one.
func putShard(t *testing.T, tx Tx, key string, entries []anchorHolderEntry) {
	t.Helper()
	b, err := encodeHolderShard(entries)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.PutState(key, b); err != nil {
		t.Fatal(err)
	}
}
