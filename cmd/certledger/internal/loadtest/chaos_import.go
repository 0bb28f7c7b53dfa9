package loadtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/certledger/certledger/credential"
)

// importFileRun is one file of the chaos import load, sent until every row
// has an identifier: again after a send the gateway never answered, and
// again (as docs/operations.md tells an operator) after a batch that ended
// with failed rows.
type importFileRun struct {
	name string // the fault it runs under, or "steady"
	file importFile

	mu        sync.Mutex
	last      batchState // the latest answer about the current send
	sends     []importSend
	upFails   int // sends the gateway never accepted (no answer, 5xx)
	pollFails int // batch reads that failed (no answer, 5xx)
	start     time.Time
	end       time.Time // every row had an identifier
	finished  bool
	abandoned bool   // still unfinished when its time ran out
	refused   string // a send refused for itself (4xx), which ends the file
	done      chan struct{}
}

// importSend is one accepted send of a file and how its batch ended.
type importSend struct {
	batch    string
	accepted time.Time
	end      batchState
	check    rowCheck
}

// state is the file's latest known batch state.
func (f *importFileRun) state() batchState {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last
}

// importLoad sends the chaos run's files, one at a time, as chaosDept.
type importLoad struct {
	api      *importAPI
	cfg      ChaosConfig
	typ      credential.CredentialType
	run      string
	ids      *identities
	idsMu    sync.Mutex
	files    []*importFileRun
	issuedMu sync.Mutex
	issued   int // rows with an identifier over the finished sends
}

// acknowledged is the rows answered with an identifier so far.
func (l *importLoad) acknowledged() int {
	l.issuedMu.Lock()
	defer l.issuedMu.Unlock()
	return l.issued
}

// start sends a new file in the background.
func (l *importLoad) start(ctx context.Context, name string) *importFileRun {
	f := &importFileRun{name: name, file: newImportFile(l.typ, l.cfg.ImportRows, fmt.Sprintf("%s-f%d", l.run, len(l.files))), start: time.Now(), done: make(chan struct{})}
	l.files = append(l.files, f)
	go func() {
		defer close(f.done)
		l.send(ctx, f)
	}()
	return f
}

// send sends f until every row has an identifier or ctx ends.
func (l *importLoad) send(ctx context.Context, f *importFileRun) {
	pause := func() bool { return sleepCtx(ctx, time.Second) == nil }
	for ctx.Err() == nil {
		id, err := l.api.submit(ctx, l.typ.ID, f.file.CSV)
		if err != nil {
			if !transient(err) {
				f.mu.Lock()
				f.refused = err.Error()
				f.mu.Unlock()
				return
			}
			f.mu.Lock()
			f.upFails++
			f.mu.Unlock()
			if !pause() {
				break
			}
			continue
		}
		s := importSend{batch: id, accepted: time.Now()}
		if s.end, err = l.follow(ctx, f, id); err != nil {
			if ctx.Err() == nil {
				f.mu.Lock()
				f.refused = err.Error()
				f.mu.Unlock()
			}
			break
		}
		var res []importResult
		if err := retryTransient(ctx, func() (err error) { res, err = l.api.results(ctx, id); return err }); err != nil {
			if ctx.Err() == nil {
				f.mu.Lock()
				f.refused = fmt.Sprintf("batch %s results: %s", id, err)
				f.mu.Unlock()
			}
			break
		}
		l.idsMu.Lock()
		s.check = checkRows(f.file.Keys, res, l.ids)
		l.idsMu.Unlock()
		f.mu.Lock()
		f.sends = append(f.sends, s)
		finished := s.end.Status == "done" && s.check.ok()
		if finished {
			f.finished, f.end = true, time.Now()
		}
		f.mu.Unlock()
		if finished {
			l.issuedMu.Lock()
			l.issued += s.check.Issued
			l.issuedMu.Unlock()
			return
		}
		if !pause() {
			break
		}
	}
	f.mu.Lock()
	f.abandoned = !f.finished && f.refused == ""
	f.mu.Unlock()
}

// follow polls batch id until it ends, through the gateway's absences.
func (l *importLoad) follow(ctx context.Context, f *importFileRun, id string) (batchState, error) {
	for {
		b, err := l.api.batch(ctx, id)
		switch {
		case err == nil:
			f.mu.Lock()
			f.last = b
			f.mu.Unlock()
			if b.ended() {
				return b, nil
			}
		case !transient(err):
			return b, fmt.Errorf("batch %s: %w", id, err)
		default:
			f.mu.Lock()
			f.pollFails++
			f.mu.Unlock()
		}
		if err := sleepCtx(ctx, 4*importPoll); err != nil {
			return b, err
		}
	}
}

