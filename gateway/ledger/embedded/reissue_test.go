package embedded

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
)

// rotateMarketKey registers a second samr key and retires or compromises the
// first, so what the first signed may be re-issued with the second.
func (f *fixture) rotateMarketKey(status credential.KeyStatus) {
	f.t.Helper()
	d := f.depts[demo.Market]
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		f.t.Fatal(err)
	}
	old := d.Keys[0]
	old.Status = status
	if status == credential.KeyRetired {
		old.ValidUntil = f.clock.Now()
	} else {
		old.CompromisedAt = f.clock.Now()
	}
	fresh := credential.Key{ID: demo.Market + "-2026b", PublicKey: base64.StdEncoding.EncodeToString(pub),
		ValidFrom: f.clock.Now(), Status: credential.KeyActive}
	d.Keys = []credential.Key{fresh, old}
	if err := f.ledger.PutDepartment(context.Background(), f.msp(demo.Governance), d); err != nil {
		f.t.Fatal(err)
	}
	f.depts[demo.Market], f.keys[demo.Market] = d, priv
}

// nextVersion signs a copy of the predecessor's content as version n+1 (or
// as the given version and renews, when set), with samr's current key.
func (f *fixture) nextVersion(prev *credential.Document, version int, renews string) credential.IssueRequest {
	f.t.Helper()
	id, err := credential.ParseIdentifier(prev.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	fields := map[string]string{}
	for _, c := range prev.Claims {
		if _, ok := f.types["business-licence"].Field(c.Name); ok {
			fields[c.Name] = c.Value
		}
	}
	d := f.depts[demo.Market]
	doc, err := credential.Issue(credential.IssueParams{Type: f.types["business-licence"], Issuer: d, Holder: prev.Holder(),
		Fields: fields, ValidFrom: prev.ValidFrom, ValidUntil: prev.ValidUntil, Renews: renews, Version: version,
		Serial: id.Serial, IssuedAt: f.clock.Now()}, d.Keys[0].ID, f.keys[demo.Market])
	if err != nil {
		f.t.Fatal(err)
	}
	return f.request(doc)
}

// The contract, not only the gateway, decides whether a new version of a
// credential may be recorded: a client calling it directly gets the same
// answer.
func TestNewVersionFollowsPredecessor(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		keyStatus  credential.KeyStatus // of the predecessor's key; "" leaves it active
		change     *credential.StatusChange
		version    int    // of the new document; 0: predecessor + 1
		noRenews   bool   // the new version does not name its predecessor
		holderRef  string // of the new version; "" computes it as a gateway does
		wantReason credential.Reason
		wantStatus credential.Status
	}{
		{name: "compromised key", keyStatus: credential.KeyCompromised, wantStatus: credential.StatusValid},
		{name: "retired key", keyStatus: credential.KeyRetired, wantStatus: credential.StatusValid},
		{name: "key still active", wantReason: credential.ReasonReissueNotApplicable},
		{name: "revoked predecessor", keyStatus: credential.KeyCompromised,
			change:     &credential.StatusChange{Action: credential.ActionRevoke, Reason: "虚假登记", Code: credential.RevokedPenalty},
			wantReason: credential.ReasonCredentialRevoked},
		{name: "suspended predecessor", keyStatus: credential.KeyCompromised,
			change:     &credential.StatusChange{Action: credential.ActionSuspend, Reason: "涉嫌虚假登记，暂扣待查"},
			wantStatus: credential.StatusSuspended},
		{name: "a new version that names no predecessor", keyStatus: credential.KeyCompromised, noRenews: true,
			wantReason: credential.ReasonInvalidDocument},
		{name: "a version that skips one", keyStatus: credential.KeyCompromised, version: 3,
			wantReason: credential.ReasonInvalidDocument},
		{name: "another holder reference", keyStatus: credential.KeyCompromised, holderRef: strings.Repeat("ab", 32),
			wantReason: credential.ReasonInvalidField},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			prev := f.licence("换版有限公司")
			f.issue(prev)
			if tt.change != nil {
				if _, err := f.ledger.ChangeStatus(ctx, f.msp(demo.Market), prev.ID, *tt.change); err != nil {
					t.Fatal(err)
				}
			}
			f.clock.Advance(time.Minute)
			if tt.keyStatus != "" {
				f.rotateMarketKey(tt.keyStatus)
			}
			version, renews := tt.version, prev.ID
			if version == 0 {
				version = prev.Version + 1
			}
			if tt.noRenews {
				renews = ""
			}
			req := f.nextVersion(prev, version, renews)
			req.StatusSequence = 77
			if tt.holderRef != "" {
				req.HolderRef = tt.holderRef
			}
			res, err := f.ledger.Issue(ctx, f.msp(demo.Market), req)
			if tt.wantReason != "" {
				if got := credential.ErrorReason(err); got != tt.wantReason {
					t.Fatalf("got %v (reason %q), want reason %s", err, got, tt.wantReason)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			rec, err := f.ledger.Record(ctx, req.Document.ID)
			if err != nil {
				t.Fatal(err)
			}
			if rec.Status != tt.wantStatus || res.Record.Status != tt.wantStatus {
				t.Fatalf("new version recorded as %s (answer %s), want %s", rec.Status, res.Record.Status, tt.wantStatus)
			}
			if tt.change != nil && rec.StatusReason != tt.change.Reason {
				t.Fatalf("new version's reason %q, want the predecessor's %q", rec.StatusReason, tt.change.Reason)
			}
			entries, err := f.ledger.StatusEntries(ctx, demo.Market, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 1 || entries[0].ID != rec.ID || entries[0].Status != tt.wantStatus {
				t.Fatalf("status list entries %+v, want %s as %s", entries, rec.ID, tt.wantStatus)
			}
		})
	}
}
