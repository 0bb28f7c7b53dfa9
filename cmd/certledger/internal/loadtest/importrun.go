package loadtest

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Targets of bulk imports on a 2-core machine (docs/decisions/0021).
const (
	TargetImport       = 20_000 // rows/s on the embedded ledger
	TargetFabricImport = 10_000 // rows/s on Fabric
)

// ImportBodyMemory is the body budget and import limit of the gateways the
// load tool starts for imports: the defaults (16 MiB and 64 MiB) cap an
// import at about 70,000 business-licence rows.
const ImportBodyMemory = 256 << 20

// importGatewayArgs give a `certledger serve` process that budget.
var importGatewayArgs = []string{"--body-memory", "256MiB", "--import-limit", "256MiB"}

// importPoll is how often a running batch is asked about: the time of an
// import is known to within it.
const importPoll = 50 * time.Millisecond

// DefaultImportSample is how many identifiers of an import are read back
// and verified.
const DefaultImportSample = 200

// importRun is one import sent, followed to its end and checked, through
// the HTTP API.
type importRun struct {
	Rows, Bytes int
	BatchID     string
	End         batchState // as the first answer saying it ended had it
	// Elapsed is from starting to send the file to the first answer saying
	// the batch ended; Accepted from the same start to the 202.
	Elapsed, Accepted time.Duration
	Check             rowCheck
	// Sampled identifiers were read back and verified; Verified passed.
	Sampled, Verified int
	VerifyErr         string
}

// rate is issued rows per second.
func (r importRun) rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Check.Issued) / r.Elapsed.Seconds()
}

// failures lists what breaks the import's promises.
func (r importRun) failures() []string {
	var out []string
	if r.End.Status != "done" {
		out = append(out, fmt.Sprintf("batch %s ended %q: %s", r.BatchID, r.End.Status, r.End.Detail))
	}
	c := r.Check
	if c.Failed > 0 {
		out = append(out, fmt.Sprintf("%d rows failed (%s)", c.Failed, c.reasons()))
	}
	if c.Missing > 0 {
		out = append(out, fmt.Sprintf("%d rows without a result", c.Missing))
	}
	if c.Unexpected > 0 {
		out = append(out, fmt.Sprintf("%d results for no row of the file, or a row's second", c.Unexpected))
	}
	if r.Verified < r.Sampled {
		out = append(out, fmt.Sprintf("%d of %d sampled identifiers did not read back and verify: %s", r.Sampled-r.Verified, r.Sampled, r.VerifyErr))
	}
	return out
}

// sendImport sends file, polls its batch until it ends (showing progress
// on w) and checks its results against the file's rows, adding the
// identifiers to ids.
func sendImport(ctx context.Context, api *importAPI, file importFile, ids *identities, w io.Writer) (importRun, error) {
	r := importRun{Rows: file.Rows(), Bytes: len(file.CSV)}
	start := time.Now()
	id, err := api.submit(ctx, file.Type.ID, file.CSV)
	if err != nil {
		return r, fmt.Errorf("send the import file: %w", err)
	}
	r.BatchID, r.Accepted = id, time.Since(start)
	shown := time.Now()
	for {
		b, err := api.batch(ctx, id)
		if err != nil {
			return r, fmt.Errorf("batch %s: %w", id, err)
		}
		if b.ended() {
			r.End, r.Elapsed = b, time.Since(start)
			break
		}
		if time.Since(shown) >= time.Second {
			progress(w, "import %s: %s, %d/%d rows done, %d failed", id, b.Status, b.Done, b.Total, b.Failed)
			shown = time.Now()
		}
		select {
		case <-ctx.Done():
			return r, ctx.Err()
		case <-time.After(importPoll):
		}
	}
	progress(w, "import %s: %s, %d/%d rows done, %d failed, in %s", id, r.End.Status, r.End.Done, r.End.Total, r.End.Failed, r.Elapsed.Round(time.Millisecond))
	res, err := api.results(ctx, id)
	if err != nil {
		return r, fmt.Errorf("batch %s results: %w", id, err)
	}
	r.Check = checkRows(file.Keys, res, ids)
	return r, nil
}

