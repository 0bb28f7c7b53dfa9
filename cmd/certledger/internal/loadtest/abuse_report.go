package loadtest

import (
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// AbuseReport is the outcome of every case of a run.
type AbuseReport struct {
	Start   time.Time
	Machine Machine
	Results []AbuseResult
}

// AbuseResult is one case's outcome.
type AbuseResult struct {
	Case AbuseCase
	*tally
	Elapsed      time.Duration
	PayloadBytes int
	// StartRSS is the gateway's peak RSS once healthy, before the case;
	// PeakRSS after it (bytes).
	StartRSS, PeakRSS int64
	// Survived: the gateway still ran and answered /healthz afterwards.
	Survived bool
	Pass     bool
	Notes    []string
}

// expectedStatuses are the answers each kind of case should get from the
// gateway; any other is noted.
var expectedStatuses = map[AbuseKind][]int{
	KindGzipBomb:    {http.StatusUnsupportedMediaType},
	KindPicture:     {http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusServiceUnavailable},
	KindUploadFlood: {http.StatusBadRequest, http.StatusServiceUnavailable},
	KindBodyFlood:   {http.StatusBadRequest},
	KindWrongKey:    {http.StatusUnauthorized, http.StatusTooManyRequests},
}

// judge decides the result against its target and notes what stands out.
func (r *AbuseResult) judge() {
	if r.Case.Kind == KindWrongKey {
		r.Pass = r.Survived && r.share429() >= AbuseShare429 && r.NoRetryAfter == 0
		r.Notes = append(r.Notes, fmt.Sprintf("%.0f requests/s, %.2f%% of them answered 429", r.rate(), r.share429()*100))
		if r.NoRetryAfter > 0 {
			r.Notes = append(r.Notes, fmt.Sprintf("%d answers 429 came without Retry-After", r.NoRetryAfter))
		}
	} else {
		r.Pass = r.Survived && r.PeakRSS > 0 && r.PeakRSS < AbusePeakRSS
	}
	var odd []string
	for _, s := range slices.Sorted(maps.Keys(r.Status)) {
		if !slices.Contains(expectedStatuses[r.Case.Kind], s) {
			odd = append(odd, fmt.Sprintf("%d x %d", s, r.Status[s]))
		}
	}
	if len(odd) > 0 {
		r.Notes = append(r.Notes, "Unexpected answers: "+strings.Join(odd, ", "))
	}
	if r.Errors > 0 {
		var kinds []string
		for _, k := range slices.Sorted(maps.Keys(r.ErrorKinds)) {
			kinds = append(kinds, fmt.Sprintf("%s x %d", k, r.ErrorKinds[k]))
		}
		r.Notes = append(r.Notes, fmt.Sprintf("Requests without an answer: %s; the first: %s", strings.Join(kinds, ", "), r.FirstError))
	}
}

func (r *AbuseResult) share429() float64 {
	if r.Requests == 0 {
		return 0
	}
	return float64(r.Status[http.StatusTooManyRequests]) / float64(r.Requests)
}

func (r *AbuseResult) rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// target describes the result's target.
func (r *AbuseResult) target() string {
	if r.Case.Kind == KindWrongKey {
		return fmt.Sprintf("429 >= %.0f%%, each with Retry-After", AbuseShare429*100)
	}
	return "peak RSS < " + mbytes(AbusePeakRSS)
}

// statusSummary lists the answers by status, e.g. "415 x 12000".
func (t *tally) statusSummary() string {
	if len(t.Status) == 0 {
		return "no answers"
	}
	var parts []string
	for _, s := range slices.Sorted(maps.Keys(t.Status)) {
		parts = append(parts, fmt.Sprintf("%d x %d", s, t.Status[s]))
	}
	return strings.Join(parts, ", ")
}

// load describes what the case sent.
func (r *AbuseResult) load() string {
	c := r.Case
	how := fmt.Sprintf("%d clients for %s", c.Clients, c.Duration)
	if c.Rounds > 0 {
		how = fmt.Sprintf("%d clients at once, %d rounds", c.Clients, c.Rounds)
	}
	what := ""
	switch c.Kind {
	case KindGzipBomb:
		what = fmt.Sprintf("%d-byte gzip of gzip of %s of zeros, Content-Encoding: gzip", r.PayloadBytes, sizeText(c.Size))
	case KindPicture:
		what = fmt.Sprintf("%dx%d white RGBA PNG as field qr (%d-byte form)", c.Size, c.Size, r.PayloadBytes)
	case KindUploadFlood:
		what = fmt.Sprintf("%s upload forms (filler as field qr)", sizeText(c.Size))
	case KindBodyFlood:
		what = fmt.Sprintf("%s JSON bodies", sizeText(c.Size))
	case KindWrongKey:
		what = "a new random Bearer clk_ key each"
	}
	return fmt.Sprintf("%s %s: %s, %s", methodOf(c.Kind), c.Path, what, how)
}

func methodOf(k AbuseKind) string {
	if k == KindWrongKey {
		return "GET"
	}
	return "POST"
}

// sizeText writes a byte count in the largest binary unit that divides it.
func sizeText(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// mbytes writes bytes in MB of 10^6 bytes.
func mbytes(b int64) string { return fmt.Sprintf("%.0f MB", float64(b)/1e6) }

// Passed reports whether every case met its target.
func (a *AbuseReport) Passed() bool {
	for _, r := range a.Results {
		if !r.Pass {
			return false
		}
	}
	return len(a.Results) > 0
}

// WriteTable prints the results as an aligned table with notes below.
func (a *AbuseReport) WriteTable(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "case\trequests\tanswers\terrors\tpeak RSS\ttarget\tresult\t")
	for _, r := range a.Results {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\t%s\t%s\t\n", r.Case.Name, r.Requests, r.statusSummary(), r.Errors, mbytes(r.PeakRSS), r.target(), verdict(r.Pass))
	}
	tw.Flush()
	for _, r := range a.Results {
		fmt.Fprintf(w, "  %s: %s; %.1fs; gateway peak RSS %s when healthy\n", r.Case.Name, r.load(), r.Elapsed.Seconds(), mbytes(r.StartRSS))
		for _, n := range r.Notes {
			fmt.Fprintf(w, "  %s: %s\n", r.Case.Name, n)
		}
	}
}

// Markdown renders the abuse section of docs/benchmarks.md, naming the
// command line that produced it.
func (a *AbuseReport) Markdown(cmdline string) string {
	var s strings.Builder
	m := a.Machine
	fmt.Fprintf(&s, "## Abuse: the security review's reproductions\n\n")
	fmt.Fprintf(&s, "Measured %s with\n\n```sh\n%s\n```\n\n", a.Start.Format("2006-01-02 15:04 MST"), cmdline)
	fmt.Fprintf(&s, "Each case starts a fresh `certledger serve --demo` as a child process on a temporary data folder and a free loopback port, ")
	fmt.Fprintf(&s, "with the default limits (soft memory limit 1 GiB included; `CERTLEDGER_*`, `GOMEMLIMIT`, `GOGC` and `GODEBUG` are dropped from its environment) ")
	fmt.Fprintf(&s, "except the per-address ones (`%s`) where named: all the load comes from one address, and an attacker with many addresses does not meet them. ", strings.Join(perAddressOff, " "))
	fmt.Fprintf(&s, "It waits for `/healthz`, runs the case from the load tool's process, reads the gateway's peak RSS (VmHWM in /proc/<pid>/status, start-up included), checks `/healthz` again and stops the gateway. ")
	fmt.Fprintf(&s, "MB are 10^6 bytes. Errors are requests that got no answer: a gateway that refuses a body it has not read closes the connection, which a client still sending sees as a reset.\n\n")
	fmt.Fprintf(&s, "| machine | |\n|---|---|\n| CPUs | %d |\n| CPU model | %s |\n| Go | %s %s |\n", m.CPUs, m.CPUModel, m.GoVersion, m.OS)
	if m.LoadAvg != "" {
		fmt.Fprintf(&s, "| load average at start | %s |\n", m.LoadAvg)
	}
	fmt.Fprintf(&s, "\n| case | load | limits off | requests | answers | errors | peak RSS | target | result |\n|---|---|---|--:|---|--:|--:|---|---|\n")
	for _, r := range a.Results {
		off := "none"
		if len(r.Case.ServeArgs) > 0 {
			off = "`" + strings.Join(r.Case.ServeArgs, " ") + "`"
		}
		fmt.Fprintf(&s, "| %s | %s | %s | %d | %s | %d | %s | %s | %s |\n", r.Case.Name, r.load(), off, r.Requests, r.statusSummary(), r.Errors, mbytes(r.PeakRSS), r.target(), verdict(r.Pass))
	}
	fmt.Fprintf(&s, "\n")
	for _, r := range a.Results {
		fmt.Fprintf(&s, "- %s: %.1fs; the gateway's peak RSS was %s once healthy, before the case.", r.Case.Name, r.Elapsed.Seconds(), mbytes(r.StartRSS))
		for _, n := range r.Notes {
			fmt.Fprintf(&s, " %s.", strings.TrimSuffix(strings.ReplaceAll(n, "\n", " "), "."))
		}
		fmt.Fprintf(&s, "\n")
	}
	return s.String()
}
