package main

import (
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/cmd/certledger/internal/loadtest"
	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/network"
	"github.com/certledger/certledger/network/nettest"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
)

func init() {
	commands["bench-fabric"] = command{run: runBenchFabric,
		summary: "compare the gateway on Fabric with raw Fabric (kv put/get) on one network it brings up"}
}

// fabricBenchTarget is the share of raw Fabric throughput the gateway must
// reach for issuance and for verification.
const fabricBenchTarget = 0.80

// Markers of the section bench-fabric owns in a Markdown file; the
// embedded benchmark's section has its own.
const (
	fabricSectionBegin = "<!-- certledger-bench-fabric:begin -->"
	fabricSectionEnd   = "<!-- certledger-bench-fabric:end -->"
)

type fabricBenchOptions struct {
	Dir          string
	BasePort     int
	BatchTimeout time.Duration
	Concurrency  int
	Duration     time.Duration
	ValueSize    int
	Write        string
	Keep         bool
	Rounds       int
}

// fabricBench is what one run measured.
type fabricBench struct {
	opts         fabricBenchOptions
	start        time.Time
	machine      loadtest.Machine
	batchTimeout string
	build        time.Duration // 0 when the binaries were cached
	up           time.Duration
	gatewayUp    time.Duration
	put, get     loadtest.Result
	// direct: CertLedger's contract called straight through the Fabric
	// Gateway client (documents signed by this process), which separates
	// the cost of the contract on Fabric from the cost of the gateway.
	directIssue, directGet loadtest.Result
	issue                  loadtest.Result
	verify                 loadtest.Result
	// plain: a second gateway without docs/decisions/0006 (every issuance
	// its own transaction, no record cache), for reference.
	issuePlain, verifyPlain loadtest.Result
	issueNotes              []string
	rounds                  int
	memory                  []memoryRow
	// cpu is the CPU time each process spent in each phase, by phase
	// name then process name: where an operation's cost goes.
	cpu map[string]map[string]time.Duration
}

type memoryRow struct {
	name       string
	rss, peak  int64 // KB
	processPID int
}

func runBenchFabric(args []string) error {
	fs := flag.NewFlagSet("bench-fabric", flag.ContinueOnError)
	var o fabricBenchOptions
	fs.StringVar(&o.Dir, "dir", "", "network folder (default: a temporary folder, removed afterwards)")
	fs.IntVar(&o.BasePort, "base-port", nettest.BenchFabric.Ports().From, "first base port to try (see certledger network up)")
	fs.DurationVar(&o.BatchTimeout, "batch-timeout", 0, "orderer batch timeout of a new network (default: the network's default)")
	fs.IntVar(&o.Concurrency, "concurrency", loadtest.DefaultConcurrency, "concurrent clients, for the gateway and for raw Fabric alike")
	fs.DurationVar(&o.Duration, "duration", 15*time.Second, "time of each phase")
	fs.IntVar(&o.ValueSize, "value-size", 600, "bytes of each raw kv put (about a credential record's size)")
	fs.StringVar(&o.Write, "write", "", "update the Fabric section of this Markdown file (e.g. docs/benchmarks.md)")
	fs.BoolVar(&o.Keep, "keep", false, "leave the network running and its folder in place")
	fs.IntVar(&o.Rounds, "rounds", 2, "rounds of all phases, interleaved so that load from elsewhere on the machine hits both sides alike")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: certledger bench-fabric [flags]\n\nBrings up a Fabric network, starts `certledger serve --ledger fabric --demo` on it, and measures\nissuance against raw kv put and POST /api/v1/verify against raw kv get, with the same client loop\nand concurrency, then reports the ratios, bring-up time and every process's peak memory.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 || o.Concurrency < 1 || o.Duration <= 0 || o.Rounds < 1 {
		return benchUsageError{fmt.Errorf("bad arguments %q", args)}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	b, err := benchFabric(ctx, o)
	if err != nil {
		return err
	}
	fmt.Println()
	b.writeTable(os.Stdout)
	if o.Write != "" {
		if err := loadtest.UpdateMarkdownSection(o.Write, fabricSectionBegin, fabricSectionEnd, b.markdown(commandLine("certledger bench-fabric", args))); err != nil {
			return fmt.Errorf("write %s: %w", o.Write, err)
		}
		fmt.Fprintf(os.Stderr, "results written to %s\n", o.Write)
	}
	if !b.passed() {
		return fmt.Errorf("the gateway reached less than %.0f%% of raw Fabric", fabricBenchTarget*100)
	}
	return nil
}

