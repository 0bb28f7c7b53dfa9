package loadtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/gateway/provision"
)

// PhaseWallet is GET /api/v1/me/credentials as a signed-in holder with
// WalletCredentials credentials (`certledger bench --wallet`); it is not
// among the default phases.
const PhaseWallet = "wallet"

// The holder's list: its size and its targets on the embedded ledger.
const (
	WalletCredentials = 50
	TargetWallet      = 2_000 // requests/s, with p99 under TargetWalletP99
	TargetWalletP99   = 50 * time.Millisecond
)

// Markers of the section `certledger bench --wallet --write` owns.
const (
	WalletSectionBegin = "<!-- certledger-bench-wallet:begin -->"
	WalletSectionEnd   = "<!-- certledger-bench-wallet:end -->"
)

// walletHolder is a demo citizen signed in at the gateway through the
// demo identity provider, holding the credentials the run issued them.
type walletHolder struct {
	Citizen provision.DemoCitizen
	Type    credential.CredentialType
	Cookie  string   // the session cookie, as the Cookie header sends it
	IDs     []string // the credentials issued to the holder by this run
	Listed  int      // the items of the holder's list: IDs and any held before
}

// setUpWallet picks a demo citizen and a credential type they can hold,
// signs them in, issues them WalletCredentials credentials through the
// API and checks their list shows every one.
func setUpWallet(ctx context.Context, cfg Config, base string, keys map[string]provision.DemoKey, citizens []provision.DemoCitizen) (*walletHolder, *client, error) {
	probe := newClient(base, "", 1)
	types, err := probe.types(ctx)
	if err != nil {
		return nil, nil, err
	}
	// The configured type first, then the catalogue's order.
	slices.SortStableFunc(types, func(a, b credential.CredentialType) int {
		if a.ID == cfg.Type {
			return -1
		}
		if b.ID == cfg.Type {
			return 1
		}
		return 0
	})
	w := &walletHolder{}
	apiKey := ""
pick:
	for _, t := range types {
		for _, c := range citizens {
			// The load's other phases issue to benchHolderID and
			// benchCompanyID: such a holder's list would grow under them.
			if !t.AcceptsHolderIDType(c.IDType) || c.IDNumber == benchHolderID || c.IDNumber == benchCompanyID {
				continue
			}
			for _, dept := range t.Issuers {
				if k, ok := keys[dept]; ok && k.APIKey != "" {
					w.Citizen, w.Type, apiKey = c, t, k.APIKey
					break pick
				}
			}
		}
	}
	if apiKey == "" {
		return nil, nil, errors.New("no demo citizen holds a type a department with an API key issues (is the gateway started with --demo?)")
	}
	if w.Cookie, err = signIn(ctx, base, w.Citizen); err != nil {
		return nil, nil, err
	}
	cl := newClient(base, apiKey, cfg.Concurrency)
	before, err := cl.walletIDs(ctx, w.Cookie)
	if err != nil {
		return nil, nil, err
	}
	if len(before)+WalletCredentials > credential.MaxHolderPage {
		return nil, nil, fmt.Errorf("%s already holds %d credentials: with %d more the list would not fit one page", w.Citizen.Username, len(before), WalletCredentials)
	}

	run := make([]byte, 6)
	rand.Read(run)
	runID := "wallet-" + hex.EncodeToString(run) + "-"
	holder := credential.Holder{Name: w.Citizen.Name, IDType: w.Citizen.IDType, IDNumber: w.Citizen.IDNumber}
	ids := make([]string, WalletCredentials)
	seed := runPhase(ctx, "wallet seed", cfg.Concurrency, WalletCredentials, 5*time.Minute, cfg.Progress, func(ctx context.Context, i int) error {
		body, err := json.Marshal(issueRequest{Type: w.Type.ID, Holder: holder, Fields: fieldValues(w.Type, i)})
		if err != nil {
			return err
		}
		return withBuf(func(b *bytes.Buffer) error {
			it, err := cl.issue(ctx, body, runID+strconv.Itoa(i), b)
			ids[i] = it.ID
			return err
		})
	})
	if seed.Ops != WalletCredentials {
		return nil, nil, fmt.Errorf("issued %d of %d credentials to %s: %v", seed.Ops, WalletCredentials, w.Citizen.Username, seed.FirstErr)
	}
	w.IDs = ids
	after, err := awaitListed(ctx, cl, w, ids)
	if err != nil {
		return nil, nil, err
	}
	w.Listed = len(after)
	return w, cl, nil
}

