package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/gateway/batchfile"
	"github.com/certledger/certledger/gateway/keystore"
)

// An import issues its valid rows as anchored batches
// (docs/decisions/0021-anchored-batches.md): in file order, up to
// batchJob.AnchorSize rows a batch, each batch one AnchorBatch transaction.
// Up to Config.ImportAnchorings batches are built and recorded at once
// while the next rows are read, and results are stored in the order the
// batches were formed, so a resumed import finds the rows after the last
// stored batch and forms the same batches again, which the ledger answers
// as replays.

// anchorIssuer is who issues an import's batches: the department, the
// type, and the key single issuances of the department sign with now.
type anchorIssuer struct {
	dept credential.Department
	typ  credential.CredentialType
	key  keystore.SigningKey
}

// anchorRow is a valid row on its way into a batch: what its document and
// its identity need.
type anchorRow struct {
	idx                   int // the row's place in the store
	number                int
	key                   string
	holder                credential.Holder
	fields                map[string]string
	validFrom, validUntil time.Time
	idem, reqHash         string
}

func newAnchorRow(idx int, r batchfile.Row, c checkedRow) anchorRow {
	return anchorRow{idx: idx, number: r.Number, key: r.Key, holder: c.in.Holder, fields: c.in.Fields,
		validFrom: c.in.ValidFrom, validUntil: c.in.ValidUntil, idem: c.idem, reqHash: c.reqHash}
}

// importUnit is rows whose results are stored together: an anchored batch,
// or rows settled without the ledger.
type importUnit struct {
	idx []int
	res []batchResult
	// imported are the rows that became credentials.
	imported []loggedRow
	replayed int
	done     chan struct{}
	// err stops the import with nothing of the unit stored: its rows
	// are taken up again when the import resumes.
	err error
}

func (u *importUnit) add(r anchorRow, res batchResult) {
	u.idx, u.res = append(u.idx, r.idx), append(u.res, res)
	if res.Error == nil {
		u.imported = append(u.imported, loggedRow{r.idx, importedRow{Key: r.idem, ID: res.ID, RequestHash: r.reqHash}})
	}
}

// anchorImport is one import's run through the ledger.
type anchorImport struct {
	s    *Server
	ctx  context.Context
	stop context.CancelCauseFunc
	job  *batchJob
	iss  anchorIssuer
	// batch is the batch being formed.
	batch    []anchorRow
	slots    chan struct{}    // one per anchoring in flight
	units    chan *importUnit // to the recorder, in the order formed
	recorded chan error
}

func (s *Server) newAnchorImport(ctx context.Context, job *batchJob, iss anchorIssuer) *anchorImport {
	imp := &anchorImport{s: s, job: job, iss: iss, slots: make(chan struct{}, s.cfg.ImportAnchorings),
		units: make(chan *importUnit, s.cfg.ImportAnchorings+1), recorded: make(chan error, 1)}
	imp.ctx, imp.stop = context.WithCancelCause(ctx)
	go imp.record()
	return imp
}

// take adds checked rows (idx their places in the store) to the import:
// rows with a problem and rows this gateway imported before are settled
// at once; the others join batches, each anchored once full.
func (imp *anchorImport) take(idx []int, rows []batchfile.Row, checked []checkedRow) error {
	settled := &importUnit{done: make(chan struct{})}
	close(settled.done)
	var fresh []anchorRow
	var keys []string
	for n, c := range checked {
		if c.problem != nil {
			settled.add(anchorRow{idx: idx[n]}, batchResult{Row: rows[n].Number, Key: rows[n].Key, Error: c.problem})
			continue
		}
		fresh, keys = append(fresh, newAnchorRow(idx[n], rows[n], c)), append(keys, c.idem)
	}
	found, ok, err := imp.s.batches.store.imported(imp.job.Dept, keys)
	if err != nil {
		return err
	}
	for i, r := range fresh {
		switch {
		case !ok[i]:
			if imp.batch == nil {
				imp.batch = make([]anchorRow, 0, imp.job.AnchorSize)
			}
			imp.batch = append(imp.batch, r)
			if len(imp.batch) >= imp.job.AnchorSize {
				if err := imp.send(); err != nil {
					return err
				}
			}
		case found[i].RequestHash == r.reqHash:
			settled.add(r, batchResult{Row: r.number, Key: r.key, ID: found[i].ID})
			settled.replayed++
		default:
			settled.add(r, batchResult{Row: r.number, Key: r.key, Error: &batchfile.Problem{Row: r.number, Field: "key",
				Reason: string(credential.ReasonIdempotencyKeyReused), Detail: "this key was imported before with other content, as " + found[i].ID}})
		}
	}
	if len(settled.idx) == 0 {
		return nil
	}
	return imp.queue(settled)
}