func benchFabric(ctx context.Context, o fabricBenchOptions) (*fabricBench, error) {
	b := &fabricBench{opts: o, start: time.Now().UTC(), machine: loadtest.ThisMachine()}
	if !network.LocateFabric().Ready() {
		t := time.Now()
		if _, err := network.Build(ctx, os.Stderr); err != nil {
			return nil, err
		}
		b.build = time.Since(t)
	}
	temporary := o.Dir == ""
	if temporary {
		d, err := os.MkdirTemp("", "certledger-bench-fabric-")
		if err != nil {
			return nil, err
		}
		o.Dir = filepath.Join(d, "network")
		if !o.Keep {
			defer os.RemoveAll(d)
		}
	}
	// The search stays in bench-fabric's range of the port plan, below the
	// ephemeral range its own many client connections draw from; from
	// another --base-port it spans as many ports.
	r := nettest.BenchFabric.Ports()
	if o.BasePort < r.From || o.BasePort >= r.To {
		r = nettest.Range{From: o.BasePort, To: o.BasePort + r.To - r.From}
	}
	base, err := network.FreeBasePort(r.From, r.To)
	if err != nil {
		return nil, err
	}
	t := time.Now()
	p, err := network.Up(ctx, network.Options{Dir: o.Dir, BasePort: base, BatchTimeout: o.BatchTimeout, Progress: os.Stderr})
	if !o.Keep {
		defer network.Down(o.Dir, temporary)
	}
	if err != nil {
		return nil, err
	}
	b.up = time.Since(t)
	b.batchTimeout = p.BatchTimeout

	gw, err := startGatewayProcess(ctx, o.Dir, "bench-gateway")
	if err != nil {
		return nil, err
	}
	if !o.Keep {
		defer gw.stop()
	}
	b.gatewayUp = gw.startup
	plain, err := startGatewayProcess(ctx, o.Dir, "bench-gateway-plain", plainGatewayArgs...)
	if err != nil {
		return nil, err
	}
	if !o.Keep {
		defer plain.stop()
	}
	procs, err := benchProcesses(ctx, o.Dir, gw.cmd.Process.Pid)
	if err != nil {
		return nil, err
	}
	procs["gateway-plain"] = plain.cmd.Process.Pid
	b.cpu = map[string]map[string]time.Duration{}
	last := map[string]map[string]time.Duration{} // the latest round's CPU by phase
	measure := func(phase string, fn func()) {
		before := cpuTimes(procs)
		fn()
		after := cpuTimes(procs)
		m := map[string]time.Duration{}
		if b.cpu[phase] == nil {
			b.cpu[phase] = map[string]time.Duration{}
		}
		for name, t := range after {
			m[name] = t - before[name]
			b.cpu[phase][name] += m[name]
		}
		last[phase] = m
	}

	kv, err := rawContract(p, "samr", p.KVChaincode)
	if err != nil {
		return nil, err
	}
	defer kv.close()
	value := strings.Repeat("v", o.ValueSize)
	if err := retryNotReady(ctx, func() error { _, err := kv.contract.SubmitTransaction("put", "warm-up", value); return err }); err != nil {
		return nil, fmt.Errorf("raw kv put: %w", err)
	}
	const many = 1 << 30
	cc, err := rawContract(p, "samr", p.Chaincode)
	if err != nil {
		return nil, err
	}
	defer cc.close()
	var rounds [8][]loadtest.Result
	for round := 1; round <= o.Rounds; round++ {
		run := strconv.FormatInt(time.Now().UnixNano(), 36)
		fmt.Fprintf(os.Stderr, "round %d of %d: raw kv put, contract direct issue, gateway issue and verify, contract direct get, raw kv get; %d clients\n", round, o.Rounds, o.Concurrency)
		measure("kv put", func() {
			b.put = loadtest.RunOp(ctx, "kv put", o.Concurrency, many, o.Duration, os.Stderr, func(ctx context.Context, i int) error {
				_, err := kv.contract.SubmitWithContext(ctx, "put", client.WithArguments("bench-"+run+"-"+strconv.Itoa(i), value))
				return err
			})
		})
		put := max(b.put.Ops, 1)

		direct, err := newDirectIssuer(p, cc.contract, run)
		if err != nil {
			return nil, err
		}
		measure("contract issue", func() {
			b.directIssue = loadtest.RunOp(ctx, "contract issue", o.Concurrency, 100_000, o.Duration, os.Stderr, direct.issue)
		})

		for _, run := range []struct {
			g            *gatewayProcess
			phase, label string
			out          *loadtest.Result
			seedLabel    string           // the issue phase whose cost each seed issuance has
			seed         *loadtest.Result // that phase's result
		}{
			{gw, loadtest.PhaseIssue, loadtest.PhaseIssue, &b.issue, "", nil},
			{plain, loadtest.PhaseIssue, phaseIssuePlain, &b.issuePlain, "", nil},
			{gw, loadtest.PhaseVerify, loadtest.PhaseVerify, &b.verify, loadtest.PhaseIssue, &b.issue},
			{plain, loadtest.PhaseVerify, phaseVerifyPlain, &b.verifyPlain, phaseIssuePlain, &b.issuePlain},
		} {
			var rep *loadtest.Report
			measure(run.label, func() {
				// The verify run issues a few credentials to verify first
				// (its "seed"); that is a small part of its CPU time.
				rep, err = loadtest.Run(ctx, loadtest.Config{URL: run.g.url, KeysFile: filepath.Join(run.g.data, "demo-keys.json"),
					Concurrency: o.Concurrency, Duration: o.Duration, Count: many, IssueCount: 100_000,
					Phases: []string{run.phase}, Progress: os.Stderr})
			})
			if err != nil {
				return nil, err
			}
			if run.seed != nil && run.seed.Ops > 0 {
				// Take out the seed issuances at the issue phase's cost each.
				seed := float64(2*o.Concurrency) / float64(run.seed.Ops)
				for name, t := range last[run.seedLabel] {
					b.cpu[run.label][name] = max(0, b.cpu[run.label][name]-time.Duration(float64(t)*seed))
				}
			}
			for _, r := range rep.Results {
				if r.Phase != run.phase {
					continue
				}
				r.Phase = run.label
				*run.out = r
				if run.label == loadtest.PhaseIssue {
					b.issueNotes = append(b.issueNotes, fmt.Sprintf("round %d: %s", round, strings.Join(r.Notes, "; ")))
				}
			}
		}

		ids := direct.issued()
		if len(ids) == 0 {
			return nil, fmt.Errorf("no credential was issued directly: %s", b.directIssue.FirstError)
		}
		measure("contract get", func() {
			b.directGet = loadtest.RunOp(ctx, "contract get", o.Concurrency, many, o.Duration, os.Stderr, func(ctx context.Context, i int) error {
				_, err := cc.contract.EvaluateWithContext(ctx, chaincode.FnGetRecord, client.WithArguments(ids[i%len(ids)]))
				return err
			})
		})
		measure("kv get", func() {
			b.get = loadtest.RunOp(ctx, "kv get", o.Concurrency, many, o.Duration, os.Stderr, func(ctx context.Context, i int) error {
				_, err := kv.contract.EvaluateWithContext(ctx, "get", client.WithArguments("bench-"+run+"-"+strconv.Itoa(i%put)))
				return err
			})
		})
		for k, r := range []loadtest.Result{b.put, b.directIssue, b.issue, b.verify, b.directGet, b.get, b.issuePlain, b.verifyPlain} {
			rounds[k] = append(rounds[k], r)
		}
	}
	b.rounds = o.Rounds
	b.put, b.directIssue, b.issue = mergeRounds(rounds[0]), mergeRounds(rounds[1]), mergeRounds(rounds[2])
	b.verify, b.directGet, b.get = mergeRounds(rounds[3]), mergeRounds(rounds[4]), mergeRounds(rounds[5])
	b.issuePlain, b.verifyPlain = mergeRounds(rounds[6]), mergeRounds(rounds[7])

	nodes, err := network.Status(ctx, o.Dir)
	if err != nil {
		return nil, err
	}
	for _, n := range nodes {
		b.memory = append(b.memory, memoryRow{name: n.Name, rss: n.RSSKB, peak: n.PeakRSSKB, processPID: n.PID})
	}
	rss, peak := procMemory(gw.cmd.Process.Pid)
	b.memory = append(b.memory, memoryRow{name: "certledger serve (gateway)", rss: rss, peak: peak, processPID: gw.cmd.Process.Pid})
	rss, peak = procMemory(plain.cmd.Process.Pid)
	b.memory = append(b.memory, memoryRow{name: "certledger serve " + strings.Join(plainGatewayArgs, " ") + " (reference gateway)", rss: rss, peak: peak, processPID: plain.cmd.Process.Pid})
	rss, peak = procMemory(os.Getpid())
	b.memory = append(b.memory, memoryRow{name: "certledger bench-fabric (clients)", rss: rss, peak: peak, processPID: os.Getpid()})
	if ctx.Err() != nil {
		return nil, errors.New("interrupted")
	}
	return b, nil
}

