package loadtest

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// summary is the comparison in a few lines, for the terminal and the
// Markdown section alike.
func (b *FabricImportReport) summary() []string {
	rows, issued, failed, elapsed := b.importTotals()
	lines := []string{
		fmt.Sprintf("raw kv put, %d clients: %d keys in %.1f s = **%.0f keys/s** (one key per put: %.0f credentials/s if each credential were one put), p50 %s, p99 %s, %d errors",
			b.cfg.Concurrency, b.put.Ops, b.put.Elapsed.Seconds(), b.put.Rate, b.put.Rate, fms(b.put.P50), fms(b.put.P99), b.put.Errors),
		fmt.Sprintf("import through the gateway: %d rows in %.1f s = **%.0f rows/s** (%d issued, %d without an identifier), target >= %s rows/s: %s",
			rows, elapsed.Seconds(), b.ImportRate(), issued, failed, thousands(TargetFabricImport), metOrMissed(b.ImportRate() >= TargetFabricImport)),
		fmt.Sprintf("import / raw put: **%.1fx** by throughput, %.1fx by CPU (raw put's CPU time per key over the import's per row, every process)", b.Ratio(), b.cpuRatio()),
		fmt.Sprintf("results: %d rows with an identifier, %d distinct identifiers; %d of %d sampled identifiers read back (GET /api/v1/credentials/{id}) and verified (POST /api/v1/verify)",
			issued, len(b.ids.byID), b.sampledVerified(), b.sampled()),
		b.register.describe(len(b.ids.byID)),
	}
	if f := b.Failures(); len(f) > 0 {
		lines = append(lines, "**FAIL**: "+strings.Join(f, "; "))
	} else {
		lines = append(lines, "**PASS**: every row has one identifier, no identifier is two rows', every sampled one verifies, and the register holds nothing beyond the rows")
	}
	return lines
}

func (b *FabricImportReport) sampled() (n int) {
	for _, r := range b.imports {
		n += r.Sampled
	}
	return n
}

func (b *FabricImportReport) sampledVerified() (n int) {
	for _, r := range b.imports {
		n += r.Verified
	}
	return n
}

// WriteTable prints the summary, the rounds and the CPU time per
// operation.
func (b *FabricImportReport) WriteTable(w io.Writer) {
	for _, l := range b.summary() {
		fmt.Fprintln(w, strings.ReplaceAll(l, "**", ""))
	}
	for _, l := range b.roundLines() {
		fmt.Fprintln(w, l)
	}
	_, issued, _, _ := b.importTotals()
	fmt.Fprintf(w, "CPU per raw put: %s\nCPU per imported row: %s\n", cpuPerOpMicros(b.cpu[phaseKVPut], b.put.Ops), cpuPerOpMicros(b.cpu[phaseImport], issued))
}

func (b *FabricImportReport) roundLines() []string {
	var out []string
	for i, run := range b.imports {
		p := b.puts[i]
		out = append(out, fmt.Sprintf("round %d: raw kv put %.0f keys/s (p50 %s, p99 %s); import %s: %d rows in %.2f s = %.0f rows/s (202 after %.2f s), %s",
			i+1, p.Rate, fms(p.P50), fms(p.P99), run.BatchID, run.Rows, run.Elapsed.Seconds(), run.rate(), run.Accepted.Seconds(), run.End.Status))
	}
	return out
}

