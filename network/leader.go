package network

import (
	"context"
	"errors"
)

// ErrNoLeader: no orderer reports leading the channel's consensus (an
// election is under way, or every orderer is down).
var ErrNoLeader = errors.New("network: no orderer reports leading the channel")

// RaftLeader names the orderer that leads the channel's Raft cluster of
// the network in dir, from each orderer's consensus_etcdraft_is_leader
// gauge. Orderers that do not answer are skipped.
func RaftLeader(ctx context.Context, dir string) (string, error) {
	_, t, _, err := existing(dir)
	if err != nil {
		return "", err
	}
	return leaderOf(ctx, t.Orderers)
}

func leaderOf(ctx context.Context, orderers []node) (string, error) {
	for _, n := range orderers {
		v, found, err := metric(ctx, n.opsAddress(), "consensus_etcdraft_is_leader", `channel="`+DefaultChannel+`"`)
		if err == nil && found && v == 1 {
			return n.Name, nil
		}
	}
	return "", ErrNoLeader
}
