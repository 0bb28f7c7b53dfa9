package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Targets of the abuse benchmark: a gateway under the review's
// reproductions stays under AbusePeakRSS, and wrong API keys are mostly
// answered 429 once the failure budget is spent.
const (
	AbusePeakRSS  = 300_000_000 // bytes
	AbuseShare429 = 0.90
)

// Markers of the section `certledger bench-abuse --write` owns.
const (
	AbuseSectionBegin = "<!-- certledger-bench-abuse:begin -->"
	AbuseSectionEnd   = "<!-- certledger-bench-abuse:end -->"
)

// AbuseKind is what an abuse case sends.
type AbuseKind string

// The kinds of abuse case.
const (
	// KindGzipBomb posts gzip(gzip(Size zeros)) with Content-Encoding: gzip.
	KindGzipBomb AbuseKind = "gzip-bomb"
	// KindPicture uploads a white Size×Size PNG to the page's form.
	KindPicture AbuseKind = "picture"
	// KindUploadFlood posts upload forms of exactly Size bytes to POST /v.
	KindUploadFlood AbuseKind = "upload-flood"
	// KindBodyFlood posts JSON bodies of exactly Size bytes to Path.
	KindBodyFlood AbuseKind = "body-flood"
	// KindWrongKey sends random wrong API keys to an authenticated route.
	KindWrongKey AbuseKind = "wrong-key"
)

// AbuseCase is one reproduction, run against a fresh gateway.
type AbuseCase struct {
	Name string
	Kind AbuseKind
	// Path is the route the case targets.
	Path string
	// Clients send at once: for Duration, each again as soon as it has
	// its answer, or, with Rounds, each once a round.
	Clients  int
	Duration time.Duration
	Rounds   int
	// Size is the bomb's inflated size, the picture's side in pixels or
	// the flood's body size in bytes.
	Size int64
	// ServeArgs turn off the limits that would keep the case from
	// reaching what it tests; everything else is at its default.
	ServeArgs []string
}

// perAddressOff are the limits an attacker with many addresses does not
// meet: from the load tool's one address they would answer 429 (or refuse
// the connection) before the path under test is reached.
var perAddressOff = []string{"--rate-public", "off", "--max-conns-per-ip", "-1"}

// DefaultAbuseCases are the security review's reproductions at full size.
func DefaultAbuseCases(duration time.Duration, rounds int) []AbuseCase {
	return []AbuseCase{
		{Name: "decompression bomb", Kind: KindGzipBomb, Path: "/api/v1/verify", Clients: 64, Duration: duration, Size: 1 << 30, ServeArgs: perAddressOff},
		{Name: "picture over the pixel cap", Kind: KindPicture, Path: "/v", Clients: 16, Duration: duration, Size: 4096, ServeArgs: perAddressOff},
		{Name: "picture within the pixel cap", Kind: KindPicture, Path: "/v", Clients: 16, Duration: duration, Size: 2896, ServeArgs: perAddressOff},
		{Name: "upload body flood", Kind: KindUploadFlood, Path: "/v", Clients: 250, Rounds: rounds, Size: 4 << 20, ServeArgs: perAddressOff},
		{Name: "verify body flood", Kind: KindBodyFlood, Path: "/api/v1/verify", Clients: 1000, Rounds: rounds, Size: 256 << 10, ServeArgs: perAddressOff},
		{Name: "wrong-key flood", Kind: KindWrongKey, Path: "/api/v1/me", Clients: 64, Duration: duration},
	}
}

// AbuseConfig says how to run the abuse benchmark.
type AbuseConfig struct {
	// Exe is the certledger binary whose `serve` runs each gateway.
	Exe   string
	Cases []AbuseCase
	// Progress receives a line per case (default os.Stderr).
	Progress io.Writer
}

// ErrNoProcStatus: peak memory is read from /proc/<pid>/status, which
// only Linux has.
var ErrNoProcStatus = errors.New("bench-abuse reads each gateway's peak memory (VmHWM) from /proc/<pid>/status, which only Linux has; skipped")

// RunAbuse runs every case against a gateway of its own.
func RunAbuse(ctx context.Context, cfg AbuseConfig) (*AbuseReport, error) {
	if runtime.GOOS != "linux" {
		return nil, ErrNoProcStatus
	}
	if cfg.Exe == "" || len(cfg.Cases) == 0 {
		return nil, errors.New("the certledger binary and at least one case must be given")
	}
	if cfg.Progress == nil {
		cfg.Progress = os.Stderr
	}
	r := &AbuseReport{Start: time.Now().UTC(), Machine: ThisMachine()}
	for _, c := range cfg.Cases {
		fmt.Fprintf(cfg.Progress, "bench-abuse: %s ...\n", c.Name)
		res, err := runAbuseCase(ctx, cfg.Exe, c)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.Name, err)
		}
		fmt.Fprintf(cfg.Progress, "bench-abuse: %s: %d requests, %s, %d errors, peak RSS %s: %s\n",
			c.Name, res.Requests, res.statusSummary(), res.Errors, mbytes(res.PeakRSS), verdict(res.Pass))
		r.Results = append(r.Results, res)
		if ctx.Err() != nil {
			return nil, errors.New("interrupted")
		}
	}
	return r, nil
}

// runAbuseCase starts a fresh gateway, sends the case's load and reads
// the gateway's peak memory before stopping it.
func runAbuseCase(ctx context.Context, exe string, c AbuseCase) (AbuseResult, error) {
	load, err := newAbuseLoad(c)
	if err != nil {
		return AbuseResult{}, err
	}
	g, err := startAbuseGateway(ctx, exe, c.ServeArgs)
	if err != nil {
		return AbuseResult{}, err
	}
	defer g.stop()
	res := AbuseResult{Case: c, PayloadBytes: load.size, StartRSS: g.peakRSS()}
	t := runLoad(ctx, g.url, c, load)
	res.tally, res.Elapsed = t, t.elapsed
	res.PeakRSS = g.peakRSS()
	res.Survived = g.alive() && g.healthy()
	if !res.Survived {
		res.Notes = append(res.Notes, "The gateway did not survive the case: "+g.logTail())
	}
	res.judge()
	return res, nil
}

// SelectAbuseCases keeps the cases whose kind is among names
// (comma-separated; empty or "all": every case).
func SelectAbuseCases(cases []AbuseCase, names string) ([]AbuseCase, error) {
	if names == "" || names == "all" {
		return cases, nil
	}
	var out []AbuseCase
	for _, n := range strings.Split(names, ",") {
		n = strings.TrimSpace(n)
		found := false
		for _, c := range cases {
			if string(c.Kind) == n {
				out, found = append(out, c), true
			}
		}
		if !found {
			var kinds []string
			for _, c := range cases {
				if !slices.Contains(kinds, string(c.Kind)) {
					kinds = append(kinds, string(c.Kind))
				}
			}
			return nil, fmt.Errorf("unknown case %q (cases: %s)", n, strings.Join(kinds, ", "))
		}
	}
	return out, nil
}
