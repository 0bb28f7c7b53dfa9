package loadtest

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// ChaosReport is what one chaos run saw.
type ChaosReport struct {
	cfg     ChaosConfig
	start   time.Time
	machine Machine
	up      time.Duration
	faults  []fault
	load    loadResult
	ledger  ledgerCheck
}

// window is a stretch of the load: the steady start, or the time from one
// fault to the next (or to the end of the load).
type window struct {
	name       string
	from, to   time.Time
	fault      *fault
	acks       int
	outcomes   [numOutcomes]int
	stall      time.Duration // longest time without an acknowledgment
	p50, p99   time.Duration // of the acknowledged attempts
	maxLatency time.Duration
}

// windows cuts the load at each fault.
func (r *ChaosReport) windows() []window {
	ws := []window{{name: "steady load, before the first fault", from: r.load.start, to: r.load.end}}
	for i := range r.faults {
		f := &r.faults[i]
		ws[len(ws)-1].to = f.at
		ws = append(ws, window{name: f.name, from: f.at, to: r.load.end, fault: f})
	}
	ackTimes := make([]time.Time, len(r.load.acks))
	for i, a := range r.load.acks {
		ackTimes[i] = a.at
	}
	sort.Slice(ackTimes, func(i, j int) bool { return ackTimes[i].Before(ackTimes[j]) })
	for i := range ws {
		w := &ws[i]
		var lat []time.Duration
		for _, a := range r.load.attempts {
			if end := a.at.Add(a.latency); end.Before(w.from) || !end.Before(w.to) {
				continue
			}
			w.outcomes[a.out]++
			if a.out.acknowledged() {
				lat = append(lat, a.latency)
			}
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		w.p50, w.p99, w.maxLatency = percentile(lat, 50), percentile(lat, 99), percentile(lat, 100)
		for _, t := range ackTimes {
			if !t.Before(w.from) && t.Before(w.to) {
				w.acks++
			}
		}
		w.stall = longestGap(ackTimes, w.from, w.to)
	}
	return ws
}

// longestGap is the longest time in [from, to) with no acknowledgment in
// sorted, counted from the last acknowledgment before from (or from).
func longestGap(sorted []time.Time, from, to time.Time) time.Duration {
	i := sort.Search(len(sorted), func(i int) bool { return !sorted[i].Before(from) })
	prev := from
	if i > 0 {
		prev = sorted[i-1]
	}
	var longest time.Duration
	for ; i < len(sorted) && sorted[i].Before(to); i++ {
		longest = max(longest, sorted[i].Sub(prev))
		prev = sorted[i]
	}
	return max(longest, to.Sub(prev))
}

// totals counts every attempt's outcome.
func (r *ChaosReport) totals() [numOutcomes]int {
	var t [numOutcomes]int
	for _, a := range r.load.attempts {
		t[a.out]++
	}
	return t
}

// longestStall is the longest time without an acknowledgment over the
// whole load, and the window it fell in.
func (r *ChaosReport) longestStall() (time.Duration, string) {
	var d time.Duration
	var where string
	for _, w := range r.windows() {
		if w.stall > d {
			d, where = w.stall, w.name
		}
	}
	return d, where
}

// Failures lists what breaks the run's promises: an acknowledged
// credential not on the ledger, a logical issuance recorded twice, a 500,
// a 503 without Retry-After, a request refused for itself, an issuance
// still unacknowledged when the drain ended.
func (r *ChaosReport) Failures() []string {
	t := r.totals()
	var out []string
	add := func(n int, what string) {
		if n > 0 {
			out = append(out, fmt.Sprintf("%d %s", n, what))
		}
	}
	add(len(r.ledger.lost), "acknowledged credentials not found on the ledger")
	add(r.ledger.duplicates, "duplicate credentials on the ledger")
	add(t[out500], "answers 500 (or another 5xx but 503)")
	add(t[out503Bare], "answers 503 without Retry-After")
	add(t[outRejected], "requests refused (4xx)")
	add(len(r.load.abandoned), "issuances still unacknowledged when the drain ended")
	if len(r.load.acks) == 0 {
		out = append(out, "no issuance acknowledged")
	}
	return out
}

// Passed reports whether the run kept every promise (see Failures).
func (r *ChaosReport) Passed() bool { return len(r.Failures()) == 0 }

// errorColumns are the outcomes shown per window besides the acks.
var errorColumns = []outcome{outReplayed, out503Retry, out503Bare, out500, out429, outConflictRetry, outRejected, outNoAnswer, outTimeout}

func secs(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

func (r *ChaosReport) summary() []string {
	l, lg := r.load, r.ledger
	replayed := r.totals()[outReplayed]
	stall, where := r.longestStall()
	lines := []string{
		fmt.Sprintf("logical issuances (one Idempotency-Key each): %d started, %d acknowledged (%d of them answered as replays of a first attempt whose answer was lost), %d given up after the drain, %d refused",
			l.started, len(l.acks), replayed, len(l.abandoned), len(l.rejected)),
		fmt.Sprintf("HTTP attempts: %d; load %s, then up to %s for the last issuances", len(l.attempts), l.end.Sub(l.start).Round(time.Second), r.cfg.Drain),
		fmt.Sprintf("on the ledger afterwards: %d credentials of %s, %d of them this run's; acknowledged and found with the acknowledged digest: %d of %d; lost: %d; duplicates: %d (in %d logical issuances); recorded but never acknowledged: %d; read back in %s",
			lg.records, chaosDept, lg.ours, lg.found, len(l.acks), len(lg.lost), lg.duplicates, lg.dupIssuances, lg.unacked, lg.read.Round(time.Second)),
		fmt.Sprintf("longest stall (no acknowledgment): %s, in \"%s\"", secs(stall), where),
	}
	if len(lg.lost) > 0 {
		lines = append(lines, "lost: "+strings.Join(lg.lost[:min(10, len(lg.lost))], ", "))
	}
	return lines
}

// WriteTable prints the summary and the windows.
func (r *ChaosReport) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "chaos: %d clients issuing as %s, %s of load before the first fault and after each recovery, killed nodes down %s; network up in %s\n",
		r.cfg.Concurrency, chaosDept, r.cfg.Settle, r.cfg.Outage, r.up.Round(100*time.Millisecond))
	for _, s := range r.summary() {
		fmt.Fprintln(w, s)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := "window\tback after\tlongest stall\tacks\tp50\tp99\tmax"
	for _, o := range errorColumns {
		head += "\t" + o.String()
	}
	fmt.Fprintln(tw, head)
	for _, x := range r.windows() {
		fmt.Fprintln(tw, strings.Join(r.windowCells(x), "\t"))
	}
	tw.Flush()
	if f := r.Failures(); len(f) > 0 {
		fmt.Fprintf(w, "FAIL: %s\n", strings.Join(f, "; "))
	} else {
		fmt.Fprintln(w, "PASS: every acknowledged credential is on the ledger once, no 500, every 503 carried Retry-After")
	}
}

func (r *ChaosReport) windowCells(x window) []string {
	back := "-"
	if x.fault != nil {
		back = secs(x.fault.restored.Sub(x.fault.at))
	}
	cells := []string{x.name, back, secs(x.stall), fmt.Sprint(x.acks), fms(x.p50), fms(x.p99), fms(x.maxLatency)}
	for _, o := range errorColumns {
		cells = append(cells, fmt.Sprint(x.outcomes[o]))
	}
	return cells
}

// Markdown renders the chaos section of docs/benchmarks.md, naming the
// command line that produced it.
func (r *ChaosReport) Markdown(cmdline string) string {
	var s strings.Builder
	m := r.machine
	fmt.Fprintf(&s, "## Chaos: issuance through crashes and a network restart\n\n")
	fmt.Fprintf(&s, "Measured %s with\n\n```sh\n%s\n```\n\n", r.start.Format("2006-01-02 15:04 MST"), cmdline)
	fmt.Fprintf(&s, "A fresh network (3 Raft orderers; peers: gov, samr, edu, 2 x hrss) with `certledger serve --ledger fabric --demo` on it as a separate process (defaults, rate limits off). ")
	fmt.Fprintf(&s, "%d clients issue professional qualifications as %s through `POST /api/v1/credentials`, each logical issuance with its own `Idempotency-Key` and a holder name that numbers it; ", r.cfg.Concurrency, chaosDept)
	fmt.Fprintf(&s, "a client whose attempt fails (an error status, no answer, a timeout) sends the same request with the same key again, after the answer's `Retry-After` or a pause growing from 0.25 s to 2 s, until it is acknowledged (201). ")
	fmt.Fprintf(&s, "After %s of load, and %s after each recovery, the harness injects in turn: ", r.cfg.Settle, r.cfg.Settle)
	fmt.Fprintf(&s, "kill -9 of the orderer that leads Raft (found from `consensus_etcdraft_is_leader`), started again after %s; kill -9 of peer0.hrss, the peer the gateway endorses on first, started again after %s; kill -9 of the gateway, started again at once on the same data folder and address; ", r.cfg.Outage, r.cfg.Outage)
	fmt.Fprintf(&s, "`network down` (every node stopped with SIGTERM) and, %s later, `network up` on the same folder. When the load ends, the issuances under way are retried until acknowledged (for up to %s). ", r.cfg.Outage, r.cfg.Drain)
	fmt.Fprintf(&s, "Then the load tool lists every credential of %s on the ledger from its status lists (`GetStatusEntries`) and reads each one's document (`GetDocument`) straight from hrss's peers through the Fabric Gateway client: every acknowledged credential must be there with the acknowledged digest, and no holder name (logical issuance) may have two.\n\n", chaosDept)
	fmt.Fprintf(&s, "| machine | |\n|---|---|\n| CPUs | %d |\n| CPU model | %s |\n", m.CPUs, m.CPUModel)
	if m.LoadAvg != "" {
		fmt.Fprintf(&s, "| load average at start | %s |\n", m.LoadAvg)
	}
	fmt.Fprintf(&s, "| clients | %d |\n| network bring-up | %s |\n\n", r.cfg.Concurrency, r.up.Round(100*time.Millisecond))
	for _, line := range r.summary() {
		fmt.Fprintf(&s, "- %s\n", line)
	}
	if f := r.Failures(); len(f) > 0 {
		fmt.Fprintf(&s, "- **FAIL**: %s\n", strings.Join(f, "; "))
	} else {
		fmt.Fprintf(&s, "- **PASS**: every acknowledged credential is on the ledger, once; no answer was a 500; every 503 carried `Retry-After`.\n")
	}
	head := "| window | back after | longest stall | acks | p50 | p99 | max |"
	rule := "|---|--:|--:|--:|--:|--:|--:|"
	for _, o := range errorColumns {
		head += " " + o.String() + " |"
		rule += "--:|"
	}
	fmt.Fprintf(&s, "\n%s\n%s\n", head, rule)
	for _, x := range r.windows() {
		fmt.Fprintf(&s, "| %s |\n", strings.Join(r.windowCells(x), " | "))
	}
	fmt.Fprintf(&s, "\nEach window runs from its fault to the next one (the first from the start of the load, the last to its end); its counts are of the HTTP attempts answered (or failed) in it. *back after* is from the fault until the node, gateway or network was healthy again, *longest stall* the longest time in the window without any acknowledgment, counted from the last one before the window; p50, p99 and max are the latencies of the acknowledged attempts. *no answer* is a refused or broken connection (the gateway killed, or restarting).\n")
	return s.String()
}
