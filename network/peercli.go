package network

import (
	"context"
	"fmt"
)

// PeerCLI runs the Fabric peer CLI as a department's administrator against
// the department's first peer of the network in dir, and returns its
// output. It is an independent client for cross-checks, e.g.
//
//	PeerCLI(ctx, dir, "gov", "chaincode", "query", "-C", "certledger", "-n", "kv", "-c", `{"Args":["get","k"]}`)
//
// OrdererArgs and EndorserArgs complete the flags of an invoke.
func PeerCLI(ctx context.Context, dir, dept string, args ...string) (string, error) {
	_, t, l, err := existing(dir)
	if err != nil {
		return "", err
	}
	d, ok := t.findDepartment(dept)
	if !ok {
		return "", fmt.Errorf("network: no department %q", dept)
	}
	p := t.peersOf(d)[0]
	return runTool(ctx, adminEnv(l, d, p), LocateFabric().Bin("peer"), args...)
}

// OrdererArgs are the peer CLI flags sending a transaction to the first
// orderer of the network in dir over TLS.
func OrdererArgs(dir string) ([]string, error) {
	_, t, l, err := existing(dir)
	if err != nil {
		return nil, err
	}
	return ordererArgs(l, t, 0), nil
}

// EndorserArgs are the peer CLI flags asking the first peer of each given
// department to endorse an invoke.
func EndorserArgs(dir string, depts ...string) ([]string, error) {
	_, t, l, err := existing(dir)
	if err != nil {
		return nil, err
	}
	var args []string
	for _, id := range depts {
		d, ok := t.findDepartment(id)
		if !ok {
			return nil, fmt.Errorf("network: no department %q", id)
		}
		args = append(args, "--peerAddresses", t.peersOf(d)[0].address(), "--tlsRootCertFiles", l.deptTLSCA(d))
	}
	return args, nil
}

// existing resolves the options and topology of a created network.
func existing(dir string) (Options, topology, layout, error) {
	o, found, err := resolveOptions(Options{Dir: dir})
	if err != nil {
		return o, topology{}, layout{}, err
	}
	if !found {
		return o, topology{}, layout{}, fmt.Errorf("network: no network in %s", o.Dir)
	}
	return o, newTopology(o), layout{o.Dir}, nil
}
