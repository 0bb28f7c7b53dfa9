package chaincode

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
)

// apiKeyLedger runs contract calls on a provisioned ledger, each as its
// own committed transaction at the ledger's current time.
type apiKeyLedger struct {
	t   *testing.T
	l   *memLedger
	now time.Time
	n   int
	// last is the trace of the last committed transaction.
	last string
}

func newAPIKeyLedger(t *testing.T) *apiKeyLedger {
	l, _ := provisioned(t)
	return &apiKeyLedger{t: t, l: l, now: t0}
}

func (a *apiKeyLedger) run(msp string, fn func(tx Tx) error) error {
	a.n++
	tx := a.l.tx(fmt.Sprintf("%064x", 1000+a.n), a.now, msp, nil)
	if err := fn(tx); err != nil {
		return err
	}
	tx.commit()
	a.last = tx.trace()
	return nil
}

func (a *apiKeyLedger) create(msp string, k credential.NewAPIKey) (credential.APIKey, error) {
	var out credential.APIKey
	err := a.run(msp, func(tx Tx) (err error) { out, err = CreateAPIKey(tx, k); return err })
	return out, err
}

func (a *apiKeyLedger) revoke(msp string, r credential.APIKeyRevocation) (credential.APIKey, error) {
	var out credential.APIKey
	err := a.run(msp, func(tx Tx) (err error) { out, err = RevokeAPIKey(tx, r); return err })
	return out, err
}

func (a *apiKeyLedger) list(dept string) []credential.APIKey {
	a.t.Helper()
	keys, err := GetAPIKeys(a.l.tx("", a.now, "", nil), dept)
	if err != nil {
		a.t.Fatal(err)
	}
	return keys
}

func newKey(dept string) credential.NewAPIKey {
	_, k := credential.GenerateAPIKey(dept)
	return k
}

func TestCreateAPIKey(t *testing.T) {
	a := newAPIKeyLedger(t)
	own := newKey(demo.Market)
	own.Label, own.ExpiresAt, own.ActingKey = "  批量导入 ", t0.Add(24*time.Hour), "ak_0123456789abcdef"
	got, err := a.create("SamrMSP", own)
	if err != nil {
		t.Fatal(err)
	}
	want := credential.APIKey{ID: own.ID, Dept: demo.Market, Prefix: own.Prefix, Label: "批量导入", SHA256: own.SHA256,
		ExpiresAt: own.ExpiresAt, Created: t0, CreatedBy: demo.Market, CreatedByKey: own.ActingKey, CreateTxID: fmt.Sprintf("%064x", 1000+a.n)}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("created %+v\nwant    %+v", got, want)
	}
	for _, w := range []string{"put apikey/" + own.ID + "=", "policy apikey/" + own.ID + "=SamrMSP", "event " + EventAPIKeyName + "="} {
		if !strings.Contains(a.last, w) {
			t.Errorf("creation did not %q:\n%s", w, a.last)
		}
	}
	// Governance creates a key for another department: recorded as made by
	// governance, and the key-level policy names governance's peers.
	forEdu := newKey(demo.Education)
	byGov, err := a.create("GovMSP", forEdu)
	if err != nil || byGov.CreatedBy != demo.Governance || byGov.Dept != demo.Education {
		t.Fatalf("governance creating for edu: %+v %v", byGov, err)
	}
	if !strings.Contains(a.last, "policy apikey/"+forEdu.ID+"=GovMSP") {
		t.Errorf("policy of a key governance made:\n%s", a.last)
	}

	tests := []struct {
		name   string
		msp    string
		change func(k *credential.NewAPIKey)
		reason credential.Reason
	}{
		{"another department's key", "SamrMSP", func(k *credential.NewAPIKey) { *k = newKey(demo.Education) }, credential.ReasonNotGovernance},
		{"unregistered department", "GovMSP", func(k *credential.NewAPIKey) { *k = newKey("nobody") }, credential.ReasonDepartmentNotFound},
		{"unregistered caller", "EvilMSP", func(*credential.NewAPIKey) {}, credential.ReasonUnknownDepartment},
		{"id not derived from the hash", "SamrMSP", func(k *credential.NewAPIKey) { k.ID = "ak_0000000000000000" }, credential.ReasonInvalidField},
		{"hash not hex", "SamrMSP", func(k *credential.NewAPIKey) { k.SHA256 = strings.ToUpper(k.SHA256) }, credential.ReasonInvalidField},
		{"prefix not a key's", "SamrMSP", func(k *credential.NewAPIKey) { k.Prefix = "sk_live_0000" }, credential.ReasonInvalidField},
		{"label too long", "SamrMSP", func(k *credential.NewAPIKey) { k.Label = strings.Repeat("标", credential.MaxAPIKeyLabel+1) }, credential.ReasonInvalidField},
		{"label with a control character", "SamrMSP", func(k *credential.NewAPIKey) { k.Label = "a\nb" }, credential.ReasonInvalidField},
		{"expiry not after the transaction", "SamrMSP", func(k *credential.NewAPIKey) { k.ExpiresAt = t0 }, credential.ReasonInvalidField},
		{"acting key not an id", "SamrMSP", func(k *credential.NewAPIKey) { k.ActingKey = "clk_secret" }, credential.ReasonInvalidField},
		{"the same key again", "GovMSP", func(k *credential.NewAPIKey) { *k = own }, credential.ReasonAPIKeyExists},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k := newKey(demo.Market)
			tc.change(&k)
			if _, err := a.create(tc.msp, k); credential.ErrorReason(err) != tc.reason {
				t.Fatalf("create: %v, want %s", err, tc.reason)
			}
		})
	}
	if got := a.list(demo.Market); len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Fatalf("samr's keys %+v, want only %s", got, own.ID)
	}
	if all := a.list(""); len(all) != 2 {
		t.Fatalf("all keys: %+v", all)
	}
}

