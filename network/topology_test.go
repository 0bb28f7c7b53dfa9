package network

import (
	"fmt"
	"testing"
)

func TestTopologyPortsAreDistinct(t *testing.T) {
	for _, tc := range []struct {
		consensus Consensus
		orderers  int
	}{{Raft, 3}, {BFT, 4}} {
		t.Run(string(tc.consensus), func(t *testing.T) {
			top := newTopology(Options{BasePort: 7000, Consensus: tc.consensus})
			if len(top.Orderers) != tc.orderers {
				t.Fatalf("orderers = %d, want %d", len(top.Orderers), tc.orderers)
			}
			if len(top.Peers) != 5 || len(top.Chaincodes) != len(chaincodes) {
				t.Fatalf("peers = %d, chaincodes = %d", len(top.Peers), len(top.Chaincodes))
			}
			seen := map[int]string{}
			for _, n := range top.all() {
				for _, p := range []int{n.Port, n.AuxPort, n.OpsPort} {
					if p == 0 {
						continue
					}
					if other, dup := seen[p]; dup {
						t.Fatalf("port %d used by %s and %s", p, other, n.Name)
					}
					if p < 7000 || p >= 7000+PortSpan {
						t.Fatalf("port %d of %s outside the plan", p, n.Name)
					}
					seen[p] = n.Name
				}
			}
		})
	}
}

func TestTopologyDepartments(t *testing.T) {
	top := newTopology(Options{BasePort: 7000, Consensus: Raft})
	tests := []struct {
		id    string
		peers []string
	}{
		{"gov", []string{"peer0.gov"}},
		{"samr", []string{"peer0.samr"}},
		{"edu", []string{"peer0.edu"}},
		{"hrss", []string{"peer0.hrss", "peer1.hrss"}},
	}
	for _, tc := range tests {
		d, ok := top.findDepartment(tc.id)
		if !ok {
			t.Fatalf("no department %s", tc.id)
		}
		got := fmt.Sprint(names(top.peersOf(d)))
		if got != fmt.Sprint(tc.peers) {
			t.Errorf("%s peers = %s, want %v", tc.id, got, tc.peers)
		}
	}
	if n, ok := top.find("peer1.hrss"); !ok || n.Host != "peer1.hrss.certledger.local" {
		t.Errorf("find(peer1.hrss) = %+v, %v", n, ok)
	}
}

func names(ns []node) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.Name)
	}
	return out
}

func TestKindOf(t *testing.T) {
	for name, want := range map[string]nodeKind{
		"orderer0": kindOrderer, "orderer3": kindOrderer, "peer1.hrss": kindPeer,
		"cc-certledger": kindChaincode, "cc-kv": kindChaincode,
	} {
		if got := kindOf(name); got != want {
			t.Errorf("kindOf(%q) = %s, want %s", name, got, want)
		}
	}
}

func TestEndorsementPolicy(t *testing.T) {
	want := "OR('GovMSP.peer','SamrMSP.peer','EduMSP.peer','HrssMSP.peer')"
	if got := endorsementPolicy(newTopology(Options{BasePort: 7000})); got != want {
		t.Errorf("policy = %s, want %s", got, want)
	}
}

// TestTopologyJoinedDepartment checks that a department added later gets
// the next peer ports, a place in the endorsement policy and a collection
// of its own, and that the chaincode definitions move to the next sequence.
func TestTopologyJoinedDepartment(t *testing.T) {
	mps := department{ID: "mps", Name: "Public Security Bureau", MSPID: "MpsMSP", Peers: 1}
	top := newTopology(Options{BasePort: 7000, Consensus: Raft, joined: []department{mps}})
	n, ok := top.find("peer0.mps")
	if !ok || n.Port != 7150 || n.AuxPort != 7151 || n.OpsPort != 7152 || n.Host != "peer0.mps.certledger.local" {
		t.Fatalf("peer0.mps = %+v, %v", n, ok)
	}
	want := "OR('GovMSP.peer','SamrMSP.peer','EduMSP.peer','HrssMSP.peer','MpsMSP.peer')"
	if got := endorsementPolicy(top); got != want {
		t.Errorf("policy = %s, want %s", got, want)
	}
	cols := documentCollections(top)
	if last := cols[len(cols)-1]; len(cols) != 5 || last.Name != "credentialDocuments_MpsMSP" || last.Policy != "OR('MpsMSP.member')" {
		t.Errorf("collections %+v", cols)
	}
	for _, c := range top.Chaincodes {
		if c.CC.Sequence != 2 {
			t.Errorf("%s at sequence %d, want 2", c.Name, c.CC.Sequence)
		}
	}
	if chaincodes[0].Sequence != 1 {
		t.Error("a topology changed the founding chaincode definitions")
	}
}
