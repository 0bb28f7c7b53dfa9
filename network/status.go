package network

import (
	"context"
	"sync"
)

// NodeStatus is the state of one node of a network.
type NodeStatus struct {
	Name      string `json:"name"`    // orderer0, peer0.gov, cc-certledger
	Kind      string `json:"kind"`    // orderer, peer or chaincode
	Address   string `json:"address"` // main listen address
	PID       int    `json:"pid,omitempty"`
	Running   bool   `json:"running"`
	Healthy   bool   `json:"healthy"`          // /healthz is 200 (chaincode: accepts connections)
	Detail    string `json:"detail,omitempty"` // why it is not healthy
	RSSKB     int64  `json:"rssKB,omitempty"`  // resident memory now
	PeakRSSKB int64  `json:"peakRssKB,omitempty"`
}

// Status reports every node of the network in dir.
func Status(ctx context.Context, dir string) ([]NodeStatus, error) {
	_, t, l, err := existing(dir)
	if err != nil {
		return nil, err
	}
	nodes := t.all()
	out := make([]NodeStatus, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = nodeStatus(ctx, l, n)
		}()
	}
	wg.Wait()
	return out, nil
}

func nodeStatus(ctx context.Context, l layout, n node) NodeStatus {
	s := NodeStatus{Name: n.Name, Kind: string(n.Kind), Address: n.address()}
	rec, ok := readPID(l.pidFile(n.Name))
	if !ok {
		s.Detail = "not running"
		return s
	}
	s.PID, s.Running = rec.PID, true
	s.RSSKB, s.PeakRSSKB = memory(rec.PID)
	if err := nodeHealth(ctx, n); err != nil {
		s.Detail = err.Error()
	} else {
		s.Healthy = true
	}
	return s
}