func TestRevokeAPIKey(t *testing.T) {
	a := newAPIKeyLedger(t)
	mustCreate := func(msp string, k credential.NewAPIKey) credential.APIKey {
		t.Helper()
		out, err := a.create(msp, k)
		if err != nil {
			t.Fatal(err)
		}
		a.now = a.now.Add(time.Second) // the list is in order of creation
		return out
	}
	samr1 := mustCreate("SamrMSP", newKey(demo.Market))
	samr2 := mustCreate("GovMSP", newKey(demo.Market))
	gov1 := mustCreate("GovMSP", newKey(demo.Governance))
	a.now = t0.Add(time.Hour)

	tests := []struct {
		name   string
		msp    string
		rev    credential.APIKeyRevocation
		reason credential.Reason // empty: revoked
		by     string
	}{
		{"another department", "EduMSP", credential.APIKeyRevocation{Dept: demo.Market, ID: samr1.ID}, credential.ReasonNotKeyOwner, ""},
		{"under another department's path", "SamrMSP", credential.APIKeyRevocation{Dept: demo.Education, ID: samr1.ID}, credential.ReasonAPIKeyNotFound, ""},
		{"unknown key", "SamrMSP", credential.APIKeyRevocation{Dept: demo.Market, ID: "ak_0123456789abcdef"}, credential.ReasonAPIKeyNotFound, ""},
		{"acting key not an id", "SamrMSP", credential.APIKeyRevocation{Dept: demo.Market, ID: samr1.ID, ActingKey: "x"}, credential.ReasonInvalidField, ""},
		{"own key", "SamrMSP", credential.APIKeyRevocation{Dept: demo.Market, ID: samr1.ID, ActingKey: samr2.ID}, "", demo.Market},
		{"again", "SamrMSP", credential.APIKeyRevocation{Dept: demo.Market, ID: samr1.ID}, credential.ReasonAPIKeyAlreadyRevoked, ""},
		{"by governance", "GovMSP", credential.APIKeyRevocation{Dept: demo.Market, ID: samr2.ID, ActingKey: gov1.ID}, "", demo.Governance},
		{"governance's last key", "GovMSP", credential.APIKeyRevocation{Dept: demo.Governance, ID: gov1.ID}, credential.ReasonLastGovernanceAPIKey, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := a.revoke(tc.msp, tc.rev)
			if tc.reason != "" {
				if credential.ErrorReason(err) != tc.reason {
					t.Fatalf("revoke: %v, want %s", err, tc.reason)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.RevokedBy != tc.by || got.RevokedByKey != tc.rev.ActingKey || !got.RevokedAt.Equal(a.now) || got.RevokeTxID == "" ||
				got.State(a.now) != credential.APIKeyRevoked {
				t.Fatalf("revoked key %+v", got)
			}
			msp := map[string]string{demo.Market: "SamrMSP", demo.Governance: "GovMSP"}[tc.by]
			if !strings.Contains(a.last, "policy apikeyrevoked/"+tc.rev.ID+"="+msp) || !strings.Contains(a.last, "event "+EventAPIKeyName) {
				t.Fatalf("revocation's writes:\n%s", a.last)
			}
		})
	}
	keys := a.list(demo.Market)
	if len(keys) != 2 || keys[0].RevokedBy != demo.Market || keys[1].RevokedBy != demo.Governance || keys[1].CreatedBy != demo.Governance {
		t.Fatalf("samr's key history %+v", keys)
	}
	// With a second active key, governance may revoke the first; an
	// expired key does not count as one.
	expiring := newKey(demo.Governance)
	expiring.ExpiresAt = a.now.Add(time.Minute)
	mustCreate("GovMSP", expiring)
	a.now = a.now.Add(2 * time.Minute)
	if _, err := a.revoke("GovMSP", credential.APIKeyRevocation{Dept: demo.Governance, ID: gov1.ID}); credential.ErrorReason(err) != credential.ReasonLastGovernanceAPIKey {
		t.Fatalf("revoking governance's last active key beside an expired one: %v", err)
	}
	mustCreate("GovMSP", newKey(demo.Governance))
	if _, err := a.revoke("GovMSP", credential.APIKeyRevocation{Dept: demo.Governance, ID: gov1.ID}); err != nil {
		t.Fatalf("revoking a governance key with another active: %v", err)
	}
}

// Issuances and status changes record the API key they were made with.
func TestChangesRecordTheActingKey(t *testing.T) {
	l, key := provisioned(t)
	reg, err := GetRegistry(l.tx("", t0, "", nil))
	if err != nil {
		t.Fatal(err)
	}
	samr, _ := reg.Department(demo.Market)
	licence, _ := reg.Type("business-licence")
	doc, err := credential.Issue(credential.IssueParams{Type: licence, Issuer: samr, IssuedAt: t0,
		Holder: credential.Holder{Name: "某公司", IDType: credential.IDUSCC, IDNumber: "91110000802100433B"},
		Fields: map[string]string{"companyName": "某公司", "entityType": "有限责任公司", "legalRepresentative": "王五",
			"establishedOn": "2020-01-01", "address": "上海市"},
	}, samr.Keys[0].ID, key)
	if err != nil {
		t.Fatal(err)
	}
	const keyID = "ak_00112233445566ff"
	issue := func(apiKeyID string) (credential.IssueResult, error) {
		req, _ := json.Marshal(credential.IssueRequest{Document: *doc, HolderRef: strings.Repeat("ab", 32), APIKeyID: apiKeyID})
		tx := l.tx(strings.Repeat("1", 64), t0, "SamrMSP", map[string][]byte{TransientRequest: req})
		res, err := Issue(tx)
		if err == nil {
			tx.commit()
		}
		return res, err
	}
	if _, err := issue("clk_the-secret-itself"); credential.ErrorReason(err) != credential.ReasonInvalidField {
		t.Fatalf("issuance naming a key by its text: %v, want invalid_field", err)
	}
	res, err := issue(keyID)
	if err != nil || res.Record.LastChange.APIKeyID != keyID {
		t.Fatalf("issue: %+v %v", res.Record.LastChange, err)
	}
	tx := l.tx(strings.Repeat("2", 64), t0, "SamrMSP", nil)
	if _, err := ChangeStatus(tx, doc.ID, credential.StatusChange{Action: credential.ActionSuspend, Reason: "待查", APIKeyID: "ak_ffeeddccbbaa0099"}); err != nil {
		t.Fatal(err)
	}
	tx.commit()
	hist, err := GetHistory(l.tx("", t0, "", nil), doc.ID)
	if err != nil || len(hist) != 2 || hist[0].APIKeyID != keyID || hist[1].APIKeyID != "ak_ffeeddccbbaa0099" || hist[1].Actor != demo.Market {
		t.Fatalf("history %+v %v", hist, err)
	}
	bad := l.tx(strings.Repeat("3", 64), t0, "SamrMSP", nil)
	if _, err := ChangeStatus(bad, doc.ID, credential.StatusChange{Action: credential.ActionReinstate, APIKeyID: "AK_1"}); credential.ErrorReason(err) != credential.ReasonInvalidField {
		t.Fatalf("status change with a malformed key id: %v", err)
	}
}
