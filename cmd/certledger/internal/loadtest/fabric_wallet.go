package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/gateway/atrest"
	"github.com/certledger/certledger/gateway/keystore"
	"github.com/certledger/certledger/network/rawfabric"
	fabric "github.com/hyperledger/fabric-gateway/pkg/client"
)

// Phase names of the holder's list on Fabric.
const (
	phaseHolderQuery = "holder query" // GetCredentialsByHolder evaluated directly
)

// fabricWallet is the holder's list on Fabric: a demo citizen signed in at
// the gateway with WalletCredentials credentials, and the contract query
// the gateway sends for them, to evaluate directly as the gateway does
// (as governance, on its peer).
type fabricWallet struct {
	holder *walletHolder
	client *client
	gov    *rawfabric.Client
	query  string // the HolderQuery JSON, the same bytes the gateway sends
}

// setUpWallet signs a demo citizen in at the gateway, issues them their
// credentials, and builds the gateway's holder query from its holder key
// (read from its keystore with the KEK the benchmark gave it, as its
// operator could) and the registry's departments in order.
func (e *fabricEnv) setUpWallet(ctx context.Context, cfg FabricConfig) error {
	wcfg := Config{Concurrency: cfg.Concurrency, Progress: cfg.Progress}.WithDefaults()
	keys, citizens, err := readDemoFile(filepath.Join(e.gw.data, "demo-keys.json"))
	if err != nil {
		return err
	}
	w, cl, err := setUpWallet(ctx, wcfg, e.gw.url, keys, citizens)
	if err != nil {
		return fmt.Errorf("the holder's list: %w", err)
	}
	e.undo = append(e.undo, cl.close)
	kek, err := atrest.LoadFile(e.gw.kekFile)
	if err != nil {
		return err
	}
	ks, err := keystore.Open(e.gw.data, kek)
	if err != nil {
		return err
	}
	key := ks.Secrets().HolderKey
	gov, err := rawfabric.Dial(e.profile, governanceDept(e))
	if err != nil {
		return err
	}
	e.undo = append(e.undo, gov.Close)
	raw, err := gov.Contract().EvaluateWithContext(ctx, chaincode.FnGetRegistry)
	if err != nil {
		return err
	}
	var reg credential.Registry
	if err := json.Unmarshal(raw, &reg); err != nil {
		return err
	}
	// As gateway/wallet.go builds it: each department's reference in
	// registry order, then the legacy one.
	var q credential.HolderQuery
	for _, d := range reg.Departments {
		q.Refs = append(q.Refs, credential.HolderRef(key, d.ID, w.Citizen.IDType, w.Citizen.IDNumber))
	}
	q.Refs = append(q.Refs, credential.LegacyHolderRef(key, w.Citizen.IDType, w.Citizen.IDNumber))
	b, err := json.Marshal(q)
	if err != nil {
		return err
	}
	fw := &fabricWallet{holder: w, client: cl, gov: gov, query: string(b)}
	// The direct query must list what the gateway lists, or the two
	// columns would not measure the same work.
	page, err := fw.evaluate(ctx)
	if err != nil {
		return err
	}
	if len(page.Records) != w.Listed || page.Next != "" {
		return fmt.Errorf("GetCredentialsByHolder lists %d records (next %q) where the gateway lists %d", len(page.Records), page.Next, w.Listed)
	}
	e.wallet = fw
	return nil
}

// governanceDept is the profile's governance department.
func governanceDept(e *fabricEnv) string {
	for _, d := range e.profile.Departments {
		if d.Governance {
			return d.ID
		}
	}
	return "gov"
}

func (w *fabricWallet) evaluate(ctx context.Context) (credential.HolderPage, error) {
	var page credential.HolderPage
	raw, err := w.gov.Contract().EvaluateWithContext(ctx, chaincode.FnGetCredentialsByHolder, fabric.WithArguments(w.query))
	if err != nil {
		return page, err
	}
	return page, json.Unmarshal(raw, &page)
}

// walletRound measures the holder's list through the gateway and the
// same query evaluated directly, one after the other.
func (b *FabricReport) walletRound(ctx context.Context, e *fabricEnv, m *cpuMeter) {
	c := b.cfg
	wcfg := Config{Concurrency: c.Concurrency, Duration: c.Duration, Count: unbounded, Progress: c.Progress}
	m.measure(PhaseWallet, func() {
		b.wallet = walletPhase(ctx, wcfg, PhaseWallet, e.wallet.client, e.wallet.holder)
	})
	cc := e.wallet.gov.Contract()
	m.measure(phaseHolderQuery, func() {
		b.holderQuery = RunOp(ctx, phaseHolderQuery, c.Concurrency, unbounded, c.Duration, c.Progress, func(ctx context.Context, i int) error {
			_, err := cc.EvaluateWithContext(ctx, chaincode.FnGetCredentialsByHolder, fabric.WithArguments(e.wallet.query))
			return err
		})
	})
}