// directIssuer issues business licences as samr straight through the
// Fabric Gateway client: the same documents, transient request and
// idempotency entry as the gateway sends.
type directIssuer struct {
	contract *client.Contract
	typ      credential.CredentialType
	issuer   credential.Department
	keyID    string
	key      ed25519.PrivateKey
	run      string
	mu       sync.Mutex
	ids      []string
}

func newDirectIssuer(p *network.Profile, c *client.Contract, run string) (*directIssuer, error) {
	raw, err := c.EvaluateTransaction(chaincode.FnGetRegistry)
	if err != nil {
		return nil, err
	}
	var reg credential.Registry
	if err := json.Unmarshal(raw, &reg); err != nil {
		return nil, err
	}
	pd, ok := p.Department("samr")
	if !ok {
		return nil, errors.New("no department samr in the profile")
	}
	key, err := network.LoadIssuerKey(pd.IssuerKey)
	if err != nil {
		return nil, err
	}
	dept, ok := reg.Department("samr")
	t, ok2 := reg.Type("business-licence")
	if !ok || !ok2 {
		return nil, errors.New("the registry lacks samr or business-licence (was the gateway's --demo provisioning skipped?)")
	}
	return &directIssuer{contract: c, typ: t, issuer: dept, keyID: pd.IssuerKeyID, key: key, run: run}, nil
}

