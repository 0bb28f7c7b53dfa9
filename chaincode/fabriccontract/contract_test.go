package fabriccontract

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// The contract API builds metadata by reflection and rejects methods whose
// signatures it cannot serve; this catches that before a peer does.
func TestNewChaincodeBuildsMetadata(t *testing.T) {
	cc, err := NewChaincode()
	if err != nil {
		t.Fatal(err)
	}
	if cc.DefaultContract != chaincode.Name {
		t.Fatalf("default contract %q, want %q", cc.DefaultContract, chaincode.Name)
	}
}

// Every function named as evaluate-only must be a transaction of the
// contract, and every Fn constant must name one.
func TestFunctionNamesMatchMethods(t *testing.T) {
	c := NewContract()
	ty := reflect.TypeOf(c)
	for _, fn := range append(c.GetEvaluateTransactions(), chaincode.FnPutDepartment, chaincode.FnPutCredentialType, chaincode.FnIssue, chaincode.FnChangeStatus, chaincode.FnRotateToken,
		chaincode.FnCreateAPIKey, chaincode.FnRevokeAPIKey, chaincode.FnPutService, chaincode.FnCreateShare, chaincode.FnOpenShare, chaincode.FnWithdrawShare,
		chaincode.FnCreateRequest, chaincode.FnDecideRequest, chaincode.FnRecordProofRead) {
		if _, ok := ty.MethodByName(fn); !ok {
			t.Errorf("contract has no transaction %s", fn)
		}
	}
}

