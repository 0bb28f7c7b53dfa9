package gateway

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
)

// Paging through any merge of sources returns every item once, newest
// first, events of one instant in key order, whatever the page size.
func TestActivityPaging(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	// Two sources, out of order, with ties inside a source and across them.
	items := []activityItem{
		{At: at(5), Event: eventIssued, key: "credential/A/000000"},
		{At: at(9), Event: eventSuspended, key: "credential/A/000001"},
		{At: at(9), Event: eventShareCreated, key: "share/X/0"},
		{At: at(9), Event: eventIssued, key: "credential/B/000000"},
		{At: at(1), Event: eventIssued, key: "credential/C/000000"},
		{At: at(12), Event: eventShareOpened, key: "share/X/1"},
		{At: at(5), Event: eventTokenRotated, key: "credential/C/000001"},
	}
	want := []string{"share/X/1", "share/X/0", "credential/B/000000", "credential/A/000001",
		"credential/C/000001", "credential/A/000000", "credential/C/000000"}
	keys := func(its []activityItem) []string {
		var out []string
		for _, it := range its {
			out = append(out, it.key)
		}
		return out
	}
	for _, limit := range []int{1, 2, 3, 6, 7, 8, 200} {
		t.Run(fmt.Sprint("limit ", limit), func(t *testing.T) {
			var got []string
			var after *activityCursor
			for pages := 0; ; pages++ {
				// Each request gathers its items afresh, in any order.
				fresh := slices.Clone(items)
				slices.Reverse(fresh)
				p := pageOfActivity(fresh, after, limit)
				if len(p.Items) > limit || p.Items == nil || pages > len(items) {
					t.Fatalf("page %d: %d items %v", pages, len(p.Items), p.Items)
				}
				got = append(got, keys(p.Items)...)
				if p.Next == "" {
					break
				}
				c, err := parseActivityCursor(p.Next)
				if err != nil {
					t.Fatalf("cursor %q: %v", p.Next, err)
				}
				after = &c
			}
			if !slices.Equal(got, want) {
				t.Fatalf("paged %v\nwant   %v", got, want)
			}
		})
	}
	// A cursor past the oldest item ends the list; one at a time between
	// items resumes there.
	if p := pageOfActivity(slices.Clone(items), &activityCursor{at: at(0), key: "z"}, 5); len(p.Items) != 0 || p.Next != "" {
		t.Fatalf("past the end: %+v", p)
	}
	if p := pageOfActivity(slices.Clone(items), &activityCursor{at: at(7), key: "z"}, 5); !slices.Equal(keys(p.Items), want[4:]) {
		t.Fatalf("from 7 ms: %v", keys(p.Items))
	}

	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, bad := range []string{"!!!", "MTIz", enc("123"), enc("x credential/A/0"), enc("123 "), enc("1.5 k"),
		enc("123 \xff"), strings.Repeat("A", maxActivityCursor+1), base64.StdEncoding.EncodeToString([]byte("12 k?>"))} {
		if _, err := parseActivityCursor(bad); credential.ErrorReason(err) != credential.ReasonInvalidRequest {
			t.Errorf("cursor %q: %v, want invalid_request", bad, err)
		}
	}
	c := activityCursor{at: at(3), key: "credential/A/000002"}
	if back, err := parseActivityCursor(c.String()); err != nil || !back.at.Equal(c.at) || back.key != c.key {
		t.Fatalf("round trip of %+v: %+v %v", c, back, err)
	}
}

// api sends a request to the gateway with a department's API key.
func (e *walletEnv) api(method, path, dept string, body any) []byte {
	e.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req := httptest.NewRequest(method, path, r)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+e.keys[dept].APIKey)
	resp, err := e.srv.App().Test(req, -1)
	if err != nil {
		e.t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		e.t.Fatalf("%s %s as %s: %d %s", method, path, dept, resp.StatusCode, raw)
	}
	return raw
}

