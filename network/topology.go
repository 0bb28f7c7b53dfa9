package network

import (
	"fmt"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
)

// Department is one organization of the channel: a government department
// with its own MSP and peers.
type department struct {
	ID         string `json:"id"` // short stable name, as in the credential registry
	Name       string `json:"name"`
	NameZh     string `json:"nameZh,omitempty"`
	MSPID      string `json:"mspId"`
	Peers      int    `json:"peers"`
	Governance bool   `json:"governance,omitempty"` // keeps the registry (the data bureau)
}

// departments found the network: the demo registry's departments
// (credential/demo), so that each department the gateway's --demo
// provisioning registers is an organization of the channel with the same
// MSP ID. Departments added later (AddDepartment) are recorded in the
// network's state and come after them in every topology.
var departments = foundingDepartments()

func foundingDepartments() []department {
	var out []department
	for _, d := range demo.Departments() {
		out = append(out, department{ID: d.ID, Name: d.NameEn, NameZh: d.NameZh, MSPID: d.MSPID,
			Peers: foundingPeers(d.ID), Governance: d.HasRole(credential.RoleGovernance)})
	}
	return out
}

// foundingPeers is the peers of a founding department: human resources
// has two so that one can fail without the department going dark.
func foundingPeers(id string) int {
	if id == demo.HumanRes {
		return 2
	}
	return 1
}

const (
	domainSuffix  = "certledger.local"
	ordererMSPID  = "OrdererMSP"
	ordererDomain = "orderer." + domainSuffix
)

func (d department) domain() string { return d.ID + "." + domainSuffix }

// Port plan, relative to Options.BasePort (B):
//
//	orderer i   B+10i     gRPC (broadcast, deliver and cluster traffic)
//	            B+10i+1   admin (channel participation, mutual TLS)
//	            B+10i+2   operations (/healthz)
//	peer j      B+100+10j gRPC (endorse, deliver, gateway and gossip)
//	            B+100+10j+1 chaincode callback listener
//	            B+100+10j+2 operations (/healthz)
//	chaincode k B+200+k   chaincode service (CCaaS)
const (
	peerPortOffset      = 100
	chaincodePortOffset = 200
)

// PortSpan is how many ports a network takes from its base port: two
// networks whose bases are PortSpan apart never share a port.
const PortSpan = 210

type nodeKind string

const (
	kindOrderer   nodeKind = "orderer"
	kindPeer      nodeKind = "peer"
	kindChaincode nodeKind = "chaincode"
)

// node is one process of the network.
type node struct {
	Name    string // short name used for logs and PID files: orderer0, peer1.hrss, cc-kv
	Kind    nodeKind
	Host    string      // TLS host name in the node's certificate
	Dept    *department // owning department of a peer; nil otherwise
	Port    int         // main listen port
	AuxPort int         // orderer admin port or peer chaincode listener
	OpsPort int         // operations port (orderers and peers)
	CC      *chaincode  // served chaincode of a chaincode server
}

func (n node) address() string    { return fmt.Sprintf("127.0.0.1:%d", n.Port) }
func (n node) auxAddress() string { return fmt.Sprintf("127.0.0.1:%d", n.AuxPort) }
func (n node) opsAddress() string { return fmt.Sprintf("127.0.0.1:%d", n.OpsPort) }

// maxPeers is how many peers the port plan has room for: peer ports end
// where the chaincode services' begin.
const maxPeers = (chaincodePortOffset - peerPortOffset) / 10

// topology is the full set of nodes of a network with given options.
type topology struct {
	// Departments are the founding ones, then those added since, in the
	// order they joined.
	Departments []*department
	Orderers    []node
	Peers       []node
	Chaincodes  []node
}

func newTopology(o Options) topology {
	var t topology
	orderers := 3
	if o.Consensus == BFT {
		orderers = 4
	}
	for i := range orderers {
		p := o.BasePort + 10*i
		t.Orderers = append(t.Orderers, node{
			Name: fmt.Sprintf("orderer%d", i), Kind: kindOrderer,
			Host: fmt.Sprintf("orderer%d.%s", i, ordererDomain),
			Port: p, AuxPort: p + 1, OpsPort: p + 2,
		})
	}
	for i := range departments {
		t.Departments = append(t.Departments, &departments[i])
	}
	for i := range o.joined {
		t.Departments = append(t.Departments, &o.joined[i])
	}
	j := 0
	for _, d := range t.Departments {
		for k := range d.Peers {
			p := o.BasePort + peerPortOffset + 10*j
			t.Peers = append(t.Peers, node{
				Name: fmt.Sprintf("peer%d.%s", k, d.ID), Kind: kindPeer,
				Host: fmt.Sprintf("peer%d.%s", k, d.domain()), Dept: d,
				Port: p, AuxPort: p + 1, OpsPort: p + 2,
			})
			j++
		}
	}
	for k := range chaincodes {
		// Each department that joined upgraded the definitions once.
		cc := chaincodes[k]
		cc.Sequence += len(o.joined)
		t.Chaincodes = append(t.Chaincodes, node{
			Name: "cc-" + cc.Name, Kind: kindChaincode, Host: "127.0.0.1",
			Port: o.BasePort + chaincodePortOffset + k, CC: &cc,
		})
	}
	return t
}

// all nodes in start order: orderers, peers, chaincode servers.
func (t topology) all() []node {
	out := append([]node{}, t.Orderers...)
	out = append(out, t.Peers...)
	return append(out, t.Chaincodes...)
}

func (t topology) find(name string) (node, bool) {
	for _, n := range t.all() {
		if n.Name == name {
			return n, true
		}
	}
	return node{}, false
}

// peersOf returns the peers of a department.
func (t topology) peersOf(d *department) []node {
	var out []node
	for _, p := range t.Peers {
		if p.Dept == d {
			out = append(out, p)
		}
	}
	return out
}

func (t topology) findDepartment(id string) (*department, bool) {
	for _, d := range t.Departments {
		if d.ID == id {
			return d, true
		}
	}
	return nil, false
}
