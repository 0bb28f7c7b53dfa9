package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"time"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/gateway/atrest"
	"github.com/certledger/certledger/gateway/keystore"
	"github.com/certledger/certledger/gateway/ledger/fabricledger"
	"github.com/certledger/certledger/network"
	"github.com/certledger/certledger/network/profile"
)

// fabricNetworkDir is serve's --network flag: the network folder whose
// connection profile the fabric backend reads.
var fabricNetworkDir string

// fabricTuning holds serve's Fabric tuning flags as given; openFabric
// parses them, so a malformed value (flag or environment) is a usage error.
var fabricTuning struct {
	issueBatch, batchesInFlight, recordCache string
}

func init() {
	ledgerBackends["fabric"] = ledgerBackend{
		summary: "Hyperledger Fabric channel of a network folder (see certledger network up)",
		// Each anchoring waits for ordering and a block: more at once
		// overlap those waits.
		importAnchorings: 4,
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&fabricNetworkDir, "network", envOr("CERTLEDGER_NETWORK", envOr("CERTLEDGER_NETWORK_DIR", "./certledger-network")),
				"with --ledger fabric: the network folder holding connection-profile.json (env CERTLEDGER_NETWORK)")
			fs.StringVar(&fabricTuning.issueBatch, "issue-batch", os.Getenv("CERTLEDGER_ISSUE_BATCH"),
				"with --ledger fabric: most issuances of one department per transaction, 1 to 64; 1 turns batching off (default 64; env CERTLEDGER_ISSUE_BATCH)")
			fs.StringVar(&fabricTuning.batchesInFlight, "issue-batches-in-flight", os.Getenv("CERTLEDGER_ISSUE_BATCHES_IN_FLIGHT"),
				"with --ledger fabric: issuance transactions of one department under way at once (default 2; env CERTLEDGER_ISSUE_BATCHES_IN_FLIGHT)")
			fs.StringVar(&fabricTuning.recordCache, "record-cache", os.Getenv("CERTLEDGER_RECORD_CACHE"),
				"with --ledger fabric: public records kept in memory for verification, current through the channel's events; 0 turns the cache off (default 100000; env CERTLEDGER_RECORD_CACHE)")
		},
		open: openFabric,
	}
}

// openFabric connects to the network of --network. The departments' issuer
// signing keys live in the network folder; they are copied into the
// gateway keystore, where issuance and --demo provisioning look for them.
func openFabric(ctx context.Context, o serveOptions, ks *keystore.Store, _ atrest.KEK) (credential.Ledger, error) {
	p, err := profile.Load(fabricNetworkDir)
	if err != nil {
		return nil, fmt.Errorf("read the connection profile of %s (run `certledger network up` first?): %w", fabricNetworkDir, err)
	}
	if err := importIssuerKeys(p, ks); err != nil {
		return nil, err
	}
	log, err := newLogger(o.LogFormat)
	if err != nil {
		return nil, usageError{err}
	}
	opts := fabricledger.Options{Logger: log}
	if opts.IssueBatchSize, err = optionalInt("issue-batch", fabricTuning.issueBatch, 1, chaincode.MaxBatchItems); err != nil {
		return nil, usageError{err}
	}
	if opts.IssueBatchesInFlight, err = optionalInt("issue-batches-in-flight", fabricTuning.batchesInFlight, 1, 256); err != nil {
		return nil, usageError{err}
	}
	if opts.RecordCacheSize, err = recordCacheSize(fabricTuning.recordCache); err != nil {
		return nil, usageError{err}
	}
	l, err := fabricledger.Open(ctx, p, opts)
	if err != nil {
		return nil, err
	}
	if path := os.Getenv("CERTLEDGER_CPUPROFILE"); path != "" {
		return profiledLedger(l, path)
	}
	return l, nil
}

// profiledLedger records a CPU profile of the whole gateway process from
// now until the ledger is closed at shutdown: how `certledger bench-fabric`
// finds where the gateway's time goes (CERTLEDGER_CPUPROFILE=file).
func profiledLedger(l *fabricledger.Ledger, path string) (credential.Ledger, error) {
	f, err := os.Create(path)
	if err != nil {
		l.Close()
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		l.Close()
		return nil, err
	}
	return closeHook{l, func() { pprof.StopCPUProfile(); f.Close() }}, nil
}

// closeHook runs a function after closing the ledger it wraps.
type closeHook struct {
	*fabricledger.Ledger
	after func()
}

func (c closeHook) Close() error {
	err := c.Ledger.Close()
	c.after()
	return err
}

// importIssuerKeys puts each department's issuer key of the profile into the
// keystore, unless it already holds it. The key is dated by its file, so
// every gateway of one network dates it alike.
func importIssuerKeys(p *profile.Profile, ks *keystore.Store) error {
	for _, d := range p.Departments {
		if d.IssuerKey == "" {
			continue
		}
		priv, err := network.LoadIssuerKey(d.IssuerKey)
		if err != nil {
			return fmt.Errorf("issuer key of %s: %w", d.ID, err)
		}
		held := false
		for _, k := range ks.SigningKeys(d.ID) {
			if k.KeyID == d.IssuerKeyID && bytes.Equal(k.Private, priv) {
				held = true
			}
		}
		if held {
			continue
		}
		created := time.Now().UTC()
		if st, err := os.Stat(d.IssuerKey); err == nil {
			created = st.ModTime().UTC()
		}
		// Provisioning registers a department's newest key: a data folder
		// that served the embedded ledger before holds younger keys of its
		// own, and the network's key must win over them.
		for _, k := range ks.SigningKeys(d.ID) {
			if !k.Created.Before(created) {
				created = time.Now().UTC()
			}
		}
		if err := ks.PutSigningKey(keystore.SigningKey{DeptID: d.ID, KeyID: d.IssuerKeyID, Private: priv, Created: created}); err != nil {
			return err
		}
	}
	return nil
}

// recordCacheSize parses --record-cache into Options.RecordCacheSize,
// where 0 is the default and a negative size turns the cache off.
func recordCacheSize(v string) (int, error) {
	n, err := optionalInt("record-cache", v, 0, 10_000_000)
	if err == nil && v != "" && n == 0 {
		n = -1
	}
	return n, err
}

// optionalInt parses a tuning flag: "" is 0 (the default), anything else
// must be an integer in [lo, hi].
func optionalInt(name, v string, lo, hi int) (int, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("--%s %q is not a whole number from %d to %d", name, v, lo, hi)
	}
	return n, nil
}