// Markdown renders the section of docs/benchmarks.md, naming the command
// line that produced it.
func (b *FabricImportReport) Markdown(cmdline string) string {
	var s strings.Builder
	m := b.machine
	fmt.Fprintf(&s, "## Fabric: bulk import against raw Fabric puts on the same network\n\n")
	fmt.Fprintf(&s, "Measured %s with\n\n```sh\n%s\n```\n\n", b.start.Format("2006-01-02 15:04 MST"), cmdline)
	fmt.Fprintf(&s, "One run brings up a fresh network (3 Raft orderers; peers: gov, samr, edu, 2 x hrss; the certledger and kv chaincodes as services) and starts `certledger serve --ledger fabric --demo %s` on it as a separate process (rate limits off with `%s`; the body budget and import limit raised, since their defaults, 16 and 64 MiB, refuse an import file over 16 MiB). ",
		strings.Join(importGatewayArgs, " "), strings.Join(unlimitedArgs, " "))
	fmt.Fprintf(&s, "In each round (%d in all) it runs raw kv put for %s with %d clients (the client loop of every Fabric phase, `loadtest.RunOp`: a Fabric Gateway submit and its commit wait, a %d-byte value under a key of its own, through peer0.samr as samr; one key per put, so keys/s is the rate of writing one credential per put), ", b.cfg.Rounds, b.cfg.Duration, b.cfg.Concurrency, b.cfg.ValueSize)
	fmt.Fprintf(&s, "then sends a CSV file of %s %s rows (one credential each, every field filled, a key per row) as samr to `POST /api/v1/batches` and polls `GET /api/v1/batches/{id}` every %s until it says done; rows/s is the rows issued over the time from the upload's start to that answer. The import runs with the gateway's own concurrency; the %d clients are the raw side's. ",
		thousands(b.rows), b.typ, importPoll, b.cfg.Concurrency)
	fmt.Fprintf(&s, "After each import every row's result must hold an identifier, no two alike, and %d identifiers spread over the file must read back and verify; after the last, the department's register must list exactly the imported identifiers beyond what it listed before.\n\n", DefaultImportSample)
	fmt.Fprintf(&s, "| machine | |\n|---|---|\n| CPUs | %d |\n| CPU model | %s |\n", m.CPUs, m.CPUModel)
	if m.LoadAvg != "" {
		fmt.Fprintf(&s, "| load average at start | %s |\n", m.LoadAvg)
	}
	fmt.Fprintf(&s, "| orderer batch timeout | %s |\n| rounds | %d x (%s of raw kv put, then %s rows imported) |\n\n", b.batchTimeout, b.cfg.Rounds, b.cfg.Duration, thousands(b.rows))
	for _, l := range b.summary() {
		fmt.Fprintf(&s, "- %s\n", l)
	}
	fmt.Fprintf(&s, "\n| round | raw kv put | p50 | p99 | import | rows | time | rows/s | 202 after | failed rows | sampled, verified |\n|--:|--:|--:|--:|---|--:|--:|--:|--:|--:|--:|\n")
	for i, run := range b.imports {
		p := b.puts[i]
		fmt.Fprintf(&s, "| %d | %.0f keys/s | %s | %s | %s | %d | %.2f s | %.0f | %.2f s | %d | %d, %d |\n", i+1, p.Rate, fms(p.P50), fms(p.P99), run.End.Status,
			run.Rows, run.Elapsed.Seconds(), run.rate(), run.Accepted.Seconds(), run.Rows-run.Check.Issued, run.Sampled, run.Verified)
	}
	_, issued, _, _ := b.importTotals()
	fmt.Fprintf(&s, "\nCPU time per operation, summed over every process that took part (network nodes, gateway, load tool), from /proc/<pid>/stat:\n\n| phase | CPU per operation (by kind of process) |\n|---|---|\n")
	fmt.Fprintf(&s, "| raw kv put, per key | %s |\n| import, per row | %s |\n", cpuPerOpMicros(b.cpu[phaseKVPut], b.put.Ops), cpuPerOpMicros(b.cpu[phaseImport], issued))
	fmt.Fprintf(&s, "\n| process | RSS at end | peak RSS |\n|---|--:|--:|\n")
	for _, mr := range b.memory {
		fmt.Fprintf(&s, "| %s | %d MB | %d MB |\n", mr.name, mr.rss/1024, mr.peak/1024)
	}
	fmt.Fprintf(&s, "\n")
	if b.build > 0 {
		fmt.Fprintf(&s, "- Fabric binaries built first in %s (cold cache).\n", b.build.Round(time.Second))
	}
	fmt.Fprintf(&s, "- Network bring-up: %s; gateway start with demo provisioning: %s.\n", b.up.Round(100*time.Millisecond), b.gatewayUp.Round(100*time.Millisecond))
	return s.String()
}
