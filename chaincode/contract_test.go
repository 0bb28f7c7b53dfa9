package chaincode

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// provisioned returns a ledger holding the demo registry and samr's key.
func provisioned(t *testing.T) (*memLedger, ed25519.PrivateKey) {
	t.Helper()
	l := newMemLedger()
	var samrKey ed25519.PrivateKey
	n := 0
	run := func(msp string, fn func(tx Tx) error) {
		n++
		tx := l.tx(strings.Repeat("0", 63)+string(rune('0'+n%10)), t0, msp, nil)
		if err := fn(tx); err != nil {
			t.Fatal(err)
		}
		tx.commit()
	}
	for _, d := range demo.Departments() {
		pub, priv, _ := ed25519.GenerateKey(nil)
		if d.ID == demo.Market {
			samrKey = priv
		}
		d.Keys = []credential.Key{{ID: d.ID + "-1", PublicKey: base64.StdEncoding.EncodeToString(pub), ValidFrom: t0.Add(-time.Hour), Status: credential.KeyActive}}
		run("GovMSP", func(tx Tx) error { return PutDepartment(tx, d) })
	}
	for _, ty := range demo.Types() {
		run("GovMSP", func(tx Tx) error { return PutCredentialType(tx, ty) })
	}
	return l, samrKey
}

// Endorsers of one transaction must produce identical write sets, or Fabric
// rejects the transaction. Run Issue on two copies of the same state many
// times (map iteration order differs between runs) and compare every write.
func TestIssueIsDeterministic(t *testing.T) {
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
			"establishedOn": "2020-01-01", "address": "上海市", "registeredCapital": "50", "businessScope": "软件开发"},
	}, samr.Keys[0].ID, key)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := json.Marshal(credential.IssueRequest{Document: *doc, HolderRef: strings.Repeat("ab", 32), IdempotencyKey: "k", RequestHash: "h", StatusSequence: 42})
	transient := map[string][]byte{TransientRequest: req}
	txID := strings.Repeat("f", 64)

	var first string
	for i := range 20 {
		tx := l.clone().tx(txID, t0.Add(time.Minute), "SamrMSP", transient)
		if _, err := Issue(tx); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = tx.trace()
			continue
		}
		if got := tx.trace(); got != first {
			t.Fatalf("run %d wrote differently:\n%s\n--- first run ---\n%s", i, got, first)
		}
	}
	for _, want := range []string{"put cred/" + doc.ID, "private " + DocumentCollection("SamrMSP") + "/doc/" + doc.ID, "put idem/samr/k", "policy cred/", "event " + EventName,
		"put statusidx/samr/0000000000/00000000000000000042", "policy statusidx/samr/0000000000/00000000000000000042",
		"put deptidx/samr/" + invertedTime(t0) + "/" + doc.ID, "policy deptidx/samr/" + invertedTime(t0) + "/" + doc.ID + "=SamrMSP"} {
		if !strings.Contains(first, want) {
			t.Errorf("issue did not %q:\n%s", want, first)
		}
	}
	if strings.Contains(first, "91110000802100433B") && !strings.Contains(first, "private "+DocumentCollection("SamrMSP")+"/") {
		t.Error("personal data outside private data")
	}
	for _, line := range strings.Split(first, "\n") {
		if strings.Contains(line, "91110000802100433B") && !strings.HasPrefix(line, "private ") {
			t.Errorf("personal data in a public write: %.80s", line)
		}
	}
}

// Every kind of key has its own prefix, and the range scans of the registry
// see only their own kind.
func TestKeyPrefixesDoNotOverlap(t *testing.T) {
	prefixes := []string{prefixDepartment, prefixMSP, prefixType, prefixTypeCode, prefixRecord, prefixIdempotency, prefixDocument, prefixStatusIndex, prefixAPIKey, prefixAPIKeyRevocation, prefixHolderIndex, prefixDeptIndex}
	for _, p := range prefixes {
		for _, q := range prefixes {
			if p != q && strings.HasPrefix(q, p) {
				t.Errorf("prefix %q contains %q", q, p)
			}
			if p != q && q >= p && q < prefixEnd(p) {
				t.Errorf("keys with prefix %q fall in the range of %q", q, p)
			}
		}
	}
}

func TestHistoryIsOldestFirst(t *testing.T) {
	l := newMemLedger()
	id := credential.Identifier{TypeCode: "11100000MB02000124001", Issuer: "11100000MB02000124", Serial: "ABC", Version: 1}.String()
	for i, a := range []credential.Action{credential.ActionIssue, credential.ActionSuspend, credential.ActionReinstate} {
		rec := credential.Record{ID: id, LastChange: credential.Change{Action: a, TxID: string(rune('a' + i))}}
		b, _ := json.Marshal(rec)
		tx := l.tx(string(rune('a'+i)), t0, "SamrMSP", nil)
		tx.PutState(recordKey(id), b)
		tx.commit()
	}
	hist, err := GetHistory(l.tx("", t0, "", nil), id)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 3 || hist[0].Action != credential.ActionIssue || hist[2].Action != credential.ActionReinstate {
		t.Fatalf("history %+v, want issue, suspend, reinstate", hist)
	}
}
