package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/gateway/batchfile"
	"github.com/certledger/certledger/gateway/keystore"
)

// batchRunner runs imports one after another, each with
// Config.ImportWorkers issuances at once. Jobs left unfinished by a
// stop are taken up again when the gateway starts.
type batchRunner struct {
	store  *batchStore
	mu     sync.Mutex
	queue  []*batchJob
	mem    map[string][]batchfile.Row // dry runs' rows, never stored
	wake   chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	stop   sync.Once
}

// batchFlush is how many results are written to the store at once, and
// batchFlushEvery how long one waits at most.
const (
	batchFlush      = 512
	batchFlushEvery = 250 * time.Millisecond
)

func (s *Server) startBatches() error {
	if s.cfg.StateDir == "" || !s.cfg.KEK.Valid() {
		return nil
	}
	store, err := openBatchStore(s.cfg.StateDir, s.cfg.KEK)
	if err != nil {
		return err
	}
	r := &batchRunner{store: store, mem: map[string][]batchfile.Row{}, wake: make(chan struct{}, 1), done: make(chan struct{})}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	jobs, err := store.unfinished()
	if err != nil {
		store.close()
		return err
	}
	for _, j := range jobs {
		r.enqueue(j, nil)
	}
	s.batches = r
	go s.runBatches()
	return nil
}

// stopBatches stops the runner where it is (unfinished rows resume on the
// next start) and closes the store.
func (s *Server) stopBatches() error {
	if s.batches == nil {
		return nil
	}
	var err error
	s.batches.stop.Do(func() {
		s.batches.cancel()
		<-s.batches.done
		err = s.batches.store.close()
	})
	return err
}

func (r *batchRunner) enqueue(job *batchJob, rows []batchfile.Row) {
	r.mu.Lock()
	r.queue = append(r.queue, job)
	if job.DryRun && rows != nil {
		r.mem[job.ID] = rows
	}
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *batchRunner) next() (*batchJob, []batchfile.Row, bool) {
	for {
		r.mu.Lock()
		if len(r.queue) > 0 {
			job := r.queue[0]
			r.queue = r.queue[1:]
			rows := r.mem[job.ID]
			delete(r.mem, job.ID)
			r.mu.Unlock()
			return job, rows, true
		}
		r.mu.Unlock()
		select {
		case <-r.wake:
		case <-r.ctx.Done():
			return nil, nil, false
		}
	}
}

func (s *Server) runBatches() {
	r := s.batches
	defer close(r.done)
	for {
		job, rows, ok := r.next()
		if !ok {
			return
		}
		err := s.runBatch(r.ctx, job, rows)
		if r.ctx.Err() != nil {
			return // stopping: the job resumes on the next start
		}
		job.Status, job.Finished = batchDone, s.now()
		if err != nil {
			s.log.Error("import failed", slog.String("batch", job.ID), slog.String("error", err.Error()))
			job.Status, job.Fatal = batchFailed, "the import stopped: "+credential.ErrorMessage(err)
			if credential.ErrorCode(err) == credential.CodeInternal {
				job.Fatal = "the import stopped on an internal error; send the file again to finish it"
			}
		}
		if err := r.store.putJob(job); err != nil {
			s.log.Error("recording an import's end failed", slog.String("batch", job.ID), slog.String("error", err.Error()))
		}
	}
}

// batchRow is a row ready to issue.
type batchRow struct {
	idx int
	row batchfile.Row
	in  issueInput
	req credential.IssueRequest
}

