package network

import (
	"fmt"
	"strings"
)

// Names shared with the contract and the gateway.
const (
	// ChaincodeName is CertLedger's contract on the channel.
	ChaincodeName = "certledger"
	// KVChaincodeName is the raw put/get contract deployed beside it, the
	// baseline of the benchmarks.
	KVChaincodeName = "kv"
	// DocumentCollection is the name prefix of the private data collections
	// of credential documents (personal data): each department's documents
	// are in DocumentCollection_<its MSP ID>, readable by it alone.
	DocumentCollection = "credentialDocuments"
)

// chaincode is a contract deployed through the lifecycle and run as a
// chaincode service (CCaaS) by one server process that every peer dials.
type chaincode struct {
	Name        string
	Version     string
	Sequence    int
	Command     string // Go package of the server, relative to the source root
	Collections bool   // deploy with the private data collection config
}

var chaincodes = []chaincode{
	{Name: ChaincodeName, Version: "1.0", Sequence: 1, Command: "./cmd/certledger-chaincode", Collections: true},
	{Name: KVChaincodeName, Version: "1.0", Sequence: 1, Command: "./cmd/kv-chaincode"},
}

// label of the chaincode package; part of the package ID.
func (c chaincode) label() string { return c.Name + "_" + c.Version }

// endorsementPolicy is the chaincode-level policy of both contracts: any one
// department's peer. It governs only the creation of keys; the contract puts
// a key-level policy on each key it creates (docs/network.md, "Policies").
func endorsementPolicy(t topology) string {
	return "OR(" + memberList(t, "peer") + ")"
}

// memberList is "'GovMSP.<role>','SamrMSP.<role>',..." over all departments.
func memberList(t topology, role string) string {
	var parts []string
	for _, d := range t.Departments {
		parts = append(parts, fmt.Sprintf("'%s.%s'", d.MSPID, role))
	}
	return strings.Join(parts, ",")
}