// underWay starts a file and returns once its batch is well into issuing
// rows: running with a quarter of them done, or running for 2 s (an import
// may count its rows in large steps); or once the file is over. It says
// which.
func (l *importLoad) underWay(ctx context.Context, name string) (*importFileRun, string, error) {
	f := l.start(ctx, name)
	var running time.Time
	for {
		b := f.state()
		select {
		case <-f.done:
			return f, "the file was over before the fault: " + l.describe(f), nil
		default:
		}
		if b.Status == "running" && running.IsZero() {
			running = time.Now()
		}
		if b.Status == "running" && (4*(b.Done+b.Failed) >= b.Total || time.Since(running) >= 2*time.Second) {
			return f, fmt.Sprintf("batch %s running, %s of %s rows done", b.ID, thousands(b.Done+b.Failed), thousands(b.Total)), nil
		}
		if err := sleepCtx(ctx, importPoll); err != nil {
			return f, "", err
		}
	}
}

// finish waits for f; after drain (when positive) it gives f up.
func (l *importLoad) finish(ctx context.Context, f *importFileRun, cancel context.CancelFunc, drain time.Duration) error {
	var timeout <-chan time.Time
	if drain > 0 {
		timeout = time.After(drain)
	}
	select {
	case <-f.done:
	case <-timeout:
		cancel()
		<-f.done
	case <-ctx.Done():
		cancel()
		<-f.done
		return ctx.Err()
	}
	return nil
}

func (l *importLoad) describe(f *importFileRun) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.finished:
		return fmt.Sprintf("every row issued after %d sends, in %s", len(f.sends), f.end.Sub(f.start).Round(100*time.Millisecond))
	case f.refused != "":
		return "refused: " + f.refused
	default:
		return "given up"
	}
}

// RunChaosImport is the chaos run with bulk imports for load: a network
// with a gateway on it (import budget raised), a file of cfg.ImportRows
// rows imported first with nothing failing, then for each fault a new file
// whose batch is running when the fault strikes, followed until every row
// has an identifier (for up to cfg.Drain after the recovery). Then every
// identifier is read back, a sample verified, and the register compared
// with the rows.
func RunChaosImport(ctx context.Context, cfg ChaosConfig) (*ChaosImportReport, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.ImportRows < 1 {
		return nil, errors.New("a chaos import needs rows")
	}
	if cfg.BasePort == 0 {
		cfg.BasePort = DefaultFabricBasePort
	}
	if cfg.Drain <= 0 {
		cfg.Drain = DefaultChaosDrain
	}
	t, err := demoTypeOf(chaosDept)
	if err != nil {
		return nil, err
	}
	r := &ChaosImportReport{cfg: cfg, start: time.Now().UTC(), machine: ThisMachine(), typ: t.ID}
	e, keys, err := setUpChaos(ctx, cfg, &r.up, importGatewayArgs...)
	defer e.close()
	if err != nil {
		return nil, err
	}
	api := newImportAPI(e.gw.url, keys[chaosDept].APIKey, cfg.Concurrency)
	defer api.close()
	before, err := api.register(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	l := &importLoad{api: api, cfg: cfg, typ: t, run: runTag("chaos-"), ids: newIdentities()}
	r.load, r.ids = l, l.ids

	progress(cfg.Progress, "chaos: importing %d rows of %s as %s through %s with nothing failing", cfg.ImportRows, t.ID, chaosDept, e.gw.url)
	steadyCtx, cancel := context.WithCancel(ctx)
	f := l.start(steadyCtx, "steady: no fault")
	err = l.finish(ctx, f, cancel, 0)
	cancel()
	if err != nil {
		return nil, err
	}
	var current *importFileRun
	var stop context.CancelFunc = func() {}
	defer func() { stop() }()
	r.faults, err = injectFaults(ctx, e, cfg, faultHooks{
		before: func(name string) (string, error) {
			var fctx context.Context
			fctx, stop = context.WithCancel(ctx)
			var state string
			var err error
			current, state, err = l.underWay(fctx, name)
			return state, err
		},
		after: func() error {
			defer stop()
			return l.finish(ctx, current, stop, cfg.Drain)
		},
		count: l.acknowledged,
	})
	if err != nil {
		return nil, err
	}
	progress(cfg.Progress, "chaos: %d rows answered; reading every identifier back, verifying %d, reading the register", len(l.ids.byID), DefaultImportSample)
	r.check(ctx, api, before)
	if ctx.Err() != nil {
		return nil, errors.New("interrupted")
	}
	return r, nil
}

// check reads every identifier back, verifies a sample and compares the
// register with the rows.
func (r *ChaosImportReport) check(ctx context.Context, api *importAPI, before map[string]bool) {
	ids := r.ids.ids()
	start := time.Now()
	r.found, r.readErr = readBack(ctx, api, ids, r.cfg.Concurrency, false)
	r.readTook = time.Since(start)
	var sample []string
	for _, i := range sampleIndices(len(ids), DefaultImportSample) {
		sample = append(sample, ids[i])
	}
	r.sampled = len(sample)
	r.verified, r.verifyErr = readBack(ctx, api, sample, r.cfg.Concurrency, true)
	r.register = checkRegister(ctx, api, r.typ, before, r.ids)
}