// runBatch validates the rows without a result, then (unless a dry run)
// issues the valid ones.
func (s *Server) runBatch(ctx context.Context, job *batchJob, mem []batchfile.Row) error {
	if job.DryRun && mem == nil {
		return errors.New("the gateway restarted during the dry run, which keeps its rows in memory only; send it again")
	}
	reg, err := s.registry.fresh(ctx)
	if err != nil {
		return err
	}
	dept, ok := reg.Department(job.Dept)
	if !ok {
		return credential.Errorf(credential.ReasonUnknownDepartment, "department %s is no longer registered", job.Dept)
	}
	v := &batchValidator{s: s, reg: reg, dept: dept, job: job, seen: map[string]int{}}
	each := func(fn func(idx []int, rows []batchfile.Row) error) error {
		if mem == nil {
			return s.batches.store.pending(job.ID, fn)
		}
		idx := make([]int, len(mem))
		for i := range idx {
			idx[i] = i
		}
		return fn(idx, mem)
	}

	// Validation first: every row's problems are known before the first
	// issuance, and a row failing it gets its result now.
	job.Status = batchValidating
	err = each(func(idx []int, rows []batchfile.Row) error {
		var bad []int
		var res []batchResult
		for n, r := range rows {
			in, p := v.row(r)
			if p == nil {
				if first, dup := v.seenBefore(r, in); dup {
					p = &batchfile.Problem{Row: r.Number, Field: "key", Reason: string(credential.ReasonInvalidField),
						Detail: fmt.Sprintf("the same issuance as row %d (same key, or same content without a key)", first)}
				}
			}
			if p != nil {
				bad, res = append(bad, idx[n]), append(res, batchResult{Row: r.Number, Key: r.Key, Error: p})
				job.Failed++
				job.addErrors([]batchfile.Problem{*p})
			}
		}
		if job.DryRun {
			return nil // counted, not stored: the dry run's status lists them
		}
		return s.batches.store.record(job, bad, res)
	})
	if err != nil {
		return err
	}
	if job.DryRun {
		job.Done = job.Total - job.Failed
		return nil
	}
	job.Status = batchRunning
	if err := s.batches.store.putJob(job); err != nil {
		return err
	}
	key, err := s.signingKey(dept)
	if err != nil {
		return err
	}
	return s.issueBatchRows(ctx, job, dept, key, v, each)
}