func (d *directIssuer) issue(ctx context.Context, i int) error {
	n := strconv.Itoa(i)
	doc, err := credential.Issue(credential.IssueParams{Type: d.typ, Issuer: d.issuer, IssuedAt: time.Now().UTC(),
		Holder: credential.Holder{Name: "压测持证人" + n, IDType: credential.IDResidentCard, IDNumber: "11010519491231002X"},
		Fields: map[string]string{"companyName": "压测公司" + n, "entityType": "有限责任公司", "legalRepresentative": "张三",
			"registeredCapital": "500", "establishedOn": "2020-03-15", "address": "福建省福州市鼓楼区五四路100号", "businessScope": "软件开发"},
	}, d.keyID, d.key)
	if err != nil {
		return err
	}
	req, err := json.Marshal(credential.IssueRequest{Document: *doc, HolderRef: strings.Repeat("ab", 32),
		IdempotencyKey: "direct-" + d.run + "-" + n, RequestHash: "hash-" + n})
	if err != nil {
		return err
	}
	if _, err := d.contract.SubmitWithContext(ctx, chaincode.FnIssue, client.WithTransient(map[string][]byte{chaincode.TransientRequest: req})); err != nil {
		return err
	}
	d.mu.Lock()
	d.ids = append(d.ids, doc.ID)
	d.mu.Unlock()
	return nil
}

func (d *directIssuer) issued() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.ids...)
}

// gatewayProcess is `certledger serve --ledger fabric --demo` run by the
// benchmark as a process of its own, so its memory is its own.
type gatewayProcess struct {
	cmd     *exec.Cmd
	url     string
	data    string
	startup time.Duration
	done    chan struct{}
}

// plainGatewayArgs start the reference gateway without the measures of
// docs/decisions/0006: one transaction per issuance, as many under way as
// there are clients (as before batching), and no record cache.
var plainGatewayArgs = []string{"--issue-batch", "1", "--issue-batches-in-flight", "256", "--record-cache", "0"}

// CPU phase names of the reference gateway's runs.
const (
	phaseIssuePlain  = "issue, --issue-batch 1 (one transaction each)"
	phaseVerifyPlain = "verify, --record-cache 0"
)

