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
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
	"github.com/certledger/certledger/gateway/provision"
)

// PhaseConsent is one consent flow (docs/decisions/0015) per operation
// (`certledger bench --consent`): the human resources department requests
// a holder's diploma and professional qualification for the professional
// title evaluation, the signed-in holder approves, and the department
// fetches the two presentations. Its latency is the whole flow's.
const PhaseConsent = "consent flow"

// ConsentHolders is how many holders the flow runs for, each signed in
// through the demo identity provider with a session of their own; the
// load tool's own gateway adds them as demo accounts.
const ConsentHolders = 64

// The embedded ledger's target: completed flows a second.
const TargetConsent = 300

// Markers of the section `certledger bench --consent --write` owns.
const (
	ConsentSectionBegin = "<!-- certledger-bench-consent:begin -->"
	ConsentSectionEnd   = "<!-- certledger-bench-consent:end -->"
)

// consentService is the demo item the flow uses: two credentials issued
// by two departments to one person, requested by one of the two.
const consentService = demo.ServiceProfessionalRank

// benchCitizens are ConsentHolders demo accounts of fictitious persons
// with valid resident ID numbers, for the load tool's own gateway.
func benchCitizens() []provision.DemoCitizen {
	out := make([]provision.DemoCitizen, ConsentHolders)
	for i := range out {
		pw := make([]byte, 12)
		rand.Read(pw)
		out[i] = provision.DemoCitizen{Name: fmt.Sprintf("压测持证人%02d", i), IDType: credential.IDResidentCard,
			IDNumber: residentIDOf(fmt.Sprintf("11010119900101%03d", 100+i)), Username: fmt.Sprintf("bench-holder-%02d", i),
			Password: hex.EncodeToString(pw)}
	}
	return out
}

// residentIDOf completes 17 digits with their GB 11643 check character.
func residentIDOf(first17 string) string {
	sum, w := 0, 1
	for i := 16; i >= 0; i-- {
		w = w * 2 % 11
		sum += int(first17[i]-'0') * w
	}
	return first17 + string("10X98765432"[sum%11])
}

// consentHolder is a signed-in holder with the two credentials the item
// needs, and the approval body naming them.
type consentHolder struct {
	citizen provision.DemoCitizen
	header  http.Header // the session cookie and the Origin a browser sends
	approve []byte
	ask     []byte // the department's request body naming the holder
}

// consentLoad is what the flow needs: a client per side and the holders.
type consentLoad struct {
	dept    *client // hrss, the requester
	holder  *client // the holders' browsers (the header carries who)
	holders []*consentHolder
	retries atomic.Int64 // approvals tried again after request_not_found
}

// approveRetries bounds the approval's retries, 50 ms apart.
const approveRetries = 100

// setUpConsent signs ConsentHolders holders in (the bench accounts when the
// gateway has them, else sessions of the demo's persons in turn) and issues
// each a diploma and a professional qualification through the API.
func setUpConsent(ctx context.Context, cfg Config, base string, keys map[string]provision.DemoKey, citizens []provision.DemoCitizen) (*consentLoad, error) {
	var pool []provision.DemoCitizen
	for _, c := range citizens {
		if len(c.Username) > 13 && c.Username[:13] == "bench-holder-" {
			pool = append(pool, c)
		}
	}
	if len(pool) < ConsentHolders {
		pool = pool[:0]
		for _, c := range citizens {
			if c.IDType == credential.IDResidentCard {
				pool = append(pool, c)
			}
		}
	}
	if len(pool) == 0 {
		return nil, errors.New("the gateway has no demo citizen who is a person")
	}
	hrss, edu := keys[demo.HumanRes].APIKey, keys[demo.Education].APIKey
	if hrss == "" || edu == "" {
		return nil, errors.New("demo-keys.json lacks the API key of hrss or edu")
	}
	probe := newClient(base, "", 1)
	types, err := probe.types(ctx)
	if err != nil {
		return nil, err
	}
	byID := map[string]credential.CredentialType{}
	for _, t := range types {
		byID[t.ID] = t
	}
	l := &consentLoad{dept: newClient(base, hrss, cfg.Concurrency), holder: newClient(base, "", cfg.Concurrency)}
	issuers := map[string]*client{"diploma": newClient(base, edu, cfg.Concurrency), "professional-qualification": l.dept}
	run := make([]byte, 6)
	rand.Read(run)
	runID := "consent-" + hex.EncodeToString(run) + "-"
	l.holders = make([]*consentHolder, ConsentHolders)
	var mu sync.Mutex
	sessions := map[string]int{}
	// Sign-ins check an Argon2id hash each: a few at once.
	setup := runPhase(ctx, "consent setup", 4, ConsentHolders, 5*time.Minute, cfg.Progress, func(ctx context.Context, i int) error {
		c := pool[i%len(pool)]
		cookie, err := signIn(ctx, base, c)
		if err != nil {
			return err
		}
		mu.Lock()
		sessions[c.Username]++
		mu.Unlock()
		h := &consentHolder{citizen: c, header: http.Header{"Cookie": {cookie}, "Origin": {base}}}
		chosen := map[string]string{}
		for typ, cl := range issuers {
			body, err := json.Marshal(issueRequest{Type: typ, Holder: credential.Holder{Name: c.Name, IDType: c.IDType, IDNumber: c.IDNumber},
				Fields: fieldValues(byID[typ], i)})
			if err != nil {
				return err
			}
			it, err := cl.issue(ctx, body, runID+typ+"-"+strconv.Itoa(i), nil)
			if err != nil {
				return err
			}
			chosen[typ] = it.ID
		}
		if h.approve, err = json.Marshal(map[string]any{"credentials": chosen}); err != nil {
			return err
		}
		if h.ask, err = json.Marshal(map[string]any{"service": consentService, "purpose": "职称评审材料核验",
			"holder": map[string]string{"idType": c.IDType, "idNumber": c.IDNumber}}); err != nil {
			return err
		}
		l.holders[i] = h
		return nil
	})
	if setup.Ops != ConsentHolders {
		return nil, fmt.Errorf("set up %d of %d holders: %v", setup.Ops, ConsentHolders, setup.FirstErr)
	}
	return l, nil
}

