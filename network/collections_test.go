package network

import (
	"testing"

	contract "github.com/certledger/certledger/chaincode"
)

// TestDocumentCollections checks that every department gets its own
// collection, under the name the contract writes to, with itself as the
// only member, and that a department pushes documents only to its own
// other peers, without waiting for them.
func TestDocumentCollections(t *testing.T) {
	cols := documentCollections(newTopology(Options{BasePort: 7000, Consensus: Raft}))
	if len(cols) != len(departments) {
		t.Fatalf("%d collections for %d departments", len(cols), len(departments))
	}
	for i, d := range departments {
		t.Run(d.ID, func(t *testing.T) {
			c := cols[i]
			if c.Name != contract.DocumentCollection(d.MSPID) {
				t.Errorf("name %q, the contract writes %q", c.Name, contract.DocumentCollection(d.MSPID))
			}
			if want := "OR('" + d.MSPID + ".member')"; c.Policy != want {
				t.Errorf("policy %q, want %q", c.Policy, want)
			}
			// No waiting for another peer: a department with one of two
			// peers down keeps issuing.
			if c.MaxPeerCount != d.Peers-1 || c.RequiredPeerCount != 0 {
				t.Errorf("required %d, max %d for %d peers", c.RequiredPeerCount, c.MaxPeerCount, d.Peers)
			}
			if !c.MemberOnlyRead || !c.MemberOnlyWrite {
				t.Error("non-members may read or write")
			}
		})
	}
}