// startGatewayProcess starts `certledger serve --ledger fabric --demo` on
// the network with its data folder and log named after name.
func startGatewayProcess(ctx context.Context, netDir, name string, args ...string) (*gatewayProcess, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	data := filepath.Join(netDir, name)
	logf, err := os.OpenFile(filepath.Join(netDir, name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	g := &gatewayProcess{url: "http://" + addr, data: data, done: make(chan struct{})}
	g.cmd = exec.Command(exe, append([]string{"serve", "--ledger", "fabric", "--network", netDir, "--demo", "--data", data, "--addr", addr}, args...)...)
	g.cmd.Stdout, g.cmd.Stderr = logf, logf
	start := time.Now()
	if err := g.cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	go func() { g.cmd.Wait(); logf.Close(); close(g.done) }()
	for {
		select {
		case <-g.done:
			return nil, fmt.Errorf("the gateway exited during start-up; see %s", logf.Name())
		case <-ctx.Done():
			g.stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if resp, err := http.Get(g.url + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				if _, err := os.Stat(filepath.Join(data, "demo-keys.json")); err == nil {
					g.startup = time.Since(start)
					return g, nil
				}
			}
		}
		if time.Since(start) > 3*time.Minute {
			g.stop()
			return nil, fmt.Errorf("the gateway was not healthy after 3 minutes; see %s", logf.Name())
		}
	}
}

func (g *gatewayProcess) stop() {
	select {
	case <-g.done:
		return
	default:
	}
	g.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-g.done:
	case <-time.After(30 * time.Second):
		g.cmd.Process.Kill()
		<-g.done
	}
}

// benchProcesses names the processes whose CPU time is accounted: every
// node of the network, the gateway and this process.
func benchProcesses(ctx context.Context, dir string, gatewayPID int) (map[string]int, error) {
	nodes, err := network.Status(ctx, dir)
	if err != nil {
		return nil, err
	}
	out := map[string]int{"gateway": gatewayPID, "clients": os.Getpid()}
	for _, n := range nodes {
		if n.PID > 0 {
			out[n.Name] = n.PID
		}
	}
	return out, nil
}

// cpuTimes reads the user+system CPU time of each process from
// /proc/<pid>/stat (fields 14 and 15, in clock ticks of 10 ms).
func cpuTimes(procs map[string]int) map[string]time.Duration {
	out := make(map[string]time.Duration, len(procs))
	for name, pid := range procs {
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		text := string(raw)
		if i := strings.LastIndexByte(text, ')'); i >= 0 {
			text = text[i+1:]
		}
		f := strings.Fields(text) // f[0] is field 3 (state)
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		out[name] = time.Duration(u+st) * 10 * time.Millisecond
	}
	return out
}

// cpuGroups sums a phase's CPU time by kind of process.
func cpuGroups(m map[string]time.Duration) []struct {
	group string
	cpu   time.Duration
} {
	order := []string{"orderers", "peers", "chaincode", "gateway", "clients"}
	sum := map[string]time.Duration{}
	for name, t := range m {
		g := name
		switch {
		case strings.HasPrefix(name, "orderer"):
			g = "orderers"
		case strings.HasPrefix(name, "peer"):
			g = "peers"
		case strings.HasPrefix(name, "cc-"):
			g = "chaincode"
		case strings.HasPrefix(name, "gateway"):
			g = "gateway"
		}
		sum[g] += t
	}
	var out []struct {
		group string
		cpu   time.Duration
	}
	for _, g := range order {
		out = append(out, struct {
			group string
			cpu   time.Duration
		}{g, sum[g]})
	}
	return out
}

// cpuPerOp renders a phase's CPU time per successful operation by group.
func (b *fabricBench) cpuPerOp(phase string, ops int) string {
	if ops == 0 || b.cpu[phase] == nil {
		return "-"
	}
	var parts []string
	var total time.Duration
	for _, g := range cpuGroups(b.cpu[phase]) {
		total += g.cpu
		parts = append(parts, fmt.Sprintf("%s %.1f", g.group, float64(g.cpu.Microseconds())/1000/float64(ops)))
	}
	return fmt.Sprintf("%.1f ms (%s)", float64(total.Microseconds())/1000/float64(ops), strings.Join(parts, ", "))
}

// procMemory reads a process's resident memory now and at its peak, in KB.
func procMemory(pid int) (rss, peak int64) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			rss = n
		case "VmHWM":
			peak = n
		}
	}
	return rss, peak
}

// kvClient is a raw Fabric Gateway client of one department's first peer.
type kvClient struct {
	conn     *grpc.ClientConn
	gw       *client.Gateway
	contract *client.Contract
}

func (k *kvClient) close() { k.gw.Close(); k.conn.Close() }

// rawContract connects to chaincode through dept's first peer as dept's
// client identity: the same peer and identity the gateway uses for that
// department.
func rawContract(p *network.Profile, dept, chaincode string) (*kvClient, error) {
	d, ok := p.Department(dept)
	if !ok {
		return nil, fmt.Errorf("no department %s in the profile", dept)
	}
	certPEM, err := os.ReadFile(d.Client.Cert)
	if err != nil {
		return nil, err
	}
	cert, err := identity.CertificateFromPEM(certPEM)
	if err != nil {
		return nil, err
	}
	id, err := identity.NewX509Identity(d.MSPID, cert)
	if err != nil {
		return nil, err
	}
	keyPEM, err := os.ReadFile(d.Client.Key)
	if err != nil {
		return nil, err
	}
	key, err := identity.PrivateKeyFromPEM(keyPEM)
	if err != nil {
		return nil, err
	}
	sign, err := identity.NewPrivateKeySign(key)
	if err != nil {
		return nil, err
	}
	ca, err := os.ReadFile(d.Peers[0].TLSRootCert)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	conn, err := grpc.NewClient(d.Peers[0].Address,
		grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(pool, d.Peers[0].ServerNameOverride)))
	if err != nil {
		return nil, err
	}
	gw, err := client.Connect(id, client.WithSign(sign), client.WithClientConnection(conn))
	if err != nil {
		conn.Close()
		return nil, err
	}
	return &kvClient{conn: conn, gw: gw, contract: gw.GetNetwork(p.Channel).GetContract(chaincode)}, nil
}

