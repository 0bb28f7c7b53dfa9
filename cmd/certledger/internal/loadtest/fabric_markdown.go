package loadtest

import (
	"fmt"
	"strings"
	"time"
)

// Markdown renders the Fabric section of docs/benchmarks.md, naming the
// command line that produced it.
func (b *FabricReport) Markdown(cmdline string) string {
	var s strings.Builder
	m := b.machine
	fmt.Fprintf(&s, "## Fabric: the gateway against raw Fabric on the same network\n\n")
	fmt.Fprintf(&s, "Measured %s with\n\n```sh\n%s\n```\n\n", b.start.Format("2006-01-02 15:04 MST"), cmdline)
	fmt.Fprintf(&s, "One run brings up a fresh network (3 Raft orderers; peers: gov, samr, edu, 2 x hrss; the certledger and kv chaincodes as services), ")
	fmt.Fprintf(&s, "starts `certledger serve --ledger fabric --demo` on it as a separate process (issuance batches and the record cache on, their defaults: docs/decisions/0006; rate limits off with `%s`, since all the load comes from one address) and a reference gateway with `%s` (each issuance its own transaction, every verification read from a peer), then runs, each for %s with %d concurrent clients in the same client loop (`loadtest.RunOp`): ", strings.Join(unlimitedArgs, " "), strings.Join(plainGatewayArgs, " "), b.cfg.Duration, b.cfg.Concurrency)
	fmt.Fprintf(&s, "raw kv put (Fabric Gateway submit and commit wait, %d-byte value, through peer0.samr as samr), issuance through the gateway (business licences as samr, every acknowledged one read back), ", b.cfg.ValueSize)
	fmt.Fprintf(&s, "POST /api/v1/verify with full documents (the %d credentials the phase issues first, in turn: after the first pass the default gateway answers their records from its record cache, so its row is the figure for repeated verifications and the reference row the figure for a credential's first one), raw kv get (evaluate through peer0.samr). ", 2*b.cfg.Concurrency)
	fmt.Fprintf(&s, "*contract direct* calls CertLedger's contract straight through the Fabric Gateway client from the load tool (Issue with the same transient request and idempotency entry, documents signed in the load tool; GetRecord), so the gateway's own cost is the gap between it and the gateway column, and the contract's cost on Fabric the gap between it and raw kv. Network, gateway and clients share the machine. ")
	fmt.Fprintf(&s, "The holder's list row: a demo citizen signed in through the gateway's demo identity provider (the production session path: /me/login, the provider's login form, the sealed session cookie) after %d credentials were issued to them through the API, then GET /api/v1/me/credentials with that cookie, against the gateway's own GetCredentialsByHolder query (the same references, built from the gateway's holder key) evaluated directly as governance on its peer, as the gateway does; both its *contract direct* and *raw Fabric* columns are that query.\n\n", WalletCredentials)
	fmt.Fprintf(&s, "| machine | |\n|---|---|\n| CPUs | %d |\n| CPU model | %s |\n", m.CPUs, m.CPUModel)
	if m.LoadAvg != "" {
		fmt.Fprintf(&s, "| load average at start | %s |\n", m.LoadAvg)
	}
	fmt.Fprintf(&s, "| orderer batch timeout | %s |\n| clients | %d |\n| rounds | %d x %s per phase, interleaved |\n\n", b.batchTimeout, b.cfg.Concurrency, b.rounds, b.cfg.Duration)
	fmt.Fprintf(&s, "| comparison | gateway | p50 | p99 | errors | contract direct | p50 | p99 | raw Fabric | p50 | p99 | errors | gateway / raw | target >= %.0f%% | gateway / raw by CPU | gateway / contract direct |\n", FabricTarget*100)
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
	for _, x := range b.phaseOps() {
		fmt.Fprintf(&s, "| %s | %s |\n", x.phase, b.cpuPerOp(x.phase, x.ops))
	}
	fmt.Fprintf(&s, "\n| process | RSS at end | peak RSS |\n|---|--:|--:|\n")
	for _, mr := range b.memory {
		fmt.Fprintf(&s, "| %s | %d MB | %d MB |\n", mr.name, mr.rss/1024, mr.peak/1024)
	}
	return s.String()
}