// verifySample reads k identifiers of the file's rows back as their issuer
// (GET /api/v1/credentials/{id}) and verifies each document (POST
// /api/v1/verify), workers at a time.
func (r *importRun) verifySample(ctx context.Context, api *importAPI, file importFile, ids *identities, k, workers int) {
	var todo []string
	for _, i := range sampleIndices(file.Rows(), k) {
		if id := ids.id(file.Keys[i]); id != "" {
			todo = append(todo, id)
		}
	}
	ok, firstErr := readBack(ctx, api, todo, workers, true)
	r.Sampled, r.Verified, r.VerifyErr = len(todo), ok, firstErr
}

// readBack reads each identifier back as its issuer, and with verify also
// verifies its document, workers at a time, each retried while the
// gateway's answer is transient. It returns how many passed and the first
// failure.
func readBack(ctx context.Context, api *importAPI, todo []string, workers int, verify bool) (int, string) {
	var mu sync.Mutex
	var next, ok int
	var firstErr string
	var wg sync.WaitGroup
	for range max(1, min(workers, len(todo))) {
		wg.Go(func() {
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= len(todo) || ctx.Err() != nil {
					return
				}
				err := retryTransient(ctx, func() error {
					doc, err := api.document(ctx, todo[i])
					if err == nil && verify {
						err = api.verify(ctx, doc)
					}
					return err
				})
				mu.Lock()
				if err == nil {
					ok++
				} else if firstErr == "" {
					firstErr = todo[i] + ": " + err.Error()
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return ok, firstErr
}

// registerCheck compares the department's register of the type before and
// after the imports with the identifiers they answered.
type registerCheck struct {
	Before, After  int
	Extra, Missing []string
	Took           time.Duration
	Err            string
}

func checkRegister(ctx context.Context, api *importAPI, typeID string, before map[string]bool, ids *identities) registerCheck {
	start := time.Now()
	after, err := api.register(ctx, typeID)
	c := registerCheck{Before: len(before), After: len(after), Took: time.Since(start)}
	if err != nil {
		c.Err = err.Error()
		return c
	}
	c.Extra, c.Missing = registerDiff(before, after, ids)
	return c
}

func (c registerCheck) failures() []string {
	var out []string
	if c.Err != "" {
		out = append(out, "reading the register failed: "+c.Err)
	}
	if len(c.Extra) > 0 {
		out = append(out, fmt.Sprintf("%d credentials in the register beyond the imported rows (%s)", len(c.Extra), strings.Join(c.Extra[:min(3, len(c.Extra))], ", ")))
	}
	if len(c.Missing) > 0 {
		out = append(out, fmt.Sprintf("%d imported identifiers missing from the register (%s)", len(c.Missing), strings.Join(c.Missing[:min(3, len(c.Missing))], ", ")))
	}
	return out
}

// describe is the check in one sentence, for reports.
func (c registerCheck) describe(imported int) string {
	if c.Err != "" {
		return "the register could not be read: " + c.Err
	}
	return fmt.Sprintf("the register (GET /api/v1/credentials?type=, all pages, %s) listed %d credentials of the type before and %d after: %d new, of which %d are no imported row's, and %d of the %d imported identifiers are missing",
		c.Took.Round(time.Millisecond), c.Before, c.After, c.After-c.Before, len(c.Extra), len(c.Missing), imported)
}

// identityFailures are the identity check's broken promises.
func identityFailures(ids *identities) []string {
	var out []string
	if n := len(ids.Conflicts); n > 0 {
		out = append(out, fmt.Sprintf("%d rows answered with two identifiers (%s)", n, ids.Conflicts[0]))
	}
	if n := len(ids.Shared); n > 0 {
		out = append(out, fmt.Sprintf("%d identifiers answered for two rows (%s)", n, ids.Shared[0]))
	}
	return out
}

// runTag names one run's rows, so runs on the same gateway never share one.
func runTag(prefix string) string { return prefix + strconv.FormatInt(time.Now().UnixNano(), 36) }