// renewDirect records a credential of dept's diploma type for h, under h's
// reference, renewing the credential renews under a new serial: the
// contract allows it, though the gateway's API only reissues.
func (e *walletEnv) renewDirect(h credential.Holder, renews string) string {
	e.t.Helper()
	ctx := context.Background()
	reg, err := e.ledger.Registry(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	d, _ := reg.Department("edu")
	ty, _ := reg.Type("diploma")
	k, ok := activeSigningKey(d, e.ks, e.srv.now())
	if !ok {
		e.t.Fatal("edu has no active signing key")
	}
	doc, err := credential.Issue(credential.IssueParams{Type: ty, Issuer: d, Holder: h, IssuedAt: e.srv.now(), Renews: renews,
		Fields: map[string]string{"school": "福州大学", "major": "数学", "level": "硕士", "graduatedOn": "2026-06-30", "certificateNumber": "7"}}, k.KeyID, k.Private)
	if err != nil {
		e.t.Fatal(err)
	}
	ref := credential.HolderRef(e.ks.Secrets().HolderKey, "edu", h.IDType, h.IDNumber)
	res, err := e.ledger.Issue(ctx, d.MSPID, credential.IssueRequest{Document: *doc, HolderRef: ref})
	if err != nil {
		e.t.Fatal(err)
	}
	return res.Record.ID
}

// allActivity pages through h's timeline limit items at a time.
func (e *walletEnv) allActivity(h credential.Holder, limit int) []activityItem {
	e.t.Helper()
	var all []activityItem
	before := ""
	for pages := 0; ; pages++ {
		p, err := e.srv.holderActivity(context.Background(), h, before, limit)
		if err != nil {
			e.t.Fatal(err)
		}
		if len(p.Items) > limit || pages > 100 {
			e.t.Fatalf("page %d: %d items", pages, len(p.Items))
		}
		all = append(all, p.Items...)
		if p.Next == "" {
			return all
		}
		before = p.Next
	}
}

// event is an item as the test compares it.
type event struct{ event, credential, reason string }

func events(items []activityItem) []event {
	var out []event
	for _, it := range items {
		out = append(out, event{string(it.Event), it.Credential, it.Reason})
	}
	return out
}

// The ledger's history of each of the holder's credentials, renewal chains
// included, makes their timeline, newest first; nobody else's shows.
func TestHolderActivity(t *testing.T) {
	e := newWalletEnv(t, Config{}, nil)
	ctx := context.Background()
	diploma := e.issue("edu", personP, 1)
	qual := e.issue("hrss", personP, 1)
	other := e.issue("edu", personQ, 2)

	change := func(dept, id string, ch credential.StatusChange) {
		t.Helper()
		if _, err := e.ledger.ChangeStatus(ctx, e.keys[dept].MSPID, id, ch); err != nil {
			t.Fatal(err)
		}
	}
	change("edu", diploma, credential.StatusChange{Action: credential.ActionSuspend, Reason: "核查学籍"})
	change("edu", diploma, credential.StatusChange{Action: credential.ActionReinstate, Reason: "核查完毕"})
	if _, err := e.ledger.RotateToken(ctx, e.keys["hrss"].MSPID, qual, credential.TokenRotation{}); err != nil {
		t.Fatal(err)
	}
	change("hrss", qual, credential.StatusChange{Action: credential.ActionRevoke, Reason: "证书造假", Code: credential.RevokedPenalty})

	// A reissue after the key's retirement: the holder index then lists
	// only the new version, whose issuance is the renewal.
	reg, _ := e.ledger.Registry(ctx)
	d, _ := reg.Department("edu")
	e.api("POST", "/api/v1/departments/edu/keys", "edu", nil)
	e.api("POST", "/api/v1/departments/edu/keys/"+d.Keys[0].ID+"/retire", "edu", nil)
	var re credentialAnswer
	if err := json.Unmarshal(e.api("POST", "/api/v1/credentials/"+diploma+"/reissue", "edu", nil), &re); err != nil {
		t.Fatal(err)
	}
	diplomaV2 := re.ID
	if got := ids(e.list(personP)); !slices.Equal(got, sorted(diplomaV2, qual)) {
		t.Fatalf("P lists %v after the reissue", got)
	}
	// Renewals under a new serial: of P's own diploma, which is listed
	// too and must show once; and of Q's credential, whose history is not
	// P's to see.
	master := e.renewDirect(personP, diplomaV2)
	foreign := e.renewDirect(personP, other)

	want := []event{
		{"renewed", foreign, ""},
		{"renewed", master, ""},
		{"renewed", diplomaV2, ""},
		{"revoked", qual, "证书造假"},
		{"token_rotated", qual, ""},
		{"reinstated", diploma, ""},
		{"suspended", diploma, "核查学籍"},
		{"issued", qual, ""},
		{"issued", diploma, ""},
	}
	for _, limit := range []int{1, 2, 4, 50, 200} {
		got := e.allActivity(personP, limit)
		if !slices.Equal(events(got), want) {
			t.Fatalf("P's activity %d a page:\n%v\nwant\n%v", limit, events(got), want)
		}
		for _, it := range got {
			if it.Type == nil || it.Issuer == nil || it.At.IsZero() {
				t.Errorf("item without type, issuer or time: %+v", it)
			}
		}
	}
	raw, _ := json.Marshal(e.allActivity(personP, 200))
	for _, secret := range []string{personP.Name, personP.IDNumber, "福州大学", "软件工程", "核查完毕", "apiKeyId", "GovMSP", "EduMSP", "txId"} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("the activity shows %q: %s", secret, raw)
		}
	}

	if got := events(e.allActivity(personQ, 50)); !slices.Equal(got, []event{{"issued", other, ""}}) {
		t.Fatalf("Q's activity %v, want only the issuance of %s", got, other)
	}
	if got := e.allActivity(companyC, 50); len(got) != 0 {
		t.Fatalf("a holder without credentials has activity %v", events(got))
	}

	for _, limit := range []int{0, -1, maxActivityLimit + 1} {
		if _, err := e.srv.holderActivity(ctx, personP, "", limit); credential.ErrorReason(err) != credential.ReasonInvalidRequest {
			t.Errorf("limit %d: %v, want invalid_request", limit, err)
		}
	}
	if _, err := e.srv.holderActivity(ctx, personP, "not a cursor", 10); credential.ErrorReason(err) != credential.ReasonInvalidRequest {
		t.Errorf("a bad cursor: %v, want invalid_request", err)
	}
}

// A holder with more credentials than one request reads sees the events of
// as many as it does, and the gateway says so in its log.
func TestHolderActivityBound(t *testing.T) {
	if testing.Short() {
		t.Skip("issues more than 500 credentials")
	}
	e := newWalletEnv(t, Config{}, nil)
	for i := range maxActivityCredentials + 1 {
		e.issue("samr", companyC, i)
	}
	got := e.allActivity(companyC, maxActivityLimit)
	if len(got) != maxActivityCredentials {
		t.Fatalf("%d items, want one issuance for each of %d credentials", len(got), maxActivityCredentials)
	}
	if !strings.Contains(e.logs.String(), "holder activity covers only") || strings.Contains(e.logs.String(), companyC.IDNumber) {
		t.Fatalf("log: %s", e.logs.String())
	}
}