// requestAnswer is the part of the answers the flow reads.
type requestAnswer struct {
	ID            string            `json:"id"`
	Status        string            `json:"status"`
	Presentations []json.RawMessage `json:"presentations"`
}

// flow runs one consent flow for holder i mod ConsentHolders.
func (l *consentLoad) flow(ctx context.Context, i int, buf *bytes.Buffer) error {
	h := l.holders[i%len(l.holders)]
	b, _, err := l.dept.do(ctx, http.MethodPost, "/api/v1/requests", h.ask, l.dept.auth(), http.StatusCreated, buf)
	if err != nil {
		return err
	}
	var created requestAnswer
	if err := json.Unmarshal(b, &created); err != nil || !credential.ValidRequestID(created.ID) {
		return fmt.Errorf("POST /api/v1/requests answered %.200s", b)
	}
	// On Fabric the request is acknowledged once hrss's peer commits it;
	// governance's peer, which the portal reads, may commit the block a
	// moment later. The holder tries again, as one who reloads the page.
	for try := 0; ; try++ {
		_, _, err := l.holder.do(ctx, http.MethodPost, "/api/v1/me/requests/"+created.ID+"/approve", h.approve, h.header, http.StatusOK, buf)
		var se *statusError
		if err == nil {
			break
		}
		if !errors.As(err, &se) || se.Status != http.StatusNotFound || try >= approveRetries {
			return err
		}
		l.retries.Add(1)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(50 * time.Millisecond):
		}
	}
	b, _, err = l.dept.do(ctx, http.MethodGet, "/api/v1/requests/"+created.ID, nil, l.dept.auth(), http.StatusOK, buf)
	if err != nil {
		return err
	}
	var got requestAnswer
	if err := json.Unmarshal(b, &got); err != nil {
		return fmt.Errorf("GET /api/v1/requests/%s: %w", created.ID, err)
	}
	if got.Status != string(credential.RequestApproved) || len(got.Presentations) != 2 {
		return fmt.Errorf("GET /api/v1/requests/%s: %s with %d presentations, want approved with 2", created.ID, got.Status, len(got.Presentations))
	}
	return nil
}

func (l *consentLoad) close() {
	l.dept.close()
	l.holder.close()
}

// consentPhase measures the flow as the phase named name.
func consentPhase(ctx context.Context, cfg Config, name string, l *consentLoad) Result {
	pr := runPhase(ctx, name, cfg.Concurrency, cfg.Count, cfg.Duration, cfg.Progress, func(ctx context.Context, i int) error {
		return withBuf(func(b *bytes.Buffer) error { return l.flow(ctx, i, b) })
	})
	return result(name, cfg.Concurrency, pr)
}

// describe says what one flow was.
func (l *consentLoad) describe() string {
	users := map[string]bool{}
	for _, h := range l.holders {
		users[h.citizen.Username] = true
	}
	return fmt.Sprintf("one operation is a whole flow for service %s: POST /api/v1/requests as hrss naming the holder by ID number, "+
		"POST /api/v1/me/requests/{id}/approve with the holder's session cookie choosing their diploma (edu) and professional qualification (hrss), "+
		"GET /api/v1/requests/{id} as hrss checked for the 2 presentations; %d sessions of %d distinct holders, each signed in through the demo identity provider's login form "+
		"and issued the two credentials through POST /api/v1/credentials first; %d approvals tried again (50 ms later) after request_not_found, the request not yet committed on governance's peer",
		consentService, len(l.holders), len(users), l.retries.Load())
}

// RunConsent measures the consent flow on the gateway at cfg.URL, or on
// one started in-process on the embedded ledger with ConsentHolders bench
// accounts at its demo identity provider.
func RunConsent(ctx context.Context, cfg Config) (*Report, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Phases = []string{PhaseConsent}
	rep := &Report{Start: time.Now().UTC(), Machine: ThisMachine(), Config: cfg}
	base, keys, citizens, stop, err := citizenTarget(ctx, cfg, rep, benchCitizens())
	if err != nil {
		return nil, err
	}
	defer stop()
	l, err := setUpConsent(ctx, cfg, base, keys, citizens)
	if err != nil {
		return nil, err
	}
	defer l.close()
	r := consentPhase(ctx, cfg, PhaseConsent, l)
	r.Target = fmt.Sprintf(">= %d flows/s", TargetConsent)
	r.Pass = r.Errors == 0 && r.Rate >= TargetConsent
	r.Notes = append(r.Notes, l.describe())
	rep.Results = append(rep.Results, r)
	return rep, nil
}

// ConsentMarkdown is the report's section in docs/benchmarks.md.
func (r *Report) ConsentMarkdown(cmdline string) string {
	return r.markdown("Consent requests: request, approval and proof read per flow", cmdline)
}
