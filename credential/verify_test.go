package credential_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
)

type verifyCase struct {
	name string
	// setup returns the input; it starts from a valid licence, its record
	// and the fixture registry, verified online at now.
	setup     func(t *testing.T, in *credential.VerifyInput)
	valid     bool
	status    credential.Status
	failing   []string // names of the checks that must fail; all others pass
	detailHas map[string]string
	reasons   map[string]credential.Reason // the reason a failing check names
}

func withKey(reg *credential.Registry, dept, kid string, change func(k *credential.Key)) {
	for i := range reg.Departments {
		if reg.Departments[i].ID != dept {
			continue
		}
		for j := range reg.Departments[i].Keys {
			if reg.Departments[i].Keys[j].ID == kid {
				change(&reg.Departments[i].Keys[j])
			}
		}
	}
}

func TestVerify(t *testing.T) {
	allChecks := []string{credential.CheckIntegrity, credential.CheckSignature, credential.CheckIssuer,
		credential.CheckLedger, credential.CheckStatus, credential.CheckValidity}
	tests := []verifyCase{
		{name: "valid", setup: func(*testing.T, *credential.VerifyInput) {},
			valid: true, status: credential.StatusValid,
			detailHas: map[string]string{credential.CheckLedger: "tx-1", credential.CheckSignature: "samr-2025"}},
		{name: "suspended", setup: func(t *testing.T, in *credential.VerifyInput) {
			in.Record.Status, in.Record.StatusReason = credential.StatusSuspended, "涉嫌虚假登记，暂扣调查"
		}, status: credential.StatusSuspended, failing: []string{credential.CheckStatus},
			detailHas: map[string]string{credential.CheckStatus: "涉嫌虚假登记"}},
		{name: "revoked as a penalty", setup: func(t *testing.T, in *credential.VerifyInput) {
			in.Record.Status, in.Record.RevocationCode, in.Record.StatusReason = credential.StatusRevoked, credential.RevokedPenalty, "吊销"
		}, status: credential.StatusRevoked, failing: []string{credential.CheckStatus},
			detailHas: map[string]string{credential.CheckStatus: "revoked (penalty): 吊销"}},
		{name: "revoked and expired stays revoked", setup: func(t *testing.T, in *credential.VerifyInput) {
			in.Record.Status, in.Record.RevocationCode = credential.StatusRevoked, credential.RevokedCancelled
			in.Now = in.Record.ValidUntil.Add(time.Hour)
		}, status: credential.StatusRevoked, failing: []string{credential.CheckStatus, credential.CheckValidity},
			detailHas: map[string]string{credential.CheckStatus: "cancelled"}},
		{name: "expired", setup: func(t *testing.T, in *credential.VerifyInput) {
			in.Now = in.Record.ValidUntil
		}, status: credential.StatusExpired, failing: []string{credential.CheckValidity},
			detailHas: map[string]string{credential.CheckValidity: "expired at"}},
		{name: "not yet valid", setup: func(t *testing.T, in *credential.VerifyInput) {
			in.Now = in.Record.ValidFrom.Add(-time.Second)
		}, status: credential.StatusNotYetValid, failing: []string{credential.CheckValidity},
			detailHas: map[string]string{credential.CheckValidity: "not valid before"}},
		{name: "not on the ledger", setup: func(t *testing.T, in *credential.VerifyInput) {
			in.Record = nil
		}, status: credential.StatusNotFound, failing: []string{credential.CheckLedger, credential.CheckStatus},
			reasons: map[string]credential.Reason{credential.CheckLedger: credential.ReasonCredentialNotFound}},
		{name: "ledger records another digest", setup: func(t *testing.T, in *credential.VerifyInput) {
			in.Record.Digest = strings.Repeat("0", 64)
		}, status: credential.StatusForged, failing: []string{credential.CheckLedger},
			detailHas: map[string]string{credential.CheckLedger: "different digest"},
			reasons:   map[string]credential.Reason{credential.CheckLedger: credential.ReasonLedgerMismatch}},
		{name: "ledger records another issuer", setup: func(t *testing.T, in *credential.VerifyInput) {
			in.Record.Issuer = "edu"
		}, status: credential.StatusForged, failing: []string{credential.CheckLedger}},
		{name: "ledger records another key", setup: func(t *testing.T, in *credential.VerifyInput) {
			in.Record.KeyID = "samr-2024"
		}, status: credential.StatusForged, failing: []string{credential.CheckLedger}},
		{name: "field tampered", setup: func(t *testing.T, in *credential.VerifyInput) {
			i := slices.IndexFunc(in.Document.Claims, func(c credential.Claim) bool { return c.Name == "companyName" })
			in.Document.Claims[i].Value = "上海冒名有限公司"
		}, status: credential.StatusForged, failing: []string{credential.CheckIntegrity},
			detailHas: map[string]string{credential.CheckIntegrity: "altered"},
			reasons:   map[string]credential.Reason{credential.CheckIntegrity: credential.ReasonInvalidSignature}},
		{name: "digest and signature replaced by another key", setup: func(t *testing.T, in *credential.VerifyInput) {
			in.Document.Claims[0].Value += "改"
			if err := in.Document.Sign("samr-2025", eduKey); err != nil {
				t.Fatal(err)
			}
		}, status: credential.StatusForged, failing: []string{credential.CheckSignature, credential.CheckLedger}},
		{name: "identifier broken, signature still named", setup: func(t *testing.T, in *credential.VerifyInput) {
			in.Document.ID = "1.2.156.3005.2.bad"
		}, status: credential.StatusForged, failing: []string{credential.CheckIntegrity},
			detailHas: map[string]string{credential.CheckSignature: "Market Regulation"}},
		{name: "unknown key id", setup: func(t *testing.T, in *credential.VerifyInput) {
			in.Document.Proof.KeyID = "samr-9999"
			in.Record.KeyID = "samr-9999"
		}, status: credential.StatusForged, failing: []string{credential.CheckSignature},
			detailHas: map[string]string{credential.CheckSignature: "not registered"},
			reasons:   map[string]credential.Reason{credential.CheckSignature: credential.ReasonUnknownKey}},
		{name: "issuer not authorized for the type", setup: func(t *testing.T, in *credential.VerifyInput) {
			in.Registry.Types[0].Issuers = []string{"edu"}
		}, status: credential.StatusForged, failing: []string{credential.CheckIssuer},
			detailHas: map[string]string{credential.CheckIssuer: "not authorized"},
			reasons:   map[string]credential.Reason{credential.CheckIssuer: credential.ReasonIssuerNotAuthorized}},
		{name: "issuer not in the registry", setup: func(t *testing.T, in *credential.VerifyInput) {
			in.Registry.Departments = in.Registry.Departments[:1]
		}, status: credential.StatusForged, failing: []string{credential.CheckIntegrity, credential.CheckSignature, credential.CheckIssuer}},
		{name: "key compromised before issuance", setup: func(t *testing.T, in *credential.VerifyInput) {
			withKey(&in.Registry, "samr", "samr-2025", func(k *credential.Key) {
				k.Status, k.CompromisedAt = credential.KeyCompromised, in.Document.IssuedAt.Add(-time.Minute)
			})
		}, status: credential.StatusForged, failing: []string{credential.CheckSignature},
			detailHas: map[string]string{credential.CheckSignature: "compromised"},
			reasons:   map[string]credential.Reason{credential.CheckSignature: credential.ReasonKeyNotUsable}},
		{name: "key compromised at the issue instant", setup: func(t *testing.T, in *credential.VerifyInput) {
			withKey(&in.Registry, "samr", "samr-2025", func(k *credential.Key) {
				k.Status, k.CompromisedAt = credential.KeyCompromised, in.Document.IssuedAt
			})
		}, status: credential.StatusForged, failing: []string{credential.CheckSignature}},
		{name: "key compromised after issuance", setup: func(t *testing.T, in *credential.VerifyInput) {
			withKey(&in.Registry, "samr", "samr-2025", func(k *credential.Key) {
				k.Status, k.CompromisedAt = credential.KeyCompromised, in.Document.IssuedAt.Add(time.Minute)
			})
		}, valid: true, status: credential.StatusValid},
		{name: "retired key verifies what it signed while valid", setup: func(t *testing.T, in *credential.VerifyInput) {
			p := licenceParams(t, in.Registry)
			p.IssuedAt = time.Date(2024, 6, 1, 8, 0, 0, 0, time.UTC)
			d, err := credential.Issue(p, "samr-2024", samrOldKey)
			if err != nil {
				t.Fatal(err)
			}
			in.Document, in.Record = d, recordOf(d)
		}, valid: true, status: credential.StatusValid,
			detailHas: map[string]string{credential.CheckSignature: "samr-2024"}},
		{name: "retired key signing after its period", setup: func(t *testing.T, in *credential.VerifyInput) {
			d, err := credential.Issue(licenceParams(t, in.Registry), "samr-2024", samrOldKey)
			if err != nil {
				t.Fatal(err)
			}
			in.Document, in.Record = d, recordOf(d)
		}, status: credential.StatusForged, failing: []string{credential.CheckSignature},
			detailHas: map[string]string{credential.CheckSignature: "was not valid"}},
		{name: "no document", setup: func(t *testing.T, in *credential.VerifyInput) {
			in.Document, in.Record = nil, nil
		}, status: credential.StatusForged, failing: []string{credential.CheckIntegrity, credential.CheckSignature,
			credential.CheckIssuer, credential.CheckLedger, credential.CheckStatus}},
		{name: "offline", setup: func(t *testing.T, in *credential.VerifyInput) {
			in.Online, in.Record = false, nil
		}, status: credential.StatusUnknown, failing: []string{credential.CheckLedger, credential.CheckStatus},
			detailHas: map[string]string{credential.CheckLedger: "offline"}},
		{name: "offline ignores a record it was given", setup: func(t *testing.T, in *credential.VerifyInput) {
			in.Online = false
			in.Record.Status = credential.StatusRevoked
		}, status: credential.StatusUnknown, failing: []string{credential.CheckLedger, credential.CheckStatus}},
		{name: "offline tampered", setup: func(t *testing.T, in *credential.VerifyInput) {
			in.Online = false
			in.Document.Claims[0].Value += "改"
		}, status: credential.StatusForged, failing: []string{credential.CheckIntegrity, credential.CheckLedger, credential.CheckStatus}},
		{name: "offline expired", setup: func(t *testing.T, in *credential.VerifyInput) {
			in.Online = false
			in.Now = in.Document.ValidUntil.Add(time.Hour)
		}, status: credential.StatusExpired, failing: []string{credential.CheckLedger, credential.CheckStatus, credential.CheckValidity}},
		{name: "offline not yet valid", setup: func(t *testing.T, in *credential.VerifyInput) {
			in.Online = false
			in.Now = in.Document.ValidFrom.Add(-time.Hour)
		}, status: credential.StatusNotYetValid, failing: []string{credential.CheckLedger, credential.CheckStatus, credential.CheckValidity}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := testRegistry()
			d := issueLicence(t, reg)
			in := credential.VerifyInput{Document: d, Registry: reg, Record: recordOf(d), Online: true, Now: now}
			tt.setup(t, &in)
			v := credential.Verify(in)
			if v.Valid != tt.valid || v.Status != tt.status {
				t.Fatalf("valid=%v status=%s, want valid=%v status=%s; checks %+v", v.Valid, v.Status, tt.valid, tt.status, v.Checks)
			}
			names := make([]string, len(v.Checks))
			for i, c := range v.Checks {
				names[i] = c.Name
				if want := !slices.Contains(tt.failing, c.Name); c.OK != want {
					t.Errorf("check %s ok=%v, want %v (%s)", c.Name, c.OK, want, c.Detail)
				}
				if c.Detail == "" {
					t.Errorf("check %s has no detail", c.Name)
				}
				if sub, ok := tt.detailHas[c.Name]; ok && !strings.Contains(c.Detail, sub) {
					t.Errorf("check %s detail %q does not mention %q", c.Name, c.Detail, sub)
				}
				// A check that failed on an error names its reason, for a page
				// to word; one that passed names none.
				if want, ok := tt.reasons[c.Name]; ok && c.Reason != want {
					t.Errorf("check %s reason %q, want %q", c.Name, c.Reason, want)
				}
				if c.OK && c.Reason != "" {
					t.Errorf("check %s passed but names reason %q", c.Name, c.Reason)
				}
				if !c.OK && in.Online && c.Name != credential.CheckStatus && c.Name != credential.CheckValidity && c.Reason == "" {
					t.Errorf("check %s failed without a reason (%s)", c.Name, c.Detail)
				}
			}
			if !slices.Equal(names, allChecks) {
				t.Errorf("checks %v, want %v in that order", names, allChecks)
			}
			if in.Online && v.Record != in.Record {
				t.Error("the answer does not carry the ledger record")
			}
		})
	}
}
