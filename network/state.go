package network

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// state records the options a network was created with: they are baked
// into its crypto material and genesis block, so later Ups, Status and Down
// must use the same ones.
type state struct {
	FabricVersion   string    `json:"fabricVersion"`
	Consensus       Consensus `json:"consensus"`
	BasePort        int       `json:"basePort"`
	BatchTimeout    string    `json:"batchTimeout"`
	MaxMessageCount int       `json:"maxMessageCount"`
	// Departments joined the channel after its creation (AddDepartment),
	// in order; the founding ones are not listed.
	Departments []department `json:"departments,omitempty"`
}

func readState(l layout) (state, bool, error) {
	b, err := os.ReadFile(l.stateFile())
	if errors.Is(err, fs.ErrNotExist) {
		return state{}, false, nil
	}
	if err != nil {
		return state{}, false, err
	}
	var s state
	if err := json.Unmarshal(b, &s); err != nil {
		return state{}, false, fmt.Errorf("network: %s: %w", l.stateFile(), err)
	}
	return s, true, nil
}

func writeState(l layout, o Options) error {
	b, err := json.MarshalIndent(state{
		FabricVersion: FabricVersion, Consensus: o.Consensus, BasePort: o.BasePort,
		BatchTimeout: o.BatchTimeout.String(), MaxMessageCount: o.MaxMessageCount,
		Departments: o.joined,
	}, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(l.stateFile(), append(b, '\n'), 0o644)
}

// RecordedOptions returns the options the network in dir was created with,
// defaults filled in: its consensus, base port and orderer batch settings,
// which clients do not need and the connection profile therefore leaves out.
func RecordedOptions(dir string) (Options, error) {
	o, _, _, err := existing(dir)
	return o, err
}

// resolveOptions completes o from the network's recorded state (for an
// existing network) and the defaults, and refuses settings that contradict
// the recorded ones.
func resolveOptions(o Options) (Options, bool, error) {
	o, err := o.withDefaultDir()
	if err != nil {
		return o, false, err
	}
	s, found, err := readState(layout{o.Dir})
	if err != nil || !found {
		o, err = o.withDefaults()
		return o, false, err
	}
	bt, err := time.ParseDuration(s.BatchTimeout)
	if err != nil {
		return o, true, fmt.Errorf("network: recorded batch timeout: %w", err)
	}
	conflict := func(what string, given, recorded any) error {
		return fmt.Errorf("network: %s was created with %s %v, not %v (use a new --dir, or down --purge first)",
			o.Dir, what, recorded, given)
	}
	switch {
	case s.FabricVersion != FabricVersion:
		return o, true, conflict("Fabric", FabricVersion, s.FabricVersion)
	case o.Consensus != "" && o.Consensus != s.Consensus:
		return o, true, conflict("consensus", o.Consensus, s.Consensus)
	case o.BasePort != 0 && o.BasePort != s.BasePort:
		return o, true, conflict("base port", o.BasePort, s.BasePort)
	case o.BatchTimeout != 0 && o.BatchTimeout != bt:
		return o, true, conflict("batch timeout", o.BatchTimeout, bt)
	case o.MaxMessageCount != 0 && o.MaxMessageCount != s.MaxMessageCount:
		return o, true, conflict("max message count", o.MaxMessageCount, s.MaxMessageCount)
	}
	o.Consensus, o.BasePort, o.BatchTimeout, o.MaxMessageCount = s.Consensus, s.BasePort, bt, s.MaxMessageCount
	o.joined = s.Departments
	o, err = o.withDefaults()
	return o, true, err
}
