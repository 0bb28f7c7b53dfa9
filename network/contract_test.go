package network_test

import (
	"context"
	"encoding/json"
	"github.com/certledger/certledger/network/portplan"
	"github.com/certledger/certledger/network/rawfabric"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
	"github.com/certledger/certledger/network"
	"github.com/certledger/certledger/network/nettest"
	"github.com/hyperledger/fabric-gateway/pkg/client"
)

// TestContractOnNetwork runs CertLedger's contract on the network as
// deployed: registry writes by the governance department, an issuance with
// the document in the issuing department's private data collection, which
// the issuer reads and another department (not a member) cannot, and
// another department's attempt to change the credential, which must fail.
func TestContractOnNetwork(t *testing.T) {
	nettest.RequireFabric(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	_, p := startNetwork(t, ctx, network.Raft, portplan.Contract)

	gov := nettest.Connect(t, p, "gov").Contract()
	for _, d := range demo.Departments() {
		pd, ok := p.Department(d.ID)
		if !ok {
			t.Fatalf("profile lacks department %s", d.ID)
		}
		d.Keys = []credential.Key{{ID: pd.IssuerKeyID, PublicKey: pd.IssuerPublicKey,
			ValidFrom: time.Now().Add(-time.Hour), Status: credential.KeyActive}}
		submitJSON(t, gov, "PutDepartment", d)
	}
	for _, ty := range demo.Types() {
		submitJSON(t, gov, "PutCredentialType", ty)
	}

	samr := nettest.Connect(t, p, "samr").Contract()
	raw, err := samr.EvaluateTransaction("GetRegistry")
	if err != nil {
		t.Fatal(err)
	}
	var reg credential.Registry
	if err := json.Unmarshal(raw, &reg); err != nil {
		t.Fatal(err)
	}
	issuer, _ := reg.Department(demo.Market)
	licence, ok := reg.Type("business-licence")
	if !ok {
		t.Fatal("registry lacks business-licence")
	}
	pd, _ := p.Department(demo.Market)
	key, err := network.LoadIssuerKey(pd.IssuerKey)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := credential.Issue(credential.IssueParams{Type: licence, Issuer: issuer, IssuedAt: time.Now(),
		Holder: credential.Holder{Name: "某公司", IDType: credential.IDUSCC, IDNumber: "91110000802100433B"},
		Fields: map[string]string{"companyName": "某公司", "entityType": "有限责任公司", "legalRepresentative": "王五",
			"establishedOn": "2020-01-01", "address": "上海市", "registeredCapital": "50", "businessScope": "软件开发"},
	}, pd.IssuerKeyID, key)
	if err != nil {
		t.Fatal(err)
	}
	req, err := json.Marshal(credential.IssueRequest{Document: *doc, HolderRef: strings.Repeat("ab", 32)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := samr.Submit("Issue", client.WithTransient(map[string][]byte{"request": req})); err != nil {
		t.Fatalf("issue: %v", err)
	}

	edu := nettest.Connect(t, p, "edu").Contract()
	if _, err := edu.EvaluateTransaction("GetRecord", doc.ID); err != nil {
		t.Fatalf("edu reads the record: %v", err)
	}
	got, err := samr.EvaluateTransaction("GetDocument", doc.ID)
	if err != nil || !strings.Contains(string(got), "91110000802100433B") {
		t.Fatalf("samr reads its document from its collection: %v\n%.200s", err, got)
	}
	if got, err := edu.EvaluateTransaction("GetDocument", doc.ID); err == nil {
		t.Fatalf("edu read a document of samr's collection: %.200s", got)
	}

	suspend, _ := json.Marshal(credential.StatusChange{Action: credential.ActionSuspend, Reason: "not theirs"})
	if _, err := edu.SubmitTransaction("ChangeStatus", doc.ID, string(suspend)); err == nil {
		t.Fatal("edu suspended a credential samr issued")
	}
	if _, err := samr.SubmitTransaction("ChangeStatus", doc.ID, string(suspend)); err != nil {
		t.Fatalf("samr suspends its own credential: %v", err)
	}
}

// submitJSON submits fn with v as its one JSON argument.
func submitJSON(t *testing.T, c *client.Contract, fn string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := rawfabric.RetryNotReady(t.Context(), func() error { _, err := c.SubmitTransaction(fn, string(b)); return err }); err != nil {
		t.Fatalf("%s: %v", fn, err)
	}
}
