package network

import (
	"fmt"
	"io"
	"path/filepath"
	"time"
)

// Consensus is the ordering service's consensus protocol.
type Consensus string

// Supported consensus protocols. Raft runs three orderers (one may fail);
// BFT runs four (one may fail or misbehave: 3f+1 with f = 1).
const (
	Raft Consensus = "raft"
	BFT  Consensus = "bft"
)

// Defaults of Options.
const (
	DefaultDir      = "certledger-network"
	DefaultBasePort = 7000
	// DefaultBatchTimeout bounds how long the orderer waits to fill a block.
	// It is the floor of one-at-a-time submit latency: the Fabric sample's 2s
	// gives ~0.5 tx/s sequentially; 50ms keeps single submits fast while
	// concurrent load still fills blocks of many transactions.
	DefaultBatchTimeout    = 50 * time.Millisecond
	DefaultMaxMessageCount = 500
	DefaultChannel         = "certledger"
	DefaultLogSpec         = "grpc=error:info"
)

// Options configure a network. The zero value of every field means its
// default. Dir, BasePort, Consensus, BatchTimeout and MaxMessageCount are
// fixed when the network is first created (they are baked into crypto
// material and the channel genesis block); a later Up with different values
// is refused.
type Options struct {
	Dir             string        // network folder; default ./certledger-network
	Consensus       Consensus     // raft (default, 3 orderers) or bft (4 orderers)
	BasePort        int           // first port of the port plan (see Ports); default 7000
	BatchTimeout    time.Duration // orderer batch timeout; default 50ms
	MaxMessageCount int           // transactions per block at most; default 500
	LogSpec         string        // FABRIC_LOGGING_SPEC of every node; default grpc=error:info

	// ChaincodeBinary and KVChaincodeBinary are prebuilt chaincode servers
	// (cmd/certledger-chaincode, cmd/kv-chaincode). When empty, Up compiles
	// them from the CertLedger source tree into <Dir>/bin.
	ChaincodeBinary   string
	KVChaincodeBinary string

	// Progress receives one line per step; nil discards it.
	Progress io.Writer

	// joined are the departments added since the network was created, as
	// recorded in its state.
	joined []department
}

// withDefaults returns o with every zero field set to its default and Dir
// made absolute, since processes and file paths must not depend on the
// caller's working directory.
func (o Options) withDefaults() (Options, error) {
	o, err := o.withDefaultDir()
	if err != nil {
		return o, err
	}
	if o.Consensus == "" {
		o.Consensus = Raft
	}
	if o.BasePort == 0 {
		o.BasePort = DefaultBasePort
	}
	if o.BatchTimeout == 0 {
		o.BatchTimeout = DefaultBatchTimeout
	}
	if o.MaxMessageCount == 0 {
		o.MaxMessageCount = DefaultMaxMessageCount
	}
	if o.LogSpec == "" {
		o.LogSpec = DefaultLogSpec
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	return o, o.validate()
}

func (o Options) withDefaultDir() (Options, error) {
	if o.Dir == "" {
		o.Dir = DefaultDir
	}
	abs, err := filepath.Abs(o.Dir)
	o.Dir = abs
	return o, err
}

func (o Options) validate() error {
	switch o.Consensus {
	case Raft, BFT:
	default:
		return fmt.Errorf("network: unknown consensus %q (want raft or bft)", o.Consensus)
	}
	if o.BasePort < 1024 || o.BasePort+PortSpan > 65535 {
		return fmt.Errorf("network: base port %d out of range 1024..%d", o.BasePort, 65535-PortSpan)
	}
	if o.BatchTimeout < time.Millisecond || o.BatchTimeout > 10*time.Second {
		return fmt.Errorf("network: batch timeout %s out of range 1ms..10s", o.BatchTimeout)
	}
	if o.MaxMessageCount < 1 {
		return fmt.Errorf("network: max message count %d must be positive", o.MaxMessageCount)
	}
	return nil
}
