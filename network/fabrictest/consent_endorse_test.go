package fabrictest

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
	"github.com/certledger/certledger/network/nettest"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// TestConsentDecisionNeedsBoth: a decision on a consent request is
// written only with governance's and the requester's endorsements
// (docs/decisions/0015). On a counter request of hrss, which any holder
// reference may bind:
//   - hrss's own identity calling DecideRequest is refused by the contract
//     at endorsement (not_governance);
//   - governance's decision endorsed by governance's peer alone, and the
//     same endorsed by hrss's peer alone, pass the contract but fail the
//     request key's policy at commit (ENDORSEMENT_POLICY_FAILURE), and the
//     request stays pending with no receipt;
//   - the same decision endorsed by both is valid, which shows the two
//     failures came from the policy and not from the decision.
func TestConsentDecisionNeedsBoth(t *testing.T) {
	need(t)
	g := gateway(t)
	var created struct {
		ID string `json:"id"`
	}
	if _, err := call(g.URL(), "POST", "/api/v1/requests", g.Keys()[demo.HumanRes].APIKey,
		map[string]any{"service": demo.ServiceProfessionalRank, "purpose": "窗口办理"}, &created); err != nil {
		t.Fatal(err)
	}
	govDept, _ := profile.Department(demo.Governance)
	hrssDept, _ := profile.Department(demo.HumanRes)
	gov := nettest.Connect(t, profile, demo.Governance).Contract()
	hrss := nettest.Connect(t, profile, demo.HumanRes).Contract()
	status := func(c *client.Contract) credential.ConsentRequest {
		t.Helper()
		var r credential.ConsentRequest
		nettest.Eventually(t, 30*time.Second, "the peer gets request "+created.ID, func() error {
			raw, err := c.EvaluateTransaction(chaincode.FnGetRequest, created.ID)
			if err != nil {
				return err
			}
			return json.Unmarshal(raw, &r)
		})
		return r
	}
	status(gov)
	status(hrss)
	refusal, _ := json.Marshal(credential.RequestDecision{ID: created.ID, Action: credential.DecisionRefuse, HolderRef: strings.Repeat("ab", 32)})

	_, err := hrss.SubmitTransaction(chaincode.FnDecideRequest, string(refusal))
	var endorse *client.EndorseError
	if !errors.As(err, &endorse) || contractReason(endorse) != credential.ReasonNotGovernance {
		t.Fatalf("hrss's own DecideRequest: got %v, want the contract's %s at endorsement", err, credential.ReasonNotGovernance)
	}

	for _, only := range []string{govDept.MSPID, hrssDept.MSPID} {
		_, err := gov.Submit(chaincode.FnDecideRequest, client.WithArguments(string(refusal)), client.WithEndorsingOrganizations(only))
		var commit *client.CommitError
		if !errors.As(err, &commit) || commit.Code != peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE {
			t.Fatalf("a refusal endorsed by %s alone: got %v, want a commit error ENDORSEMENT_POLICY_FAILURE", only, err)
		}
		t.Logf("endorsed by %s alone: transaction %s invalidated (%s)", only, commit.TransactionID, commit.Code)
		for _, c := range []*client.Contract{gov, hrss} {
			if r := status(c); r.Status != credential.RequestPending || r.HolderRef != "" {
				t.Fatalf("after the invalid refusal: %+v", r)
			}
		}
	}

	res, err := gov.Submit(chaincode.FnDecideRequest, client.WithArguments(string(refusal)),
		client.WithEndorsingOrganizations(govDept.MSPID, hrssDept.MSPID))
	if err != nil {
		t.Fatalf("the refusal endorsed by both: %v", err)
	}
	var decided credential.ConsentRequest
	if err := json.Unmarshal(res, &decided); err != nil || decided.Status != credential.RequestRefused {
		t.Fatalf("the refusal endorsed by both answered %s (%v)", res, err)
	}
	nettest.Eventually(t, 30*time.Second, "hrss's peer has the refusal", func() error {
		if r := status(hrss); r.Status != credential.RequestRefused {
			return errors.New("still " + string(r.Status))
		}
		return nil
	})
	q, _ := json.Marshal(credential.ReceiptQuery{From: decided.DecidedAt, To: decided.DecidedAt.Add(time.Nanosecond)})
	raw, err := gov.EvaluateTransaction(chaincode.FnGetReceipts, string(q))
	if err != nil {
		t.Fatal(err)
	}
	var page credential.ReceiptPage
	if err := json.Unmarshal(raw, &page); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range page.Receipts {
		if r.Request == created.ID {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("receipts of request %s: %d, want the one of the valid refusal", created.ID, n)
	}
}
