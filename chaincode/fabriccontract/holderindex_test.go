package fabriccontract

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
)

// The holder index through the adapter, as a peer runs it: issuance lists
// the credential under its holder reference with the issuer's policy, the
// query finds it as an evaluate transaction, and governance's backfill
// finds nothing left to list.
func TestFabricAdapterHolderIndex(t *testing.T) {
	if !slices.Contains(NewContract().GetEvaluateTransactions(), chaincode.FnGetCredentialsByHolder) {
		t.Fatal("GetCredentialsByHolder is not marked evaluate-only")
	}
	cc, err := NewChaincode()
	if err != nil {
		t.Fatal(err)
	}
	w := newWorldState()
	n := 0
	invoke := func(mspID string, transient map[string][]byte, fn string, args ...string) (string, error) {
		t.Helper()
		n++
		stub := newStub(t, w, fmt.Sprintf("%064x", n), t0, mspID, transient, fn, args...)
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
	var samrKey ed25519.PrivateKey
	for _, d := range demo.Departments() {
		pub, priv, _ := ed25519.GenerateKey(nil)
		if d.ID == demo.Market {
			samrKey = priv
		}
		d.Keys = []credential.Key{{ID: d.ID + "-1", PublicKey: base64.StdEncoding.EncodeToString(pub), ValidFrom: t0.Add(-time.Hour), Status: credential.KeyActive}}
		if _, err := invoke("GovMSP", nil, chaincode.FnPutDepartment, mustJSON(d)); err != nil {
			t.Fatal(err)
		}
	}
	for _, ty := range demo.Types() {
		if _, err := invoke("GovMSP", nil, chaincode.FnPutCredentialType, mustJSON(ty)); err != nil {
			t.Fatal(err)
		}
	}
	samr, licence := demo.Departments()[1], demo.Types()[0]
	doc, err := credential.Issue(credential.IssueParams{Type: licence, Issuer: samr, IssuedAt: t0,
		Holder: credential.Holder{Name: "某公司", IDType: credential.IDUSCC, IDNumber: "91110000802100433B"},
		Fields: map[string]string{"companyName": "某公司", "entityType": "有限责任公司", "legalRepresentative": "王五",
			"establishedOn": "2020-01-01", "address": "上海市"},
	}, "samr-1", samrKey)
	if err != nil {
		t.Fatal(err)
	}
	ref := credential.HolderRef([]byte("k"), demo.Market, credential.IDUSCC, "91110000802100433B")
	req := mustJSON(credential.IssueRequest{Document: *doc, HolderRef: ref})
	if _, err := invoke("SamrMSP", map[string][]byte{chaincode.TransientRequest: []byte(req)}, chaincode.FnIssue); err != nil {
		t.Fatal(err)
	}
	id, _ := credential.ParseIdentifier(doc.ID)
	key := "holderidx/" + ref + "/" + id.TypeCode + "." + id.Issuer + "." + id.Serial
	if got := w.policy[key]; !slices.Equal(got, []string{"SamrMSP"}) {
		t.Errorf("policy of %s names %q, want SamrMSP", key, got)
	}

	out, err := invoke("", nil, chaincode.FnGetCredentialsByHolder, mustJSON(credential.HolderQuery{Refs: []string{ref}}))
	var page credential.HolderPage
	if err != nil || json.Unmarshal([]byte(out), &page) != nil || len(page.Records) != 1 || page.Records[0].ID != doc.ID || page.Next != "" {
		t.Fatalf("holder page %s: %v", out, err)
	}
	if _, err := invoke("", nil, chaincode.FnGetCredentialsByHolder, "{"); credential.ErrorReason(err) != credential.ReasonInvalidRequest {
		t.Fatalf("malformed query: %v, want invalid_request", err)
	}
	out, err = invoke("GovMSP", nil, chaincode.FnIndexHolders, "")
	var p chaincode.IndexProgress
	if err != nil || json.Unmarshal([]byte(out), &p) != nil || p != (chaincode.IndexProgress{Scanned: 1}) {
		t.Fatalf("backfill %s: %v", out, err)
	}
}

// countingStub counts the keys a range iterator hands out.
type countingStub struct {
	shim.ChaincodeStubInterface
	keys  []string
	nexts int
}

func (s *countingStub) GetStateByRange(start, end string) (shim.StateQueryIteratorInterface, error) {
	return &countingIterator{s: s, keys: s.keys}, nil
}

type countingIterator struct {
	s    *countingStub
	keys []string
}

func (it *countingIterator) HasNext() bool { return len(it.keys) > 0 }
func (it *countingIterator) Close() error  { return nil }
func (it *countingIterator) Next() (*queryresult.KV, error) {
	it.s.nexts++
	k := it.keys[0]
	it.keys = it.keys[1:]
	return &queryresult.KV{Key: k}, nil
}

// A bounded scan takes no key from the peer beyond the n it returns.
func TestStateRangeNStopsReading(t *testing.T) {
	for _, tt := range []struct{ keys, n, want int }{{10, 3, 3}, {2, 3, 2}, {5, 0, 0}} {
		s := &countingStub{}
		for i := range tt.keys {
			s.keys = append(s.keys, fmt.Sprintf("k%02d", i))
		}
		ctx := new(contractapi.TransactionContext)
		ctx.SetStub(s)
		kvs, err := fabricTx{ctx}.StateRangeN("k", "l", tt.n)
		if err != nil || len(kvs) != tt.want || s.nexts != tt.want {
			t.Errorf("%d keys, n %d: %d returned, %d read, %v; want %d", tt.keys, tt.n, len(kvs), s.nexts, err, tt.want)
		}
	}
}
