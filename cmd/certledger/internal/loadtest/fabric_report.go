package loadtest

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// FabricReport is what one Fabric benchmark measured.
type FabricReport struct {
	cfg          FabricConfig
	start        time.Time
	machine      Machine
	batchTimeout string
	build        time.Duration // 0 when the binaries were cached
	up           time.Duration
	gatewayUp    time.Duration
	put, get     Result
	// direct: CertLedger's contract called straight through the Fabric
	// Gateway client (documents signed by this process), which separates
	// the cost of the contract on Fabric from the cost of the gateway.
	directIssue, directGet Result
	issue                  Result
	verify                 Result
	// plain: a second gateway without docs/decisions/0006 (every issuance
	// its own transaction, no record cache), for reference.
	issuePlain, verifyPlain Result
	// wallet: GET /api/v1/me/credentials for a holder with
	// WalletCredentials credentials; holderQuery: the gateway's
	// GetCredentialsByHolder query evaluated directly.
	wallet, holderQuery Result
	issueNotes          []string
	rounds              int
	memory              []memoryRow
	// cpu is the CPU time each process spent in each phase: where an
	// operation's cost goes.
	cpu cpuByPhase
}

type memoryRow struct {
	name       string
	rss, peak  int64 // KB
	processPID int
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
func (b *FabricReport) cpuPerOp(phase string, ops int) string {
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

// cpuRatio is raw Fabric's CPU time per operation over the gateway's: the
// throughput ratio the two would have on a machine where nothing else ran
// and the CPU was the limit.
func (b *FabricReport) cpuRatio(gwPhase string, gwOps int, rawPhase string, rawOps int) float64 {
	g, r := b.cpuTotal(gwPhase), b.cpuTotal(rawPhase)
	if g <= 0 || r <= 0 || gwOps == 0 || rawOps == 0 {
		return 0
	}
	return (r.Seconds() / float64(rawOps)) / (g.Seconds() / float64(gwOps))
}

func (b *FabricReport) cpuTotal(phase string) time.Duration {
	var t time.Duration
	for _, d := range b.cpu[phase] {
		t += d
	}
	return t
}

func ratio(gw, raw Result) float64 {
	if raw.Rate <= 0 {
		return 0
	}
	return gw.Rate / raw.Rate
}

// Passed reports whether issuance and verification through the gateway
// reached FabricTarget of raw Fabric's throughput without errors.
func (b *FabricReport) Passed() bool {
	return ratio(b.issue, b.put) >= FabricTarget && ratio(b.verify, b.get) >= FabricTarget &&
		b.issue.Errors == 0 && b.verify.Errors == 0
}

type comparison struct {
	what              string
	gw, direct, raw   Result
	gwPhase, rawPhase string
	reference         bool // measured for comparison; the target is not its
}

func (b *FabricReport) comparisons() []comparison {
	return []comparison{
		{"issuance (POST /api/v1/credentials) vs raw kv put", b.issue, b.directIssue, b.put, PhaseIssue, "kv put", false},
		{"verification (POST /api/v1/verify) vs raw kv get", b.verify, b.directGet, b.get, PhaseVerify, "kv get", false},
		{"reference: issuance, one transaction each (--issue-batch 1 --issue-batches-in-flight 256)", b.issuePlain, b.directIssue, b.put, phaseIssuePlain, "kv put", true},
		{"reference: verification without the record cache (--record-cache 0)", b.verifyPlain, b.directGet, b.get, phaseVerifyPlain, "kv get", true},
		{fmt.Sprintf("a holder's list of %d (GET /api/v1/me/credentials) vs the same GetCredentialsByHolder evaluated directly", WalletCredentials), b.wallet, b.holderQuery, b.holderQuery, PhaseWallet, phaseHolderQuery, true},
	}
}

func (c comparison) verdict() string {
	if c.reference {
		return "reference"
	}
	return verdictAt(ratio(c.gw, c.raw))
}

func fms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// phaseOps are the phases in the order of the CPU tables, with their
// successful operations.
func (b *FabricReport) phaseOps() []struct {
	phase string
	ops   int
} {
	return []struct {
		phase string
		ops   int
	}{{"kv put", b.put.Ops}, {"contract issue", b.directIssue.Ops}, {PhaseIssue, b.issue.Ops}, {phaseIssuePlain, b.issuePlain.Ops},
		{PhaseVerify, b.verify.Ops}, {phaseVerifyPlain, b.verifyPlain.Ops}, {"contract get", b.directGet.Ops}, {"kv get", b.get.Ops},
		{PhaseWallet, b.wallet.Ops}, {phaseHolderQuery, b.holderQuery.Ops}}
}

// WriteTable prints the comparisons, CPU time per operation and memory.
func (b *FabricReport) WriteTable(w io.Writer) {
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
		b.batchTimeout, b.cfg.Concurrency, b.cfg.Duration, b.up.Round(100*time.Millisecond), b.gatewayUp.Round(100*time.Millisecond))
	for _, n := range b.issueNotes {
		fmt.Fprintf(w, "issue: %s\n", n)
	}
	for _, c := range b.comparisons() {
		for _, r := range []Result{c.gw, c.direct, c.raw} {
			if r.FirstError != "" {
				fmt.Fprintf(w, "%s: first error: %s\n", r.Phase, r.FirstError)
			}
		}
	}
	fmt.Fprintln(w, "CPU time per operation, all processes (ms):")
	for _, x := range b.phaseOps() {
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
	if r >= FabricTarget {
		return "PASS"
	}
	return "FAIL"
}