func (imp *anchorImport) queue(u *importUnit) error {
	select {
	case imp.units <- u:
		return nil
	case <-imp.ctx.Done():
		return context.Cause(imp.ctx)
	}
}

// send builds and anchors the formed batch once a slot is free, while
// the next rows are read.
func (imp *anchorImport) send() error {
	rows := imp.batch
	imp.batch = nil
	select {
	case imp.slots <- struct{}{}:
	case <-imp.ctx.Done():
		return context.Cause(imp.ctx)
	}
	u := &importUnit{done: make(chan struct{})}
	if err := imp.queue(u); err != nil {
		<-imp.slots
		return err
	}
	go func() {
		defer func() { <-imp.slots }()
		defer close(u.done)
		req, rows, dropped := imp.s.buildAnchor(imp.iss, rows, imp.job.APIKey, imp.job.Staff)
		for _, d := range dropped {
			u.add(d.row, batchResult{Row: d.row.number, Key: d.row.key, Error: rowProblem(imp.job.Format, d.row.number, d.err)})
		}
		if len(rows) > 0 {
			imp.anchor(u, rows, req)
		}
	}()
	return nil
}

// anchor records the batch and fills its unit with the rows' results.
func (imp *anchorImport) anchor(u *importUnit, rows []anchorRow, req credential.AnchorRequest) {
	res, err := imp.s.ledgerAnchor(imp.ctx, imp.iss.dept, req)
	if err == nil && res.Anchor.Count != len(rows) {
		err = fmt.Errorf("the ledger answered batch %s with %d credentials, not %d", req.Token, res.Anchor.Count, len(rows))
	}
	if err != nil && imp.ctx.Err() != nil {
		u.err = context.Cause(imp.ctx)
		return
	}
	for i, r := range rows {
		br := batchResult{Row: r.number, Key: r.key}
		if err != nil {
			br.Error = rowProblem(imp.job.Format, r.number, err)
		} else {
			br.ID = res.Anchor.CredentialID(i)
		}
		u.add(r, br)
	}
	if err != nil {
		imp.s.log.Warn("an anchored batch of an import failed", slog.String("batch", imp.job.ID), slog.String("token", req.Token),
			slog.Int("rows", len(rows)), slog.String("error", err.Error()))
	} else if res.Replayed {
		u.replayed += len(rows)
	}
}

// record stores each unit's results once it is done, in order; the first
// failure stops the import.
func (imp *anchorImport) record() {
	var failed error
	for u := range imp.units {
		<-u.done
		if failed != nil {
			continue
		}
		if u.err != nil {
			failed = u.err
			continue
		}
		issued := 0
		for _, r := range u.res {
			if r.Error != nil {
				imp.job.Failed++
				imp.job.addErrors([]batchfile.Problem{*r.Error})
			} else {
				imp.job.Done++
				issued++
			}
		}
		if err := imp.s.batches.store.record(imp.job, u.idx, u.res, u.imported); err != nil {
			failed = err
			imp.stop(err)
			continue
		}
		m := imp.s.metrics.issuances
		m.WithLabelValues(imp.iss.typ.ID, "issued").Add(float64(issued - u.replayed))
		m.WithLabelValues(imp.iss.typ.ID, "replayed").Add(float64(u.replayed))
	}
	imp.recorded <- failed
}

// finish anchors the last batch, waits for every anchoring and for their
// results to be stored. err is the reading's outcome.
func (imp *anchorImport) finish(err error) error {
	if err == nil && len(imp.batch) > 0 {
		err = imp.send()
	}
	for range cap(imp.slots) {
		imp.slots <- struct{}{}
	}
	close(imp.units)
	recErr := <-imp.recorded
	imp.stop(nil)
	if recErr != nil && errors.Is(err, recErr) {
		return recErr
	}
	return errors.Join(recErr, err)
}

// parallel calls fn(i) for every i in [0, n) on GOMAXPROCS goroutines.
func parallel(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				fn(i)
			}
		})
	}
	wg.Wait()
}