// awaitListed reads the holder's list until it shows every credential
// issued to them, for at most listLag. On Fabric an issuance is
// acknowledged once the issuer's peer commits it, and the list is read on
// governance's peer, which may commit the block a moment later.
func awaitListed(ctx context.Context, cl *client, w *walletHolder, ids []string) ([]string, error) {
	const listLag = 10 * time.Second
	deadline := time.Now().Add(listLag)
	for {
		after, err := cl.walletIDs(ctx, w.Cookie)
		if err != nil {
			return nil, err
		}
		missing := ""
		for _, id := range ids {
			if !slices.Contains(after, id) {
				missing = id
				break
			}
		}
		if missing == "" {
			return after, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%s's list lacks %s, issued to them, %s after the issuance", w.Citizen.Username, missing, listLag)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// walletAnswer is the part of GET /api/v1/me/credentials the load reads.
type walletAnswer struct {
	Items []struct {
		ID string `json:"id"`
	} `json:"items"`
	Next string `json:"next"`
}

// walletIDs lists the first page of the signed-in holder's credentials.
func (c *client) walletIDs(ctx context.Context, cookie string) ([]string, error) {
	b, _, err := c.do(ctx, http.MethodGet, "/api/v1/me/credentials", nil, http.Header{"Cookie": {cookie}}, http.StatusOK, nil)
	if err != nil {
		return nil, err
	}
	var a walletAnswer
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, fmt.Errorf("GET /api/v1/me/credentials: %w", err)
	}
	if a.Next != "" {
		return nil, errors.New("GET /api/v1/me/credentials: the list does not fit one page")
	}
	ids := make([]string, len(a.Items))
	for i, it := range a.Items {
		ids[i] = it.ID
	}
	return ids, nil
}

var (
	walletStatus = []byte(`"status":"`)
	walletNext   = []byte(`"next":`)
)

// wallet fetches the holder's list and checks, without decoding it, that
// it holds every item on one page.
func (c *client) wallet(ctx context.Context, w *walletHolder, buf *bytes.Buffer) error {
	b, _, err := c.do(ctx, http.MethodGet, "/api/v1/me/credentials", nil, http.Header{"Cookie": {w.Cookie}}, http.StatusOK, buf)
	if err != nil {
		return err
	}
	if n := bytes.Count(b, walletStatus); n != w.Listed || bytes.Contains(b, walletNext) {
		return fmt.Errorf("GET /api/v1/me/credentials: %d items, want %d on one page", n, w.Listed)
	}
	return nil
}

// walletPhase measures the holder's list as the phase named name.
func walletPhase(ctx context.Context, cfg Config, name string, cl *client, w *walletHolder) Result {
	pr := runPhase(ctx, name, cfg.Concurrency, cfg.Count, cfg.Duration, cfg.Progress, func(ctx context.Context, i int) error {
		return withBuf(func(b *bytes.Buffer) error { return cl.wallet(ctx, w, b) })
	})
	return result(name, cfg.Concurrency, pr)
}

// RunWallet measures GET /api/v1/me/credentials for a demo citizen signed
// in through the demo identity provider, after issuing them
// WalletCredentials credentials through the API: on the gateway at
// cfg.URL, or on one started in-process on the embedded ledger.
func RunWallet(ctx context.Context, cfg Config) (*Report, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Phases = []string{PhaseWallet}
	rep := &Report{Start: time.Now().UTC(), Machine: ThisMachine(), Config: cfg}
	base, keys, citizens, stop, err := citizenTarget(ctx, cfg, rep, nil)
	if err != nil {
		return nil, err
	}
	defer stop()
	w, cl, err := setUpWallet(ctx, cfg, base, keys, citizens)
	if err != nil {
		return nil, err
	}
	defer cl.close()
	r := walletPhase(ctx, cfg, PhaseWallet, cl, w)
	r.Target = fmt.Sprintf(">= %d/s, p99 < %s", TargetWallet, TargetWalletP99)
	r.Pass = r.Errors == 0 && r.Rate >= TargetWallet && r.P99 < TargetWalletP99
	r.Notes = append(r.Notes, w.describe())
	rep.Results = append(rep.Results, r)
	return rep, nil
}

// describe says who was signed in and what their list held.
func (w *walletHolder) describe() string {
	return fmt.Sprintf("GET /api/v1/me/credentials with the session cookie of demo citizen %s (%s), signed in through /me/login and the demo identity provider's login form; "+
		"%d %s credentials issued to them through POST /api/v1/credentials first, %d items in the list (one page), each answer checked for all of them",
		w.Citizen.Username, w.Citizen.IDType, len(w.IDs), w.Type.ID, w.Listed)
}