// retryNotReady retries fn while Fabric answers FailedPrecondition, as it
// does until gossip has found every organization after a start.
func retryNotReady(ctx context.Context, fn func() error) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := fn()
		if err == nil || status.Code(errors.Unwrap(err)) != codes.FailedPrecondition || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// mergeRounds adds up the rounds of one phase: throughput over all their
// operations and time, p50 the median of the rounds' p50s, p99 the worst
// round's p99.
func mergeRounds(rs []loadtest.Result) loadtest.Result {
	if len(rs) == 0 {
		return loadtest.Result{}
	}
	out := rs[0]
	p50s := []time.Duration{rs[0].P50}
	for _, r := range rs[1:] {
		out.Ops += r.Ops
		out.Errors += r.Errors
		out.Elapsed += r.Elapsed
		out.P99 = max(out.P99, r.P99)
		out.Max = max(out.Max, r.Max)
		p50s = append(p50s, r.P50)
		if out.FirstError == "" {
			out.FirstError = r.FirstError
		}
	}
	sort.Slice(p50s, func(i, j int) bool { return p50s[i] < p50s[j] })
	out.P50 = p50s[len(p50s)/2]
	if out.Elapsed > 0 {
		out.Rate = float64(out.Ops) / out.Elapsed.Seconds()
	}
	return out
}

// cpuRatio is raw Fabric's CPU time per operation over the gateway's: the
// throughput ratio the two would have on a machine where nothing else ran
// and the CPU was the limit.
func (b *fabricBench) cpuRatio(gwPhase string, gwOps int, rawPhase string, rawOps int) float64 {
	g, r := b.cpuTotal(gwPhase), b.cpuTotal(rawPhase)
	if g <= 0 || r <= 0 || gwOps == 0 || rawOps == 0 {
		return 0
	}
	return (r.Seconds() / float64(rawOps)) / (g.Seconds() / float64(gwOps))
}

func (b *fabricBench) cpuTotal(phase string) time.Duration {
	var t time.Duration
	for _, d := range b.cpu[phase] {
		t += d
	}
	return t
}

func ratio(gw, raw loadtest.Result) float64 {
	if raw.Rate <= 0 {
		return 0
	}
	return gw.Rate / raw.Rate
}

func (b *fabricBench) passed() bool {
	return ratio(b.issue, b.put) >= fabricBenchTarget && ratio(b.verify, b.get) >= fabricBenchTarget &&
		b.issue.Errors == 0 && b.verify.Errors == 0
}

type comparison struct {
	what              string
	gw, direct, raw   loadtest.Result
	gwPhase, rawPhase string
	reference         bool // measured for comparison; the target is not its
}

func (b *fabricBench) comparisons() []comparison {
	return []comparison{
		{"issuance (POST /api/v1/credentials) vs raw kv put", b.issue, b.directIssue, b.put, loadtest.PhaseIssue, "kv put", false},
		{"verification (POST /api/v1/verify) vs raw kv get", b.verify, b.directGet, b.get, loadtest.PhaseVerify, "kv get", false},
		{"reference: issuance, one transaction each (--issue-batch 1 --issue-batches-in-flight 256)", b.issuePlain, b.directIssue, b.put, phaseIssuePlain, "kv put", true},
		{"reference: verification without the record cache (--record-cache 0)", b.verifyPlain, b.directGet, b.get, phaseVerifyPlain, "kv get", true},
	}
}

func (c comparison) verdict() string {
	if c.reference {
		return "reference"
	}
	return verdictAt(ratio(c.gw, c.raw))
}