// issueBatchRows issues the rows still without a result through the
// single issuance path, Config.ImportWorkers at once, and records their
// results in groups.
func (s *Server) issueBatchRows(ctx context.Context, job *batchJob, dept credential.Department, key keystore.SigningKey, v *batchValidator,
	each func(func([]int, []batchfile.Row) error) error) error {
	work := make(chan batchRow)
	type outcome struct {
		idx int
		res batchResult
	}
	outs := make(chan outcome, batchFlush)
	var workers sync.WaitGroup
	for range s.cfg.ImportWorkers {
		workers.Go(func() {
			for w := range work {
				id, err := s.issueBatchRow(ctx, dept, key, w)
				if ctx.Err() != nil {
					continue // not recorded: the row is issued again, idempotently, on resume
				}
				res := batchResult{Row: w.row.Number, Key: w.row.Key, ID: id}
				if err != nil {
					res.ID, res.Error = "", rowProblem(job.Format, w.row.Number, err)
				}
				outs <- outcome{w.idx, res}
			}
		})
	}
	flushed := make(chan error, 1)
	go func() {
		var idx []int
		var res []batchResult
		var ferr error
		tick := time.NewTicker(batchFlushEvery)
		defer tick.Stop()
		flush := func() {
			if len(idx) == 0 || ferr != nil {
				return
			}
			ferr = s.batches.store.record(job, idx, res)
			idx, res = idx[:0], res[:0]
		}
		for {
			select {
			case o, ok := <-outs:
				if !ok {
					flush()
					flushed <- ferr
					return
				}
				idx, res = append(idx, o.idx), append(res, o.res)
				if o.res.Error != nil {
					job.Failed++
					job.addErrors([]batchfile.Problem{*o.res.Error})
				} else {
					job.Done++
				}
				if len(idx) >= batchFlush {
					flush()
				}
			case <-tick.C:
				flush()
			}
		}
	}()
	err := each(func(idx []int, rows []batchfile.Row) error {
		for n, r := range rows {
			in, p := v.row(r)
			if p != nil {
				continue // recorded by the validation pass
			}
			select {
			case work <- batchRow{idx: idx[n], row: r, in: in, req: v.request(r, in)}:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	close(work)
	workers.Wait()
	close(outs)
	return errors.Join(err, <-flushed)
}

// issueBatchRow issues one row as POST /api/v1/credentials with an
// Idempotency-Key would: a row issued before answers its first credential.
func (s *Server) issueBatchRow(ctx context.Context, dept credential.Department, key keystore.SigningKey, w batchRow) (string, error) {
	var lastErr error
	for attempt := range batchRowAttempts {
		if attempt > 0 {
			if err := sleepCtx(ctx, time.Duration(attempt)*keyLagWait); err != nil {
				return "", err
			}
		}
		_, rec, replayed, err := s.issue(ctx, dept, key, w.in, w.req)
		if err == nil {
			outcome := "issued"
			if replayed {
				outcome = "replayed"
			}
			s.metrics.issuances.WithLabelValues(w.in.Type.ID, outcome).Inc()
			return rec.ID, nil
		}
		// A ledger that is busy or briefly away is waited for; anything
		// else is the row's outcome.
		if credential.ErrorCode(err) != credential.CodeUnavailable || ctx.Err() != nil {
			return "", err
		}
		lastErr = err
	}
	return "", lastErr
}

// batchRowAttempts bounds the tries of one row while the ledger is
// unavailable.
const batchRowAttempts = 5

// batchValidator validates rows as a single issuance is validated, and
// finds rows that would be the same issuance twice in one file.
type batchValidator struct {
	s    *Server
	reg  credential.Registry
	dept credential.Department
	job  *batchJob
	seen map[string]int // idempotency key → the row that first had it
}

// row validates r; the second result is its problem, if any.
func (v *batchValidator) row(r batchfile.Row) (issueInput, *batchfile.Problem) {
	body := issueBody{Type: r.Body.Type, Holder: r.Body.Holder, Fields: r.Body.Fields, ValidFrom: r.Body.ValidFrom, ValidUntil: r.Body.ValidUntil}
	if body.Type == "" {
		body.Type = v.job.Type
	} else if t, ok := v.reg.Type(strings.TrimSpace(body.Type)); !ok || t.ID != v.job.Type {
		return issueInput{}, &batchfile.Problem{Row: r.Number, Field: batchfile.FieldName(v.job.Format, "#/type"), Reason: string(credential.ReasonInvalidField),
			Detail: fmt.Sprintf("the row's type %q is not the batch's type %s", truncate(body.Type, 64), v.job.Type)}
	}
	if len(r.Key) > maxIdempotencyHeaderLen {
		return issueInput{}, &batchfile.Problem{Row: r.Number, Field: "key", Reason: string(credential.ReasonInvalidField),
			Detail: fmt.Sprintf("the key is longer than %d characters", maxIdempotencyHeaderLen)}
	}
	in, err := parseIssueBody(v.reg, v.dept, body, v.s.cfg.TimeZone)
	if err != nil {
		return in, rowProblem(v.job.Format, r.Number, err)
	}
	return in, nil
}

// seenBefore reports the earlier row of the same issuance in this file.
func (v *batchValidator) seenBefore(r batchfile.Row, in issueInput) (int, bool) {
	k := v.request(r, in).IdempotencyKey
	first, ok := v.seen[k]
	if !ok {
		v.seen[k] = r.Number
	}
	return first, ok && first != r.Number
}

// request is the row's issuance request: its idempotency key is the
// row's key, or without one its content, hashed with the gateway's key in
// a namespace of its own, so a row never collides with an API client's
// Idempotency-Key.
func (v *batchValidator) request(r batchfile.Row, in issueInput) credential.IssueRequest {
	canon := in.canonical()
	idem := []byte("content:" + string(canon))
	if r.Key != "" {
		idem = []byte("key:" + r.Key)
	}
	return credential.IssueRequest{
		HolderRef:      credential.HolderRef(v.s.secrets.HolderKey, v.dept.ID, in.Holder.IDType, in.Holder.IDNumber),
		APIKeyID:       v.job.APIKey,
		IdempotencyKey: v.s.keyedHash("certledger.import-row.v1", v.dept.ID, idem),
		RequestHash:    v.s.keyedHash("certledger.issue-request.v1", v.dept.ID, canon),
	}
}

// rowProblem words an issuance error as the row's problem: its first
// field problem (column or pointer), or the error itself.
func rowProblem(f batchfile.Format, row int, err error) *batchfile.Problem {
	var ae *apiError
	if errors.As(err, &ae) && len(ae.errors) > 0 {
		p := ae.errors[0]
		detail := p.Detail
		if len(ae.errors) > 1 {
			parts := make([]string, len(ae.errors))
			for i, e := range ae.errors {
				parts[i] = batchfile.FieldName(f, e.Pointer) + ": " + e.Detail
			}
			detail = strings.Join(parts, "; ")
		}
		return &batchfile.Problem{Row: row, Field: batchfile.FieldName(f, p.Pointer), Reason: p.Reason, Detail: detail}
	}
	if ae != nil {
		return &batchfile.Problem{Row: row, Reason: ae.reason, Detail: ae.detail}
	}
	reason := credential.ErrorReason(err)
	detail := credential.ErrorMessage(err)
	if credential.ErrorCode(err) == credential.CodeInternal {
		detail = "an internal error; send the row again"
	}
	var ce *credential.Error
	field := ""
	if errors.As(err, &ce) && ce.Pointer != "" {
		field = batchfile.FieldName(f, "#"+ce.Pointer)
	}
	return &batchfile.Problem{Row: row, Field: field, Reason: string(reason), Detail: detail}
}
