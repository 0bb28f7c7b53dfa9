package loadtest

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Markers of the section `certledger bench-fabric --chaos --import N
// --write` owns in a Markdown file.
const (
	ChaosImportSectionBegin = "<!-- certledger-bench-chaos-import:begin -->"
	ChaosImportSectionEnd   = "<!-- certledger-bench-chaos-import:end -->"
)

// ChaosImportReport is what one chaos run with imports for load saw.
type ChaosImportReport struct {
	cfg       ChaosConfig
	start     time.Time
	machine   Machine
	up        time.Duration
	typ       string
	faults    []fault
	load      *importLoad
	ids       *identities
	found     int // identifiers read back
	readErr   string
	readTook  time.Duration
	sampled   int
	verified  int
	verifyErr string
	register  registerCheck
}

// Failures lists what breaks the run's promises: a file whose rows did not
// all get an identifier, a row with two identifiers, an identifier of two
// rows, an identifier not on the ledger, a sampled one that does not
// verify, a register entry beyond the rows.
func (r *ChaosImportReport) Failures() []string {
	var out []string
	for _, f := range r.load.files {
		if !f.finished {
			out = append(out, fmt.Sprintf("%s: %s", f.name, r.load.describe(f)))
		}
	}
	out = append(out, identityFailures(r.ids)...)
	if n := len(r.ids.byID) - r.found; n > 0 {
		out = append(out, fmt.Sprintf("%d identifiers not read back from the ledger (%s)", n, r.readErr))
	}
	if r.verified < r.sampled {
		out = append(out, fmt.Sprintf("%d of %d sampled identifiers did not verify (%s)", r.sampled-r.verified, r.sampled, r.verifyErr))
	}
	out = append(out, r.register.failures()...)
	if len(r.ids.byID) == 0 {
		out = append(out, "no row imported")
	}
	return out
}

// faultOf is the fault file i ran under; nil for the steady file, or for
// one whose fault did not recover.
func (r *ChaosImportReport) faultOf(i int) *fault {
	if i < 1 || i > len(r.faults) {
		return nil
	}
	return &r.faults[i-1]
}

var chaosImportColumns = []string{"import", "when the fault struck", "back after", "sends", "sends unanswered", "batch reads failed",
	"rows failed in earlier sends", "all rows issued after", "rows/s", "result"}

func (r *ChaosImportReport) fileCells(i int, f *importFileRun) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	at, back := "-", "-"
	if x := r.faultOf(i); x != nil {
		at, back = x.load, secs(x.restored.Sub(x.at))
	}
	earlier := rowCheck{Reasons: map[string]int{}}
	for k, s := range f.sends {
		if k == len(f.sends)-1 && f.finished {
			break
		}
		earlier.Failed += s.check.Failed + s.check.Missing
		for reason, n := range s.check.Reasons {
			earlier.Reasons[reason] += n
		}
		if s.check.Missing > 0 {
			earlier.Reasons["no result"] += s.check.Missing
		}
	}
	failedBefore := "0"
	if earlier.Failed > 0 {
		failedBefore = fmt.Sprintf("%d (%s)", earlier.Failed, earlier.reasons())
	}
	took, rate, result := "-", "-", "PASS"
	if f.finished {
		d := f.end.Sub(f.start)
		took, rate = secs(d), fmt.Sprintf("%.0f", float64(f.file.Rows())/d.Seconds())
	} else {
		result = "FAIL: given up"
		if f.refused != "" {
			result = "FAIL: " + f.refused
		}
	}
	return []string{f.name, at, back, fmt.Sprint(len(f.sends)), fmt.Sprint(f.upFails), fmt.Sprint(f.pollFails), failedBefore, took, rate, result}
}

func (r *ChaosImportReport) summary() []string {
	total := 0
	for _, f := range r.load.files {
		total += f.file.Rows()
	}
	lines := []string{
		fmt.Sprintf("%d files of %s rows of %s (%s rows), one at a time as %s: %d distinct identifiers answered; rows answered with two identifiers over all sends: %d; identifiers answered for two rows: %d",
			len(r.load.files), thousands(r.cfg.ImportRows), r.typ, thousands(total), chaosDept, len(r.ids.byID), len(r.ids.Conflicts), len(r.ids.Shared)),
		fmt.Sprintf("read back afterwards (GET /api/v1/credentials/{id}, %d at a time): %d of %d identifiers, in %s; %d of %d sampled evenly verified (POST /api/v1/verify)",
			r.cfg.Concurrency, r.found, len(r.ids.byID), r.readTook.Round(time.Second), r.verified, r.sampled),
		r.register.describe(len(r.ids.byID)),
	}
	if f := r.Failures(); len(f) > 0 {
		lines = append(lines, "**FAIL**: "+strings.Join(f, "; "))
	} else {
		lines = append(lines, "**PASS**: every file's rows all issued, each row with one identifier over every send, no identifier twice, every identifier on the ledger, and nothing in the register beyond the rows")
	}
	return lines
}

