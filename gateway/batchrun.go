package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/gateway/batchfile"
)

// batchRunner runs imports one after another, each as anchored batches
// (batchanchor.go). Jobs left unfinished by a stop are taken up again when
// the gateway starts.
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
		if err := r.store.mergeImported(); err != nil {
			s.log.Error("recording an import's rows failed", slog.String("batch", job.ID), slog.String("error", err.Error()))
		}
	}
}

// runBatch validates the rows without a result and (unless a dry run)
// issues the valid ones as anchored batches.
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
	if job.DryRun {
		for _, c := range v.checkFile(mem) {
			if c.problem != nil {
				job.Failed++
				job.addErrors([]batchfile.Problem{*c.problem})
			}
		}
		job.Done = job.Total - job.Failed
		return nil
	}
	// One pass in file order: a row is read and validated once, and a row
	// failing validation gets its result with the rows anchored around it.
	job.Status = batchRunning
	if job.AnchorSize == 0 {
		job.AnchorSize = s.cfg.ImportAnchorSize
	}
	// Rows logged before a stop join the department's record, so the
	// rows after them find them.
	if err := s.batches.store.mergeImported(); err != nil {
		return err
	}
	if err := s.batches.store.putJob(job); err != nil {
		return err
	}
	t, ok := reg.Type(job.Type)
	if !ok {
		return credential.Errorf(credential.ReasonUnknownType, "credential type %s is no longer registered", job.Type)
	}
	key, err := s.signingKey(dept)
	if err != nil {
		return err
	}
	imp := s.newAnchorImport(ctx, job, anchorIssuer{dept: dept, typ: t, key: key})
	return imp.finish(s.batches.store.pending(job.ID, func(idx []int, rows []batchfile.Row) error { return imp.take(idx, rows, v.checkFile(rows)) }))
}

// batchValidator validates rows as a single issuance is validated, and
// finds rows that would be the same issuance twice in one file.
type batchValidator struct {
	s    *Server
	reg  credential.Registry
	dept credential.Department
	job  *batchJob
	seen map[string]int // idempotency key → the row that first had it
}

// checkedRow is a row after validation: its issuance and identity, or its
// problem.
type checkedRow struct {
	in      issueInput
	problem *batchfile.Problem
	// idem is the row's idempotency key: its key column, or without one
	// its content, hashed with the gateway's key in a namespace of its
	// own, so a row never collides with an API client's Idempotency-Key.
	idem string
	// reqHash is the keyed hash of its content, a single issuance's
	// request hash: the same key with other content is not a replay.
	reqHash string
}

// checkFile validates the next rows of the file: each as a single
// issuance, and against the rows before it for the same issuance twice.
func (v *batchValidator) checkFile(rows []batchfile.Row) []checkedRow {
	out := v.check(rows)
	for n, r := range rows {
		if out[n].problem != nil {
			continue
		}
		if first, dup := v.seenBefore(r.Number, out[n].idem); dup {
			out[n].problem = &batchfile.Problem{Row: r.Number, Field: "key", Reason: string(credential.ReasonInvalidField),
				Detail: fmt.Sprintf("the same issuance as row %d (same key, or same content without a key)", first)}
		}
	}
	return out
}

// check validates rows on every core: they are independent until
// seenBefore, which checkFile runs in file order.
func (v *batchValidator) check(rows []batchfile.Row) []checkedRow {
	out := make([]checkedRow, len(rows))
	parallel(len(rows), func(i int) {
		in, p := v.row(rows[i])
		if p != nil {
			out[i].problem = p
			return
		}
		canon := in.canonical()
		idem := "content:" + string(canon)
		if rows[i].Key != "" {
			idem = "key:" + rows[i].Key
		}
		out[i] = checkedRow{in: in,
			idem:    v.s.keyedHash("certledger.import-row.v1", v.dept.ID, []byte(idem)),
			reqHash: v.s.keyedHash("certledger.issue-request.v1", v.dept.ID, canon)}
	})
	return out
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
func (v *batchValidator) seenBefore(row int, idem string) (int, bool) {
	first, ok := v.seen[idem]
	if !ok {
		v.seen[idem] = row
	}
	return first, ok && first != row
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
