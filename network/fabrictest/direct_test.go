package fabrictest

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/network/nettest"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	gwpb "github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// TestDirectRevokeRejected has the education department bypass CertLedger's
// gateway and call the chaincode with its own Fabric identity to revoke a
// credential the market regulator issued: the contract refuses at
// endorsement, and the record stays valid.
func TestDirectRevokeRejected(t *testing.T) {
	need(t)
	lic := issue(t, "samr", 2)
	edu := nettest.Connect(t, profile, "edu").Contract()
	awaitRecord(t, edu, lic.ID)
	revoke, _ := json.Marshal(credential.StatusChange{Action: credential.ActionRevoke, Reason: "not ours to revoke", Code: credential.RevokedPenalty})
	_, err := edu.SubmitTransaction("ChangeStatus", lic.ID, string(revoke))
	var endorse *client.EndorseError
	if !errors.As(err, &endorse) {
		t.Fatalf("edu's direct revocation: got %v, want an endorsement error", err)
	}
	if r := contractReason(endorse); r != credential.ReasonNotIssuer {
		t.Fatalf("edu's direct revocation failed for another reason (%q): %v", r, err)
	}
	if v := verify(t, lic.Document); !v.Valid || v.Status != "valid" {
		t.Fatalf("after the refused revocation: %+v", v)
	}
}

// TestKeyLevelEndorsement: a suspension endorsed by another department's peer alone fails validation with
// ENDORSEMENT_POLICY_FAILURE, because the record key's policy names the issuer's peers. This is what stops a
// department running a modified contract on its own peer (docs/security.md).
func TestKeyLevelEndorsement(t *testing.T) {
	need(t)
	lic := issue(t, "samr", 3)
	samr := nettest.Connect(t, profile, "samr").Contract()
	suspend, _ := json.Marshal(credential.StatusChange{Action: credential.ActionSuspend, Reason: "endorsed by edu only"})
	edu, _ := profile.Department("edu")
	awaitRecord(t, nettest.Connect(t, profile, "edu").Contract(), lic.ID)
	_, err := samr.Submit("ChangeStatus", client.WithArguments(lic.ID, string(suspend)),
		client.WithEndorsingOrganizations(edu.MSPID))
	var commit *client.CommitError
	if !errors.As(err, &commit) || commit.Code != peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE {
		t.Fatalf("suspension endorsed by EduMSP only: got %v, want a commit error ENDORSEMENT_POLICY_FAILURE", err)
	}
	t.Logf("transaction %s invalidated: %s", commit.TransactionID, commit.Code)
	if v := verify(t, lic.Document); !v.Valid || v.Status != "valid" {
		t.Fatalf("after the invalid transaction: %+v", v)
	}

	// The same suspension endorsed by samr's own peer is valid.
	if _, err := samr.Submit("ChangeStatus", client.WithArguments(lic.ID, string(suspend))); err != nil {
		t.Fatalf("suspension endorsed by SamrMSP: %v", err)
	}
	// It was written by another client than the gateway, which learns of
	// it from the channel's event stream (its record cache,
	// docs/decisions/0006): within moments, not necessarily at once.
	committed := time.Now()
	for {
		v := verify(t, lic.Document)
		if v.Status == "suspended" {
			t.Logf("the gateway showed the suspension %s after its commit", time.Since(committed).Round(time.Millisecond))
			break
		}
		if time.Since(committed) > 5*time.Second {
			t.Fatalf("5 s after samr's suspension: %+v", v)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// awaitRecord waits until the contract's peer has committed the record. An
// issuance is acknowledged once the issuer's peer commits it; another
// department's peer commits the same block a moment later, and until then
// would answer credential_not_found.
func awaitRecord(t *testing.T, c *client.Contract, id string) {
	t.Helper()
	nettest.Eventually(t, 30*time.Second, "the peer gets "+id, func() error {
		_, err := c.EvaluateTransaction("GetRecord", id)
		return err
	})
}

// contractReason is the reason of the contract's error that an endorsing
// peer returned, as the Fabric Gateway relays it: "chaincode response 500, "
// and the contract's JSON in a detail of the gRPC status.
func contractReason(err *client.EndorseError) credential.Reason {
	for _, d := range err.GRPCStatus().Details() {
		ed, ok := d.(*gwpb.ErrorDetail)
		if !ok {
			continue
		}
		if _, answer, found := strings.Cut(ed.GetMessage(), "chaincode response 500, "); found {
			if e, ok := chaincode.DecodeError(answer); ok {
				return e.Reason
			}
		}
	}
	return ""
}