func fms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func (b *fabricBench) writeTable(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "comparison\tgateway\tp50\tp99\terrors\tcontract direct\tp50\tp99\traw Fabric\tp50\tp99\terrors\tgateway/raw\tby CPU\tgateway/direct\tresult")
	for _, c := range b.comparisons() {
		r := ratio(c.gw, c.raw)
		fmt.Fprintf(tw, "%s\t%.0f/s\t%s\t%s\t%d\t%.0f/s\t%s\t%s\t%.0f/s\t%s\t%s\t%d\t%.0f%%\t%.0f%%\t%.0f%%\t%s\n", c.what, c.gw.Rate, fms(c.gw.P50), fms(c.gw.P99), c.gw.Errors,
			c.direct.Rate, fms(c.direct.P50), fms(c.direct.P99),
			c.raw.Rate, fms(c.raw.P50), fms(c.raw.P99), c.raw.Errors, r*100, b.cpuRatio(c.gwPhase, c.gw.Ops, c.rawPhase, c.raw.Ops)*100, ratio(c.gw, c.direct)*100, c.verdict())
	}
	tw.Flush()
	fmt.Fprintf(w, "batch timeout %s, %d clients, %s per phase; network up in %s, gateway up (with demo provisioning) in %s\n",
		b.batchTimeout, b.opts.Concurrency, b.opts.Duration, b.up.Round(100*time.Millisecond), b.gatewayUp.Round(100*time.Millisecond))
	for _, n := range b.issueNotes {
		fmt.Fprintf(w, "issue: %s\n", n)
	}
	for _, c := range b.comparisons() {
		for _, r := range []loadtest.Result{c.gw, c.direct, c.raw} {
			if r.FirstError != "" {
				fmt.Fprintf(w, "%s: first error: %s\n", r.Phase, r.FirstError)
			}
		}
	}
	fmt.Fprintln(w, "CPU time per operation, all processes (ms):")
	for _, x := range []struct {
		phase string
		ops   int
	}{{"kv put", b.put.Ops}, {"contract issue", b.directIssue.Ops}, {loadtest.PhaseIssue, b.issue.Ops}, {phaseIssuePlain, b.issuePlain.Ops},
		{loadtest.PhaseVerify, b.verify.Ops}, {phaseVerifyPlain, b.verifyPlain.Ops}, {"contract get", b.directGet.Ops}, {"kv get", b.get.Ops}} {
		fmt.Fprintf(w, "  %-14s %s\n", x.phase, b.cpuPerOp(x.phase, x.ops))
		if x.ops > 0 {
			names := make([]string, 0, len(b.cpu[x.phase]))
			for n := range b.cpu[x.phase] {
				names = append(names, n)
			}
			sort.Strings(names)
			var parts []string
			for _, n := range names {
				parts = append(parts, fmt.Sprintf("%s %.2f", n, float64(b.cpu[x.phase][n].Microseconds())/1000/float64(x.ops)))
			}
			fmt.Fprintf(w, "           %s\n", strings.Join(parts, ", "))
		}
	}
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "process\tRSS\tpeak RSS\t")
	for _, m := range b.memory {
		fmt.Fprintf(tw, "%s\t%d MB\t%d MB\t\n", m.name, m.rss/1024, m.peak/1024)
	}
	tw.Flush()
}

func verdictAt(r float64) string {
	if r >= fabricBenchTarget {
		return "PASS"
	}
	return "FAIL"
}

