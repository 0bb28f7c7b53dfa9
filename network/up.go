package network

import (
	"context"
	"fmt"
	"github.com/certledger/certledger/network/profile"
	"os"
	"strings"
	"sync"
	"time"
)

// Up brings the network in o.Dir up and returns its connection profile.
// It builds the Fabric binaries if needed, generates whatever the folder
// lacks (crypto material, configs, genesis block, issuer keys, chaincode
// packages), starts every node that is not running, joins the channel and
// deploys both chaincodes. Nodes already running are left alone, so Up is
// idempotent and, after Down, resumes on the same ledgers.
func Up(ctx context.Context, o Options) (*profile.Profile, error) {
	// Refuse invalid options before a possibly long build.
	if _, err := o.withDefaults(); err != nil {
		return nil, err
	}
	start := time.Now()
	f, err := Build(ctx, o.Progress)
	if err != nil {
		return nil, err
	}
	if o, err = o.withDefaultDir(); err != nil {
		return nil, err
	}
	// Options are resolved under the lock: a concurrent first Up with other
	// options must not interleave with this one.
	unlock, err := lockNetwork(o.Dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if o, _, err = resolveOptions(o); err != nil {
		return nil, err
	}
	u := &upper{ctx: ctx, o: o, f: f, l: layout{o.Dir}, t: newTopology(o), start: start}
	p, err := u.run()
	if err != nil {
		return nil, err
	}
	u.progress("network up: %d orderers (%s), %d peers, channel %s; profile %s",
		len(u.t.Orderers), o.Consensus, len(u.t.Peers), DefaultChannel, u.l.profileFile())
	return p, nil
}

// run takes the network to its recorded topology, skipping what is already
// done, and writes the connection profile. Up and AddDepartment share it.
func (u *upper) run() (*profile.Profile, error) {
	steps := []struct {
		what string
		fn   func() error
	}{
		{"generating crypto material and channel configuration", u.generate},
		{"starting orderers and peers", u.startNodes},
		{"joining channel " + DefaultChannel, u.joinChannel},
		{"starting chaincode services", u.startChaincodes},
		{"deploying chaincodes " + ChaincodeName + " and " + KVChaincodeName, u.deployChaincodes},
		{"waiting for gossip membership", u.waitGossip},
	}
	for _, s := range steps {
		u.progress("%s", s.what)
		if err := s.fn(); err != nil {
			return nil, err
		}
	}
	p, err := newProfile(u.l, u.t)
	if err != nil {
		return nil, err
	}
	if err := writeProfile(u.l, p); err != nil {
		return nil, err
	}
	return p, nil
}

// upper carries one Up's context through its steps.
type upper struct {
	ctx        context.Context
	o          Options
	f          Fabric
	l          layout
	t          topology
	start      time.Time
	packageIDs map[string]string
	mu         sync.Mutex // progress is written from parallel steps
}

func (u *upper) progress(format string, args ...any) {
	u.mu.Lock()
	defer u.mu.Unlock()
	fmt.Fprintf(u.o.Progress, "[%5.1fs] %s\n", time.Since(u.start).Seconds(), fmt.Sprintf(format, args...))
}

func (u *upper) generate() error {
	if err := os.MkdirAll(u.o.Dir, 0o755); err != nil {
		return err
	}
	if err := writeState(u.l, u.o); err != nil {
		return err
	}
	c := newConfigData(u.o, u.l, u.t)
	if err := generateCrypto(u.ctx, u.f, u.l, u.t, c); err != nil {
		return err
	}
	for _, d := range u.t.Departments {
		if err := generateIssuerKey(u.l, d); err != nil {
			return err
		}
	}
	if err := generateChaincodeTLS(u.l); err != nil {
		return err
	}
	if err := writeNodeConfig(u.f, u.l); err != nil {
		return err
	}
	if err := writeBuilder(u.l); err != nil {
		return err
	}
	if err := writeCollections(u.l, u.t); err != nil {
		return err
	}
	return generateGenesis(u.ctx, u.f, u.l, c)
}

// startNodes starts orderers and peers together (peers do not need the
// orderers to start) and waits until all report healthy.
func (u *upper) startNodes() error {
	var started []string
	for _, n := range append(append([]node{}, u.t.Orderers...), u.t.Peers...) {
		bin, env := u.f.Bin("orderer"), ordererEnv(u.o, u.l, n)
		args := []string{}
		if n.Kind == kindPeer {
			bin, env, args = u.f.Bin("peer"), peerEnv(u.o, u.l, u.t, n), []string{"node", "start"}
		}
		ok, err := ensureRunning(u.l, n, bin, env, args...)
		if err != nil {
			return err
		}
		if ok {
			started = append(started, n.Name)
		}
	}
	if len(started) > 0 {
		u.progress("  started %s", strings.Join(started, ", "))
	}
	return parallel(append(append([]node{}, u.t.Orderers...), u.t.Peers...), func(n node) error {
		return waitHealthy(u.ctx, u.l, n)
	})
}

func (u *upper) joinChannel() error {
	err := parallel(u.t.Orderers, func(n node) error { return joinOrderer(u.ctx, u.l, n) })
	if err != nil {
		return err
	}
	// Departments that joined after the genesis block must be in the
	// channel configuration before their peers may read the channel.
	c := newConfigData(u.o, u.l, u.t)
	for _, d := range u.t.Departments[len(departments):] {
		if err := addToChannel(u.ctx, u.f, u.l, u.t, d, c, u.progress); err != nil {
			return err
		}
	}
	return parallel(u.t.Peers, func(n node) error { return joinPeer(u.ctx, u.f, u.l, n) })
}

func (u *upper) startChaincodes() error {
	u.packageIDs = map[string]string{}
	for _, n := range u.t.Chaincodes {
		id, err := writePackage(u.l, n)
		if err != nil {
			return err
		}
		u.packageIDs[n.CC.Name] = id
		bin, err := chaincodeBinary(u.ctx, u.o, u.l, *n.CC)
		if err != nil {
			return err
		}
		if _, err := ensureRunning(u.l, n, bin, chaincodeEnv(u.l, n, id)); err != nil {
			return err
		}
	}
	return parallel(u.t.Chaincodes, func(n node) error { return waitHealthy(u.ctx, u.l, n) })
}

func (u *upper) deployChaincodes() error {
	return parallel(u.t.Chaincodes, func(n node) error {
		return deploy(u.ctx, u.f, u.l, u.t, n, u.packageIDs[n.CC.Name], u.progress)
	})
}

// waitGossip waits until every peer knows every other peer on the channel.
// Until then the gateway cannot plan endorsements across departments
// ("no combination of peers can be derived which satisfy the endorsement
// policy"), and private data cannot be disseminated.
func (u *upper) waitGossip() error {
	want := float64(len(u.t.Peers) - 1)
	return parallel(u.t.Peers, func(n node) error {
		return waitFor(u.ctx, startTimeout, n.Name+" gossip membership", func() error {
			v, found, err := metric(u.ctx, n.opsAddress(), "gossip_membership_total_peers_known",
				`channel="`+DefaultChannel+`"`)
			switch {
			case err != nil:
				return err
			case !found || v < want:
				return fmt.Errorf("knows %v of %v peers", v, want)
			}
			return nil
		})
	})
}

// StartNode starts one stopped node of an existing network (after StopNode,
// or a crash) and waits until it is healthy.
func StartNode(ctx context.Context, dir, name string) error {
	o, t, l, err := existing(dir)
	if err != nil {
		return err
	}
	u := &upper{ctx: ctx, o: o, f: LocateFabric(), l: l, t: t, start: time.Now()}
	n, ok := u.t.find(name)
	if !ok {
		return fmt.Errorf("network: no node %q", name)
	}
	switch n.Kind {
	case kindOrderer:
		_, err = ensureRunning(u.l, n, u.f.Bin("orderer"), ordererEnv(o, u.l, n))
	case kindPeer:
		_, err = ensureRunning(u.l, n, u.f.Bin("peer"), peerEnv(o, u.l, u.t, n), "node", "start")
	case kindChaincode:
		var id, bin string
		if id, err = writePackage(u.l, n); err == nil {
			if bin, err = chaincodeBinary(ctx, o, u.l, *n.CC); err == nil {
				_, err = ensureRunning(u.l, n, bin, chaincodeEnv(u.l, n, id))
			}
		}
	}
	if err != nil {
		return err
	}
	return waitHealthy(ctx, u.l, n)
}
