package chaincode

import (
	"slices"
	"testing"
)

// The contract API builds metadata by reflection and rejects methods whose
// signatures it cannot serve; this catches that before a peer does.
func TestNewChaincodeBuildsMetadata(t *testing.T) {
	cc, err := NewChaincode()
	if err != nil {
		t.Fatal(err)
	}
	if cc.DefaultContract != Name {
		t.Fatalf("default contract %q, want %q", cc.DefaultContract, Name)
	}
}

func TestEvaluateTransactionsExist(t *testing.T) {
	c := NewContract()
	for _, fn := range c.GetEvaluateTransactions() {
		if !slices.Contains([]string{FnGetRegistry, FnGetRecord, FnGetDocument, FnGetHistory}, fn) {
			t.Errorf("unexpected evaluate transaction %s", fn)
		}
	}
}
