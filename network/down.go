package network

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// stopGrace is how long a node gets to shut down after SIGTERM.
const stopGrace = 10 * time.Second

// Down stops the processes the network started, as recorded in its PID
// files, and nothing else: chaincode servers first, then peers, then
// orderers. Data stays, so a later Up resumes on the same ledgers, unless
// purge is set, which deletes the whole network folder.
func Down(dir string, purge bool) error {
	if dir == "" {
		dir = DefaultDir
	}
	l := layout{dir}
	if !exists(dir) {
		return nil
	}
	unlock, err := lockNetwork(dir)
	if err != nil {
		return err
	}
	defer unlock()
	names, err := recordedNodes(l)
	if err != nil {
		return err
	}
	rank := map[nodeKind]int{kindChaincode: 0, kindPeer: 1, kindOrderer: 2}
	for r := 0; r < 3; r++ {
		var group []node
		for _, name := range names {
			if rank[kindOf(name)] == r {
				group = append(group, node{Name: name})
			}
		}
		if err := parallel(group, func(n node) error { return stopProcess(l.pidFile(n.Name), stopGrace) }); err != nil {
			return err
		}
	}
	if !purge {
		return nil
	}
	// Refuse to delete a folder that is not a network, whatever --dir says.
	if !exists(l.stateFile()) && !exists(l.cryptoDir()) {
		return fmt.Errorf("network: %s does not look like a network folder; not purging it", dir)
	}
	return os.RemoveAll(dir)
}

// StopNode stops one node of a running network, gracefully, or at once with
// kill (to simulate a crash). Up, or StartNode, starts it again.
func StopNode(dir, name string, kill bool) error {
	l := layout{dir}
	if !exists(l.pidFile(name)) {
		return fmt.Errorf("network: no running node %q in %s", name, dir)
	}
	if kill {
		return killProcess(l.pidFile(name))
	}
	return stopProcess(l.pidFile(name), stopGrace)
}

// recordedNodes lists the nodes with a PID file.
func recordedNodes(l layout) ([]string, error) {
	entries, err := os.ReadDir(filepath.Dir(l.pidFile("x")))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".pid"); ok {
			names = append(names, name)
		}
	}
	return names, nil
}

// kindOf tells a node's kind from its name, the PID file's only record.
func kindOf(name string) nodeKind {
	switch {
	case strings.HasPrefix(name, "orderer"):
		return kindOrderer
	case strings.HasPrefix(name, "peer"):
		return kindPeer
	default:
		return kindChaincode
	}
}

// lockNetwork serializes Up and Down on one network folder, so that two
// concurrent invocations cannot both start a node or generate crypto.
func lockNetwork(dir string) (func(), error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return lockFile(filepath.Join(dir, ".lock"))
}