// TestFabricAdapter drives the chaincode the way a peer does, through
// ContractChaincode.Invoke with a stub: string arguments, the transient
// request, the creator's MSP, JSON results and errors as JSON.
func TestFabricAdapter(t *testing.T) {
	cc, err := NewChaincode()
	if err != nil {
		t.Fatal(err)
	}
	w := newWorldState()
	n := 0
	var stub *fakeStub // the last invocation's
	invoke := func(mspID string, transient map[string][]byte, fn string, args ...string) (string, error) {
		t.Helper()
		n++
		stub = newStub(t, w, fmt.Sprintf("%064x", n), t0, mspID, transient, fn, args...)
		resp := cc.Invoke(stub)
		if resp.Status != 200 {
			if e, ok := chaincode.DecodeError(resp.Message); ok {
				return "", e
			}
			return "", errors.New(resp.Message)
		}
		stub.commit()
		return string(resp.Payload), nil
	}
	mustJSON := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	keys := map[string]ed25519.PrivateKey{}
	for _, d := range demo.Departments() {
		pub, priv, _ := ed25519.GenerateKey(nil)
		keys[d.ID] = priv
		d.Keys = []credential.Key{{ID: d.ID + "-1", PublicKey: base64.StdEncoding.EncodeToString(pub), ValidFrom: t0.Add(-time.Hour), Status: credential.KeyActive}}
		if _, err := invoke("GovMSP", nil, chaincode.FnPutDepartment, mustJSON(d)); err != nil {
			t.Fatalf("PutDepartment %s: %v", d.ID, err)
		}
	}
	for _, ty := range demo.Types() {
		if _, err := invoke("GovMSP", nil, chaincode.FnPutCredentialType, mustJSON(ty)); err != nil {
			t.Fatalf("PutCredentialType %s: %v", ty.ID, err)
		}
	}
	if _, err := invoke("SamrMSP", nil, chaincode.FnPutCredentialType, mustJSON(demo.Types()[0])); credential.ErrorReason(err) != credential.ReasonNotGovernance {
		t.Fatalf("issuer changing the registry: %v, want not_governance", err)
	}
	if _, err := invoke("GovMSP", nil, chaincode.FnPutDepartment, "{not json"); credential.ErrorReason(err) != credential.ReasonInvalidRequest {
		t.Fatalf("malformed argument: %v, want invalid_request", err)
	}

	out, err := invoke("", nil, chaincode.FnGetRegistry)
	if err != nil {
		t.Fatal(err)
	}
	var reg credential.Registry
	if err := json.Unmarshal([]byte(out), &reg); err != nil || len(reg.Departments) != 4 || len(reg.Types) != 3 {
		t.Fatalf("registry %s: %v", out, err)
	}
	samr, _ := reg.Department(demo.Market)
	licence, _ := reg.Type("business-licence")
	doc, err := credential.Issue(credential.IssueParams{Type: licence, Issuer: samr, IssuedAt: t0,
		Holder: credential.Holder{Name: "某公司", IDType: credential.IDUSCC, IDNumber: "91110000802100433B"},
		Fields: map[string]string{"companyName": "某公司", "entityType": "有限责任公司", "legalRepresentative": "王五",
			"establishedOn": "2020-01-01", "address": "上海市"},
	}, samr.Keys[0].ID, keys[demo.Market])
	if err != nil {
		t.Fatal(err)
	}
	const seq = 3*chaincode.StatusListSize + 99
	req := mustJSON(credential.IssueRequest{Document: *doc, HolderRef: credential.HolderRef([]byte("k"), "samr", "uscc", "91110000802100433B"), StatusSequence: seq})

	if _, err := invoke("SamrMSP", nil, chaincode.FnIssue); credential.ErrorReason(err) != credential.ReasonInvalidRequest {
		t.Fatalf("issue without transient data: %v, want invalid_request", err)
	}
	out, err = invoke("SamrMSP", map[string][]byte{chaincode.TransientRequest: []byte(req)}, chaincode.FnIssue)
	if err != nil {
		t.Fatal(err)
	}
	var res credential.IssueResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Record.ID != doc.ID || res.Record.IssueTxID != fmt.Sprintf("%064x", n) {
		t.Fatalf("issue result %s: %v", out, err)
	}
	// The adapter turns the departments the rules name into the policies a
	// peer's validator reads: only samr's peers can change what it issued.
	for key, want := range map[string][]string{
		chaincode.RecordKey(doc.ID):                                {"SamrMSP"},
		chaincode.DocumentCollection("SamrMSP") + "/doc/" + doc.ID: {"SamrMSP"},
		"dept/samr": {"GovMSP"},
	} {
		if got := w.policy[key]; !slices.Equal(got, want) {
			t.Errorf("policy of %s names %q, want %q", key, got, want)
		}
	}

	// A batch: a new licence is issued, the one just issued again is a
	// conflict; the keys both look up are read in one round trip.
	doc2, err := credential.Issue(credential.IssueParams{Type: licence, Issuer: samr, IssuedAt: t0,
		Holder: credential.Holder{Name: "另一公司", IDType: credential.IDUSCC, IDNumber: "91110000802100433B"},
		Fields: map[string]string{"companyName": "另一公司", "entityType": "有限责任公司", "legalRepresentative": "赵六",
			"establishedOn": "2021-01-01", "address": "上海市"},
	}, samr.Keys[0].ID, keys[demo.Market])
	if err != nil {
		t.Fatal(err)
	}
	// The status position is taken: the number crosses with the reason.
	taken := mustJSON(credential.IssueRequest{Document: *doc2, HolderRef: res.Record.HolderRef, StatusSequence: seq})
	if _, err := invoke("SamrMSP", map[string][]byte{chaincode.TransientRequest: []byte(taken)}, chaincode.FnIssue); !credential.IsStatusSequenceTaken(err, seq) {
		t.Fatalf("issue on a taken position: %v, want status_sequence_taken %d", err, seq)
	}
	batch := "[" + mustJSON(credential.IssueRequest{Document: *doc2, HolderRef: res.Record.HolderRef}) + "," + req + "]"
	out, err = invoke("SamrMSP", map[string][]byte{chaincode.TransientRequests: []byte(batch)}, chaincode.FnIssueBatch)
	var items []chaincode.BatchItemResult
	if err != nil || json.Unmarshal([]byte(out), &items) != nil || len(items) != 2 ||
		items[0].Result == nil || items[0].Result.Record.ID != doc2.ID || credential.ErrorReason(items[1].Err()) != credential.ReasonDuplicateID {
		t.Fatalf("batch result %s: %v", out, err)
	}
	if stub.multiGets != 1 || stub.event != chaincode.EventBatchName {
		t.Fatalf("batch made %d multi-key reads and set event %q; want 1 and %q", stub.multiGets, stub.event, chaincode.EventBatchName)
	}

	change := mustJSON(credential.StatusChange{Action: credential.ActionRevoke, Reason: "撤销", Code: credential.RevokedWithdrawn})
	if _, err := invoke("EduMSP", nil, chaincode.FnChangeStatus, doc.ID, change); credential.ErrorReason(err) != credential.ReasonNotIssuer {
		t.Fatalf("cross-department revoke: %v, want not_issuer", err)
	}
	if _, err := invoke("SamrMSP", nil, chaincode.FnChangeStatus, doc.ID, change); err != nil {
		t.Fatal(err)
	}
	out, err = invoke("", nil, chaincode.FnGetRecord, doc.ID)
	if err != nil || !strings.Contains(out, `"status":"revoked"`) {
		t.Fatalf("record %s: %v", out, err)
	}
	out, err = invoke("SamrMSP", nil, chaincode.FnGetDocument, doc.ID)
	if err != nil || !strings.Contains(out, doc.Proof.Signature) {
		t.Fatalf("document %s: %v", out, err)
	}
	out, err = invoke("", nil, chaincode.FnGetHistory, doc.ID)
	var hist []credential.Change
	if err != nil || json.Unmarshal([]byte(out), &hist) != nil || len(hist) != 2 || hist[1].Action != credential.ActionRevoke {
		t.Fatalf("history %s: %v", out, err)
	}
	rotation := mustJSON(credential.TokenRotation{APIKeyID: "ak_00112233445566ff"})
	if _, err := invoke("EduMSP", nil, chaincode.FnRotateToken, doc.ID, rotation); credential.ErrorReason(err) != credential.ReasonNotIssuer {
		t.Fatalf("cross-department token rotation: %v, want not_issuer", err)
	}
	out, err = invoke("SamrMSP", nil, chaincode.FnRotateToken, doc.ID, rotation)
	if err != nil || !strings.Contains(out, `"tokenGeneration":1`) || !strings.Contains(out, `"status":"revoked"`) || stub.event != chaincode.EventName {
		t.Fatalf("token rotation %s: %v (event %q)", out, err, stub.event)
	}
	out, err = invoke("", nil, chaincode.FnGetStatusEntries, demo.Market, "3")
	var entries []credential.StatusEntry
	if err != nil || json.Unmarshal([]byte(out), &entries) != nil ||
		len(entries) != 1 || entries[0] != (credential.StatusEntry{Sequence: seq, ID: doc.ID, Status: credential.StatusRevoked}) {
		t.Fatalf("status entries %s: %v", out, err)
	}
	if out, err = invoke("", nil, chaincode.FnGetStatusEntries, demo.Market, "2"); err != nil || out != "[]" {
		t.Fatalf("empty list: %s %v", out, err)
	}
	for _, list := range []string{"03", "-1", "x", ""} {
		if _, err := invoke("", nil, chaincode.FnGetStatusEntries, demo.Market, list); credential.ErrorReason(err) != credential.ReasonInvalidStatusList {
			t.Fatalf("list %q: %v, want invalid_status_list", list, err)
		}
	}
	if _, err := invoke("", nil, chaincode.FnGetRecord, "1.2.156.3005.2.nonsense"); credential.ErrorReason(err) != credential.ReasonInvalidIdentifier {
		t.Fatalf("malformed id: %v, want invalid_identifier", err)
	}

	// API keys: governance creates one for samr, samr lists and revokes it;
	// each write carries its writer's key-level policy and an event.
	_, newKey := credential.GenerateAPIKey(demo.Market)
	newKey.Label = "console"
	out, err = invoke("GovMSP", nil, chaincode.FnCreateAPIKey, mustJSON(newKey))
	var ak credential.APIKey
	if err != nil || json.Unmarshal([]byte(out), &ak) != nil || ak.ID != newKey.ID || ak.CreatedBy != demo.Governance || stub.event != chaincode.EventAPIKeyName {
		t.Fatalf("create API key %s: %v (event %q)", out, err, stub.event)
	}
	if got := w.policy["apikey/"+ak.ID]; !slices.Equal(got, []string{"GovMSP"}) {
		t.Errorf("policy of the API key names %q, want GovMSP", got)
	}
	if _, err := invoke("EduMSP", nil, chaincode.FnRevokeAPIKey, mustJSON(credential.APIKeyRevocation{Dept: demo.Market, ID: ak.ID})); credential.ErrorReason(err) != credential.ReasonNotKeyOwner {
		t.Fatalf("another department revoking: %v, want not_key_owner", err)
	}
	if _, err := invoke("SamrMSP", nil, chaincode.FnRevokeAPIKey, mustJSON(credential.APIKeyRevocation{Dept: demo.Market, ID: ak.ID})); err != nil {
		t.Fatal(err)
	}
	if got := w.policy["apikeyrevoked/"+ak.ID]; !slices.Equal(got, []string{"SamrMSP"}) {
		t.Errorf("policy of the revocation names %q, want SamrMSP", got)
	}
	out, err = invoke("", nil, chaincode.FnGetAPIKeys, demo.Market)
	var listed []credential.APIKey
	if err != nil || json.Unmarshal([]byte(out), &listed) != nil || len(listed) != 1 || listed[0].RevokedBy != demo.Market || listed[0].Label != "console" {
		t.Fatalf("API keys of samr %s: %v", out, err)
	}

	// A failure of the ledger itself is an internal error: the client's
	// message says nothing of it, the cause is kept for the gateway's log.
	w.state[chaincode.RecordKey(doc2.ID)] = []byte("{broken")
	_, err = invoke("", nil, chaincode.FnGetRecord, doc2.ID)
	var ce *credential.Error
	if !errors.As(err, &ce) || ce.Code != credential.CodeInternal || ce.Reason != credential.ReasonInternal ||
		ce.Message != "the contract failed" || ce.Cause == nil || !strings.Contains(ce.Cause.Error(), chaincode.RecordKey(doc2.ID)) {
		t.Fatalf("corrupt record: %#v", err)
	}
}
