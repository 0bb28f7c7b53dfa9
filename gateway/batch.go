package gateway

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/csv"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/gateway/batchfile"
	"github.com/gofiber/fiber/v2"
)

// batchCell bounds one cell of an import file (a JSON line: 16 cells).
const batchCell = 4 << 10

// batchAnswer is the body of GET /api/v1/batches/{id}.
type batchAnswer struct {
	ID       string              `json:"id"`
	Type     string              `json:"type"`
	DryRun   bool                `json:"dryRun"`
	Status   string              `json:"status"`
	Total    int                 `json:"total"`
	Done     int                 `json:"done"`
	Failed   int                 `json:"failed"`
	Errors   []batchfile.Problem `json:"errors"`
	Detail   string              `json:"detail,omitempty"`
	Created  time.Time           `json:"created"`
	Finished time.Time           `json:"finished,omitzero"`
}

// handleCreateBatch takes an import file: it reads and stores it, answers
// 202 with the batch's ID, and the runner validates and issues its rows.
func (s *Server) handleCreateBatch(c *fiber.Ctx) error {
	dept, err := s.authenticate(c)
	if err != nil {
		return err
	}
	if s.batches == nil {
		return newAPIError(kindUnavailable, "this gateway takes no imports: it needs its state folder and the key-encryption key")
	}
	format, ok := batchfile.FormatOf(c.Get(fiber.HeaderContentType))
	if !ok {
		return credential.Errorf(credential.ReasonInvalidBatchFile, "send the file as %s, %s or %s", batchfile.MediaCSV, batchfile.MediaXLSX, batchfile.MediaNDJSON)
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	reg, err := s.registry.fresh(ctx)
	if err != nil {
		return err
	}
	typeKey := strings.TrimSpace(c.Query("type"))
	t, known := reg.Type(typeKey)
	switch {
	case typeKey == "":
		return credential.Errorf(credential.ReasonInvalidRequest, "the type query parameter is required (%s)", typeIDs(reg))
	case !known:
		return credential.Errorf(credential.ReasonUnknownType, "unknown credential type %q; known types: %s", truncate(typeKey, 64), typeIDs(reg))
	case !t.AuthorizesIssuer(dept.ID):
		return credential.Errorf(credential.ReasonNotAuthorizedForType, "department %s is not authorized to issue %s", dept.ID, t.ID)
	}
	columns := make([]batchfile.Column, len(t.Fields))
	for i, f := range t.Fields {
		columns[i] = batchfile.Column{Name: f.Name, Required: f.Required}
	}
	rows, probs, err := batchfile.Parse(format, c.BodyRaw(), columns, batchfile.Limits{Rows: s.cfg.ImportRows, Cell: batchCell})
	var fe *batchfile.FileError
	if errors.As(err, &fe) {
		return batchFileRefused(fe)
	} else if err != nil {
		return err
	}
	if len(rows)+len(probs) == 0 {
		return credential.Errorf(credential.ReasonInvalidBatchFile, "the file has a header but no rows")
	}
	dryRun := c.QueryBool("dryRun")
	job := &batchJob{ID: newBatchID(), Dept: dept.ID, Type: t.ID, Format: format, DryRun: dryRun, APIKey: actingKey(c), Staff: actingStaff(c),
		Created: s.now(), Status: batchValidating, Total: len(rows) + len(probs), Failed: len(probs), Errors: []batchfile.Problem{}}
	job.addErrors(probs)
	stored := rows
	if dryRun {
		stored = nil // a dry run writes no personal data anywhere: its rows stay in memory
	}
	if err := s.batches.store.create(job, stored, probs); err != nil {
		return err
	}
	s.batches.enqueue(job, rows)
	c.Location("/api/v1/batches/" + job.ID)
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"id": job.ID})
}

func batchFileRefused(fe *batchfile.FileError) error {
	err := credential.Errorf(credential.ReasonInvalidBatchFile, "%s", fe.Error())
	return &apiError{kind: codeKinds[credential.CodeInvalid], reason: string(credential.ReasonInvalidBatchFile), detail: credential.ErrorMessage(err),
		errors: []FieldProblem{{Pointer: fe.Field, Reason: string(credential.ReasonInvalidBatchFile), Detail: fe.Error()}}}
}

func newBatchID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	return "b_" + base64.RawURLEncoding.EncodeToString(b[:])
}

// addErrors keeps the first maxBatchErrors problems for the status.
func (j *batchJob) addErrors(ps []batchfile.Problem) {
	for _, p := range ps {
		if len(j.Errors) >= maxBatchErrors {
			return
		}
		j.Errors = append(j.Errors, p)
	}
}

// ownBatch returns the caller's batch; another department's is as
// unknown as one that does not exist.
func (s *Server) ownBatch(c *fiber.Ctx) (*batchJob, error) {
	dept, err := s.authenticate(c)
	if err != nil {
		return nil, err
	}
	if s.batches == nil {
		return nil, credential.Errorf(credential.ReasonBatchNotFound, "this gateway takes no imports")
	}
	id := c.Params("id")
	job, err := s.batches.store.job(id)
	if errors.Is(err, errNoBatch) || err == nil && job.Dept != dept.ID {
		return nil, credential.Errorf(credential.ReasonBatchNotFound, "no batch %q of department %s", truncate(id, 64), dept.ID)
	}
	return job, err
}

func (s *Server) handleGetBatch(c *fiber.Ctx) error {
	job, err := s.ownBatch(c)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(batchAnswer{ID: job.ID, Type: job.Type, DryRun: job.DryRun, Status: job.Status, Total: job.Total, Done: job.Done,
		Failed: job.Failed, Errors: job.Errors, Detail: job.Fatal, Created: job.Created, Finished: job.Finished})
}

// handleBatchResults lists every row's outcome, as JSON or, asked with
// Accept: text/csv, as CSV.
func (s *Server) handleBatchResults(c *fiber.Ctx) error {
	job, err := s.ownBatch(c)
	if err != nil {
		return err
	}
	rs, err := s.batches.store.results(job.ID)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	if c.Accepts(fiber.MIMEApplicationJSON, batchfile.MediaCSV) != batchfile.MediaCSV {
		return c.JSON(fiber.Map{"id": job.ID, "status": job.Status, "results": rs})
	}
	c.Set(fiber.HeaderContentType, batchfile.MediaCSV+"; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+job.ID+`-results.csv"`)
	w := csv.NewWriter(c.Response().BodyWriter())
	_ = w.Write([]string{"row", "key", "id", "field", "reason", "detail"})
	for _, r := range rs {
		rec := []string{strconv.Itoa(r.Row), csvSafe(r.Key), r.ID, "", "", ""}
		if r.Error != nil {
			rec[3], rec[4], rec[5] = csvSafe(r.Error.Field), r.Error.Reason, csvSafe(r.Error.Detail)
		}
		_ = w.Write(rec)
	}
	w.Flush()
	return w.Error()
}
