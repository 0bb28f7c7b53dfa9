// Package portplan is the one plan of the ports that tests and benchmarks
// bring their own Fabric networks up on, below Linux's ephemeral range;
// TestPortPlan checks that no two ranges overlap.
package portplan

import "github.com/certledger/certledger/network"

// EphemeralFrom is where Linux's ephemeral port range begins (32768-60999
// by default). Networks stay below it: the outgoing connections of other
// processes on the machine draw their ports from that range and can hold
// one a node is about to listen on.
const EphemeralFrom = 32768

// Use is one test or tool that brings up Fabric networks of its own.
type Use int

const (
	BenchFabric   Use = iota // certledger bench-fabric
	AddDepartment            // network: TestAddDepartment
	RaftNetwork              // network: TestRaftNetwork
	BFTNetwork               // network: TestBFTNetwork
	KVBenchmark              // network: BenchmarkKVThroughput
	Contract                 // network: TestContractOnNetwork
	Scenario                 // network/scenario: TestFabric
	FabricTest               // network/fabrictest: the network its TestMain brings up
	numUses
)

// Range is the base ports [From, To) one use searches for a free network.
type Range struct{ From, To int }

// plan gives each use its own range, so that test packages running at the
// same time (go test runs packages in parallel) never probe the same ports.
var plan = [numUses]struct {
	name string
	Range
}{
	BenchFabric:   {"certledger bench-fabric", Range{24000, 26000}},
	AddDepartment: {"network TestAddDepartment", Range{26000, 27000}},
	RaftNetwork:   {"network TestRaftNetwork", Range{27000, 28000}},
	BFTNetwork:    {"network TestBFTNetwork", Range{28000, 29000}},
	KVBenchmark:   {"network BenchmarkKVThroughput", Range{29000, 30000}},
	Contract:      {"network TestContractOnNetwork", Range{30000, 31000}},
	Scenario:      {"network/scenario TestFabric", Range{31000, 32000}},
	FabricTest:    {"network/fabrictest", Range{32000, EphemeralFrom}},
}

func (u Use) String() string { return plan[u].name }

// Ports returns the use's range of base ports.
func (u Use) Ports() Range { return plan[u].Range }

// FreeBase returns a base port in the use's range whose network's ports
// are all free now.
func (u Use) FreeBase() (int, error) {
	r := u.Ports()
	return network.FreeBasePort(r.From, r.To)
}
