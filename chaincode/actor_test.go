package chaincode

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
)

// actorLedger is a provisioned ledger with samr's signing key, on which
// each write runs as its own transaction of samr's.
type actorLedger struct {
	*apiKeyLedger
	samrKey ed25519.PrivateKey
}

// issueRequest is a business licence of samr's, signed, as the gateway
// sends it in transient data, acting with apiKeyID.
func (a *actorLedger) issueRequest(t *testing.T, n int, apiKeyID string) map[string][]byte {
	t.Helper()
	reg, err := GetRegistry(a.l.tx("", a.now, "", nil))
	if err != nil {
		t.Fatal(err)
	}
	samr, _ := reg.Department(demo.Market)
	licence, _ := reg.Type("business-licence")
	doc, err := credential.Issue(credential.IssueParams{Type: licence, Issuer: samr, IssuedAt: a.now.Add(time.Duration(n) * time.Second),
		Holder: credential.Holder{Name: "某公司", IDType: credential.IDUSCC, IDNumber: "91110000802100433B"},
		Fields: map[string]string{"companyName": "某公司", "entityType": "有限责任公司", "legalRepresentative": "王五",
			"establishedOn": "2020-01-01", "address": "上海市", "registeredCapital": "50", "businessScope": "软件开发"},
	}, samr.Keys[0].ID, a.samrKey)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := json.Marshal(credential.IssueRequest{Document: *doc, HolderRef: strings.Repeat("ab", 32),
		IdempotencyKey: fmt.Sprintf("k%d", n), RequestHash: "h", StatusSequence: uint64(100 + n), APIKeyID: apiKeyID})
	return map[string][]byte{TransientRequest: req}
}

// write runs fn as samr with transient data; it commits only what
// succeeds, and returns the transaction to look at what it wrote.
func (a *actorLedger) write(transient map[string][]byte, fn func(tx Tx) error) (*memTx, error) {
	a.n++
	tx := a.l.tx(fmt.Sprintf("%064x", 5000+a.n), a.now.Add(time.Duration(a.n)*time.Second), "SamrMSP", transient)
	err := fn(tx)
	if err == nil {
		tx.commit()
	}
	return tx, err
}

// TestContractChecksActingKeyRoles: a write made with an API key of the
// calling department that is recorded with roles needs the role of the
// write, whatever the gateway let through; a key recorded without roles
// has them all. A refused write writes nothing.
func TestContractChecksActingKeyRoles(t *testing.T) {
	l, samrKey := provisioned(t)
	a := &actorLedger{apiKeyLedger: &apiKeyLedger{t: t, l: l, now: t0}, samrKey: samrKey}
	keyWith := func(roles ...credential.StaffRole) string {
		k := newKey(demo.Market)
		k.Roles = roles
		made, err := a.create("SamrMSP", k)
		if err != nil {
			t.Fatal(err)
		}
		return made.ID
	}
	clerk, approver, admin, every := keyWith(credential.StaffClerk), keyWith(credential.StaffApprover), keyWith(credential.StaffAdmin), keyWith()

	// One credential to change the status of, issued with the clerk's key.
	var id string
	if _, err := a.write(a.issueRequest(t, 0, clerk), func(tx Tx) error {
		res, err := Issue(tx)
		id = res.Record.ID
		return err
	}); err != nil {
		t.Fatal(err)
	}

	type write struct {
		transient map[string][]byte
		fn        func(tx Tx) error
	}
	issue := func(n int, key string) write {
		return write{a.issueRequest(t, n, key), func(tx Tx) error { _, err := Issue(tx); return err }}
	}
	status := func(action credential.Action, key string) write {
		return write{nil, func(tx Tx) error {
			_, err := ChangeStatus(tx, id, credential.StatusChange{Action: action, Reason: "复核", APIKeyID: key})
			return err
		}}
	}
	keyBy := func(key string) write {
		return write{nil, func(tx Tx) error {
			k := newKey(demo.Market)
			k.ActingKey = key
			_, err := CreateAPIKey(tx, k)
			return err
		}}
	}
	// In order: the allowed status changes build on each other.
	for _, c := range []struct {
		name    string
		w       write
		refused bool
	}{
		{"an approver's key issues", issue(1, approver), true},
		{"an admin's key issues", issue(2, admin), true},
		{"a clerk's key suspends", status(credential.ActionSuspend, clerk), true},
		{"an admin's key suspends", status(credential.ActionSuspend, admin), true},
		{"a clerk's key makes a key", keyBy(clerk), true},
		{"an approver's key makes a key", keyBy(approver), true},
		{"a clerk's key issues", issue(3, clerk), false},
		{"a key without roles issues", issue(4, every), false},
		{"an approver's key suspends", status(credential.ActionSuspend, approver), false},
		{"a key without roles reinstates", status(credential.ActionReinstate, every), false},
		{"an admin's key makes a key", keyBy(admin), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := len(a.l.state)
			tx, err := a.write(c.w.transient, c.w.fn)
			if !c.refused {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if credential.ErrorReason(err) != credential.ReasonRoleRequired {
				t.Fatalf("got %v, want %s", err, credential.ReasonRoleRequired)
			}
			if len(tx.ops) != 0 || len(a.l.state) != before {
				t.Fatalf("a refused write wrote:\n%s", tx.trace())
			}
		})
	}
}