// WriteTable prints the summary and the files.
func (r *ChaosImportReport) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "chaos with imports: files of %d rows as %s, killed nodes down %s; network up in %s\n", r.cfg.ImportRows, chaosDept, r.cfg.Outage, r.up.Round(100*time.Millisecond))
	for _, s := range r.summary() {
		fmt.Fprintln(w, strings.ReplaceAll(s, "**", ""))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(chaosImportColumns, "\t"))
	for i, f := range r.load.files {
		fmt.Fprintln(tw, strings.Join(r.fileCells(i, f), "\t"))
	}
	tw.Flush()
}

// Markdown renders the section of docs/benchmarks.md, naming the command
// line that produced it.
func (r *ChaosImportReport) Markdown(cmdline string) string {
	var s strings.Builder
	m := r.machine
	fmt.Fprintf(&s, "## Chaos: bulk imports through crashes and a network restart\n\n")
	fmt.Fprintf(&s, "Measured %s with\n\n```sh\n%s\n```\n\n", r.start.Format("2006-01-02 15:04 MST"), cmdline)
	fmt.Fprintf(&s, "A fresh network (3 Raft orderers; peers: gov, samr, edu, 2 x hrss) with `certledger serve --ledger fabric --demo %s` on it as a separate process. ", strings.Join(importGatewayArgs, " "))
	fmt.Fprintf(&s, "The load tool sends CSV files of %s %s rows as %s to `POST /api/v1/batches`, one at a time, each row with a key of its own, and follows each batch with `GET /api/v1/batches/{id}` through every absence of the gateway. ", thousands(r.cfg.ImportRows), r.typ, chaosDept)
	fmt.Fprintf(&s, "A send the gateway did not accept (no answer, 5xx) is sent again; a batch that ends with rows failed is sent again whole, as docs/operations.md tells an operator (its issued rows must then answer their first identifier). ")
	fmt.Fprintf(&s, "The first file runs with nothing failing; then, for each fault, a new file is sent and the fault struck once its batch has a quarter of its rows done, or has been running for 2 s: kill -9 of the orderer that leads Raft, started again after %s; kill -9 of peer0.hrss, started again after %s; kill -9 of the gateway, started again at once on the same data folder (its unfinished batch resumes from imports.db); `network down` and, %s later, `network up` on the same folder. ", r.cfg.Outage, r.cfg.Outage, r.cfg.Outage)
	fmt.Fprintf(&s, "Each file has %s after its fault's recovery to have every row issued. Afterwards every identifier answered is read back as its issuer (`GET /api/v1/credentials/{id}`, the record and the document from the ledger), %d spread over them are verified (`POST /api/v1/verify`), and hrss's register (`GET /api/v1/credentials?type=`) must list exactly the answered identifiers beyond what it listed before the first file: a row issued twice, or a credential beyond the rows, would show there.\n\n", r.cfg.Drain, DefaultImportSample)
	fmt.Fprintf(&s, "| machine | |\n|---|---|\n| CPUs | %d |\n| CPU model | %s |\n", m.CPUs, m.CPUModel)
	if m.LoadAvg != "" {
		fmt.Fprintf(&s, "| load average at start | %s |\n", m.LoadAvg)
	}
	fmt.Fprintf(&s, "| network bring-up | %s |\n\n", r.up.Round(100*time.Millisecond))
	for _, line := range r.summary() {
		fmt.Fprintf(&s, "- %s\n", line)
	}
	fmt.Fprintf(&s, "\n| %s |\n|---|---|--:|--:|--:|--:|---|--:|--:|---|\n", strings.Join(chaosImportColumns, " | "))
	for i, f := range r.load.files {
		fmt.Fprintf(&s, "| %s |\n", strings.Join(r.fileCells(i, f), " | "))
	}
	fmt.Fprintf(&s, "\n*when the fault struck* is the batch's state as last polled before the fault; *back after* from the fault until the node, gateway or network was healthy again; *sends* the files the gateway accepted (202), *sends unanswered* those it did not, *batch reads failed* the polls with no answer or a 5xx; *all rows issued after* is from the file's first send until the results of one send held every row's identifier, and rows/s the file's rows over that time.\n")
	return s.String()
}
