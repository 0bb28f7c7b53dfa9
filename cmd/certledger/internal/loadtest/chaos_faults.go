package loadtest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/certledger/certledger/network"
)

// fault is one fault the harness injected.
type fault struct {
	name     string
	at       time.Time     // injected
	restored time.Time     // the node, gateway or network was back (healthy)
	restart  time.Duration // of that: the time starting it again took
	load     string        // what the load was doing when it was injected
}

// faultHooks fit the faults to a load. before returns when the fault named
// may be injected, with what the load is doing then; after runs once the
// fault is recovered from; end after the last one. count is the load's
// acknowledgments so far, for progress lines. A nil hook does nothing.
type faultHooks struct {
	before func(name string) (string, error)
	after  func() error
	end    func() error
	count  func() int
}

// injectFaults runs the faults in order under the load, each when
// hooks.before lets it: kill -9 of the Raft leader, then of the issuing
// department's first peer (each down for cfg.Outage, then started again),
// kill -9 of the gateway (started again at once on the same data folder
// and address), and the whole network stopped gracefully, down for
// cfg.Outage, and brought up again on its folder.
func injectFaults(ctx context.Context, e *fabricEnv, cfg ChaosConfig, hooks faultHooks) ([]fault, error) {
	var faults []fault
	wait := func(d time.Duration) error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
			return nil
		}
	}
	run := func(name string, inject, restore func() error) error {
		var state string
		if hooks.before != nil {
			var err error
			if state, err = hooks.before(name); err != nil {
				return err
			}
		}
		f := fault{name: name, at: time.Now(), load: state}
		progress(cfg.Progress, "chaos: %s (%d acknowledged so far)", name, hooks.count())
		if err := inject(); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		t := time.Now()
		if err := restore(); err != nil {
			return fmt.Errorf("%s: recovery: %w", name, err)
		}
		f.restored, f.restart = time.Now(), time.Since(t)
		progress(cfg.Progress, "chaos: back after %s", f.restored.Sub(f.at).Round(100*time.Millisecond))
		faults = append(faults, f)
		if hooks.after != nil {
			return hooks.after()
		}
		return nil
	}
	killNode := func(name string) (func() error, func() error) {
		return func() error {
				if err := network.StopNode(e.dir, name, true); err != nil {
					return err
				}
				return wait(cfg.Outage)
			}, func() error {
				return network.StartNode(ctx, e.dir, name)
			}
	}

	leader, err := raftLeader(ctx, e.dir)
	if err != nil {
		return faults, err
	}
	kill, start := killNode(leader)
	if err := run("kill -9 "+leader+" (the Raft leader), down "+cfg.Outage.String(), kill, start); err != nil {
		return faults, err
	}
	d, ok := e.profile.Department(chaosDept)
	if !ok || len(d.Peers) == 0 {
		return faults, fmt.Errorf("no peer of %s in the profile", chaosDept)
	}
	peer := d.Peers[0].Name
	kill, start = killNode(peer)
	if err := run("kill -9 "+peer+" (the issuing department's first peer), down "+cfg.Outage.String(), kill, start); err != nil {
		return faults, err
	}
	if err := run("kill -9 the gateway, started again on the same data folder",
		func() error { e.gw.kill(); return nil },
		func() error { return e.gw.start(ctx) }); err != nil {
		return faults, err
	}
	if err := run("network down (every node stopped, SIGTERM) for "+cfg.Outage.String()+", then up again on its folder",
		func() error {
			if err := network.Down(e.dir, false); err != nil {
				return err
			}
			return wait(cfg.Outage)
		},
		func() error {
			_, err := network.Up(ctx, network.Options{Dir: e.dir, Progress: cfg.Progress})
			return err
		}); err != nil {
		return faults, err
	}
	if hooks.end != nil {
		return faults, hooks.end()
	}
	return faults, nil
}

// raftLeader waits for an orderer to report leading the channel.
func raftLeader(ctx context.Context, dir string) (string, error) {
	deadline := time.Now().Add(time.Minute)
	for {
		name, err := network.RaftLeader(ctx, dir)
		if err == nil || !errors.Is(err, network.ErrNoLeader) || time.Now().After(deadline) {
			return name, err
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}
