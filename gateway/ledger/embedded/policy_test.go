package embedded

import (
	"bytes"
	"context"
	"slices"
	"testing"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/statebased"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
)

// fabricPolicy is a key-level policy as ledgers written before stored it:
// Fabric's serialized SignaturePolicyEnvelope, built by the statebased
// package the contract used.
func fabricPolicy(t *testing.T, role statebased.RoleType, mspIDs ...string) []byte {
	t.Helper()
	ep, err := statebased.NewStateEP(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ep.AddOrgs(role, mspIDs...); err != nil {
		t.Fatal(err)
	}
	b, err := ep.Policy()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodePolicy(t *testing.T) {
	encoded, err := encodePolicy([]string{"SamrMSP", "GovMSP", "SamrMSP"})
	if err != nil {
		t.Fatal(err)
	}
	if string(encoded) != `["GovMSP","SamrMSP"]` {
		t.Fatalf("encoded policy %s, want the sorted MSP IDs once each", encoded)
	}
	none, err := encodePolicy(nil)
	if err != nil {
		t.Fatal(err)
	}
	role, err := proto.Marshal(&msp.MSPRole{MspIdentifier: "EduMSP", Role: msp.MSPRole_PEER})
	if err != nil {
		t.Fatal(err)
	}
	mixed, err := proto.Marshal(&common.SignaturePolicyEnvelope{Identities: []*msp.MSPPrincipal{
		{PrincipalClassification: msp.MSPPrincipal_IDENTITY, Principal: []byte("a serialized identity")},
		{PrincipalClassification: msp.MSPPrincipal_ROLE, Principal: role},
	}})
	if err != nil {
		t.Fatal(err)
	}
	legacy := fabricPolicy(t, statebased.RoleTypePeer, "SamrMSP")
	tests := []struct {
		name    string
		stored  []byte
		want    []string
		wantErr bool
	}{
		{"plain", encoded, []string{"GovMSP", "SamrMSP"}, false},
		{"plain, no MSP", none, []string{}, false},
		{"fabric, one peer", legacy, []string{"SamrMSP"}, false},
		{"fabric, members of two", fabricPolicy(t, statebased.RoleTypeMember, "HrssMSP", "EduMSP"), []string{"EduMSP", "HrssMSP"}, false},
		{"fabric, a principal that is no role", mixed, []string{"EduMSP"}, false},
		{"fabric, truncated", legacy[:len(legacy)-3], nil, true},
		{"plain, truncated", encoded[:5], nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodePolicy(tc.stored)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want one: %v", err, tc.wantErr)
			}
			if !tc.wantErr && !slices.Equal(got, tc.want) {
				t.Fatalf("MSPs %q, want %q", got, tc.want)
			}
		})
	}
}

// A ledger written before keeps Fabric policy bytes under the policy
// namespace: it still opens, enforces them, and keeps the bytes the log
// hashed.
func TestFabricPolicyBytesStayEnforced(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	const key = "legacy/entry"
	legacy := fabricPolicy(t, statebased.RoleTypePeer, f.msp(demo.Market))
	// Written the way the contract wrote policies then: the stub stored
	// whatever bytes it was handed.
	if _, err := f.ledger.submit(ctx, f.msp(demo.Market), "Legacy", nil, func(tx chaincode.Tx) (any, error) {
		sim := tx.(*simTx)
		if err := sim.PutState(key, []byte("v1")); err != nil {
			return nil, err
		}
		return nil, sim.put(sim.policy, key, legacy)
	}); err != nil {
		t.Fatal(err)
	}
	f.reopen()

	put := func(tx chaincode.Tx) (any, error) { return nil, tx.PutState(key, []byte("v2")) }
	_, err := f.ledger.submit(ctx, f.msp(demo.Education), "Forged", nil, put)
	wantCode(t, err, credential.CodeForbidden)
	_, err = f.ledger.submit(ctx, f.msp(demo.Governance), "Forged", nil, func(tx chaincode.Tx) (any, error) {
		return nil, tx.RestrictTo(key, f.msp(demo.Governance))
	})
	wantCode(t, err, credential.CodeForbidden)
	if _, err := f.ledger.submit(ctx, f.msp(demo.Market), "Touch", nil, put); err != nil {
		t.Fatalf("the policy's own department: %v", err)
	}
	if err := f.ledger.db.View(func(btx *bolt.Tx) error {
		if got := btx.Bucket(bucketPolicy).Get([]byte(key)); !bytes.Equal(got, legacy) {
			t.Errorf("stored policy %x, want the original %x", got, legacy)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// The submitter is a policy's only endorser here, so a policy must name it
// and no other department; one naming nobody is met by no write.
func TestPolicyNeedsExactlyTheSubmitter(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	samr, edu := f.msp(demo.Market), f.msp(demo.Education)
	tests := []struct {
		name   string
		policy []string
		ok     bool
	}{
		{"the submitter", []string{samr}, true},
		{"another department", []string{edu}, false},
		{"the submitter and another", []string{samr, edu}, false},
		{"nobody", nil, false},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key := "policy-test/" + strconvU(uint64(i))
			if _, err := f.ledger.submit(ctx, samr, "Restrict", nil, func(tx chaincode.Tx) (any, error) {
				if err := tx.PutState(key, []byte("v1")); err != nil {
					return nil, err
				}
				return nil, tx.RestrictTo(key, tc.policy...)
			}); err != nil {
				t.Fatal(err)
			}
			_, err := f.ledger.submit(ctx, samr, "Touch", nil, func(tx chaincode.Tx) (any, error) {
				return nil, tx.PutState(key, []byte("v2"))
			})
			if tc.ok && err != nil {
				t.Fatalf("write refused: %v", err)
			}
			if !tc.ok {
				wantCode(t, err, credential.CodeForbidden)
			}
		})
	}
}