func (b *fabricBench) markdown(cmdline string) string {
	var s strings.Builder
	m := b.machine
	fmt.Fprintf(&s, "## Fabric: the gateway against raw Fabric on the same network\n\n")
	fmt.Fprintf(&s, "Measured %s with\n\n```sh\n%s\n```\n\n", b.start.Format("2006-01-02 15:04 MST"), cmdline)
	fmt.Fprintf(&s, "One run brings up a fresh network (3 Raft orderers; peers: gov, samr, edu, 2 x hrss; the certledger and kv chaincodes as services), ")
	fmt.Fprintf(&s, "starts `certledger serve --ledger fabric --demo` on it as a separate process (issuance batches and the record cache on, their defaults: docs/decisions/0006) and a reference gateway with `%s` (each issuance its own transaction, every verification read from a peer), then runs, each for %s with %d concurrent clients in the same client loop (`loadtest.RunOp`): ", strings.Join(plainGatewayArgs, " "), b.opts.Duration, b.opts.Concurrency)
	fmt.Fprintf(&s, "raw kv put (Fabric Gateway submit and commit wait, %d-byte value, through peer0.samr as samr), issuance through the gateway (business licences as samr, every acknowledged one read back), ", b.opts.ValueSize)
	fmt.Fprintf(&s, "POST /api/v1/verify with full documents (the %d credentials the phase issues first, in turn: after the first pass the default gateway answers their records from its record cache, so its row is the figure for repeated verifications and the reference row the figure for a credential's first one), raw kv get (evaluate through peer0.samr). ", 2*b.opts.Concurrency)
	fmt.Fprintf(&s, "*contract direct* calls CertLedger's contract straight through the Fabric Gateway client from the load tool (Issue with the same transient request and idempotency entry, documents signed in the load tool; GetRecord), so the gateway's own cost is the gap between it and the gateway column, and the contract's cost on Fabric the gap between it and raw kv. Network, gateway and clients share the machine.\n\n")
	fmt.Fprintf(&s, "| machine | |\n|---|---|\n| CPUs | %d |\n| CPU model | %s |\n", m.CPUs, m.CPUModel)
	if m.LoadAvg != "" {
		fmt.Fprintf(&s, "| load average at start | %s |\n", m.LoadAvg)
	}
	fmt.Fprintf(&s, "| orderer batch timeout | %s |\n| clients | %d |\n| rounds | %d x %s per phase, interleaved |\n\n", b.batchTimeout, b.opts.Concurrency, b.rounds, b.opts.Duration)
	fmt.Fprintf(&s, "| comparison | gateway | p50 | p99 | errors | contract direct | p50 | p99 | raw Fabric | p50 | p99 | errors | gateway / raw | target >= %.0f%% | gateway / raw by CPU | gateway / contract direct |\n", fabricBenchTarget*100)
	fmt.Fprintf(&s, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|--:|--:|\n")
	for _, c := range b.comparisons() {
		r := ratio(c.gw, c.raw)
		fmt.Fprintf(&s, "| %s | %.0f/s | %s | %s | %d | %.0f/s | %s | %s | %.0f/s | %s | %s | %d | %.0f%% | %s | %.0f%% | %.0f%% |\n", c.what, c.gw.Rate, fms(c.gw.P50), fms(c.gw.P99), c.gw.Errors,
			c.direct.Rate, fms(c.direct.P50), fms(c.direct.P99),
			c.raw.Rate, fms(c.raw.P50), fms(c.raw.P99), c.raw.Errors, r*100, c.verdict(), b.cpuRatio(c.gwPhase, c.gw.Ops, c.rawPhase, c.raw.Ops)*100, ratio(c.gw, c.direct)*100)
	}
	fmt.Fprintf(&s, "\n")
	if b.build > 0 {
		fmt.Fprintf(&s, "- Fabric binaries built first in %s (cold cache).\n", b.build.Round(time.Second))
	}
	fmt.Fprintf(&s, "- Network bring-up from nothing (binaries built): %s; gateway start with demo provisioning on the new channel: %s.\n",
		b.up.Round(100*time.Millisecond), b.gatewayUp.Round(100*time.Millisecond))
	for _, n := range b.issueNotes {
		fmt.Fprintf(&s, "- issue: %s\n", n)
	}
	fmt.Fprintf(&s, "\nThroughput is over all rounds; p50 is the median round's, p99 the worst round's. *gateway / raw by CPU* divides raw Fabric's CPU time per operation by the gateway's (every process on the machine, below): the ratio the two reach when the CPU is the limit and nothing else runs, which a shared machine's wall-clock figures only approximate.\n")
	fmt.Fprintf(&s, "\nCPU time per operation, summed over every process of the machine that took part (network nodes, gateway, load clients), from /proc/<pid>/stat. The issue phase includes reading every acknowledged credential back once (about one verification's cost); the verify phase excludes the issuances that seed it.\n\n")
	fmt.Fprintf(&s, "| phase | CPU per operation (by kind of process) |\n|---|---|\n")
	for _, x := range []struct {
		phase string
		ops   int
	}{{"kv put", b.put.Ops}, {"contract issue", b.directIssue.Ops}, {loadtest.PhaseIssue, b.issue.Ops}, {phaseIssuePlain, b.issuePlain.Ops},
		{loadtest.PhaseVerify, b.verify.Ops}, {phaseVerifyPlain, b.verifyPlain.Ops}, {"contract get", b.directGet.Ops}, {"kv get", b.get.Ops}} {
		fmt.Fprintf(&s, "| %s | %s |\n", x.phase, b.cpuPerOp(x.phase, x.ops))
	}
	fmt.Fprintf(&s, "\n| process | RSS at end | peak RSS |\n|---|--:|--:|\n")
	for _, mr := range b.memory {
		fmt.Fprintf(&s, "| %s | %d MB | %d MB |\n", mr.name, mr.rss/1024, mr.peak/1024)
	}
	return s.String()
}
