package gateway_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/gateway"
	"github.com/certledger/certledger/gateway/apiclient"
	"github.com/certledger/certledger/gateway/atrest"
	"github.com/certledger/certledger/gateway/batchfile"
	"github.com/certledger/certledger/gateway/keystore"
	"github.com/certledger/certledger/gateway/ledger/embedded"
	"github.com/certledger/certledger/gateway/provision"
)

// batchEnv is a gateway with a state folder and a KEK, so it takes
// imports, on a real embedded ledger; restart opens a new gateway on the
// same folder and ledger.
type batchEnv struct {
	*apiEnv
	dir    string
	kek    atrest.KEK
	l      *embedded.Ledger
	config gateway.Config
}

func newBatchEnv(t *testing.T, workers int) *batchEnv {
	t.Helper()
	dir := t.TempDir()
	kek := atrest.Generate()
	l, err := embedded.Open(dir, kek, embedded.WithNoSync())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	ks, err := keystore.Open(dir, kek)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := provision.Demo(context.Background(), l, ks, dir, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	keys, err := provision.ReadDemoKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	cfg := gateway.Config{PublicURL: publicURL, Logger: slog.New(slog.NewJSONHandler(logs, nil)), StateDir: dir, KEK: kek, ImportWorkers: workers}
	e := &batchEnv{apiEnv: &apiEnv{ledger: l, ks: ks, keys: keys, logs: logs}, dir: dir, kek: kek, l: l, config: cfg}
	e.start(t)
	return e
}

func (e *batchEnv) start(t *testing.T) {
	t.Helper()
	srv, err := gateway.New(e.config, e.l, e.ks)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
}

func (e *batchEnv) stop(t *testing.T) {
	t.Helper()
	if err := e.srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// licenceCSV is n rows of business licences for the company id.
func licenceCSV(n int, id string, keyed bool) string {
	var b strings.Builder
	b.WriteString("\ufeffkey,holder.name,holder.idType,holder.idNumber,validFrom,validUntil,companyName,entityType,legalRepresentative,registeredCapital,establishedOn,address\n")
	for i := range n {
		key := ""
		if keyed {
			key = fmt.Sprintf("row-%d", i)
		}
		fmt.Fprintf(&b, "%s,导入公司%d,uscc,%s,2024-01-01,2034-01-01,导入公司%d,有限责任公司,张三,%d,2020-03-15,福州市鼓楼区五四路%d号\n", key, i, id, i, 100+i, i)
	}
	return b.String()
}

type batchStatus struct {
	ID     string              `json:"id"`
	Status string              `json:"status"`
	Total  int                 `json:"total"`
	Done   int                 `json:"done"`
	Failed int                 `json:"failed"`
	Errors []batchfile.Problem `json:"errors"`
}

type batchResults struct {
	Results []struct {
		Row   int                `json:"row"`
		Key   string             `json:"key"`
		ID    string             `json:"id"`
		Error *batchfile.Problem `json:"error"`
	} `json:"results"`
}

func (e *batchEnv) submit(t *testing.T, dept, query, contentType, body string) string {
	t.Helper()
	r := e.do(t, "POST", "/api/v1/batches?"+query, e.key(dept), body, "Content-Type", contentType)
	if r.Status != http.StatusAccepted {
		t.Fatalf("submit: %d %s", r.Status, r.Body)
	}
	var out struct{ ID string }
	r.decode(t, &out)
	if r.Header.Get("Location") != "/api/v1/batches/"+out.ID {
		t.Fatalf("Location %q", r.Header.Get("Location"))
	}
	return out.ID
}

func (e *batchEnv) status(t *testing.T, dept, id string) batchStatus {
	t.Helper()
	r := e.do(t, "GET", "/api/v1/batches/"+id, e.key(dept), nil)
	if r.Status != http.StatusOK {
		t.Fatalf("status: %d %s", r.Status, r.Body)
	}
	var st batchStatus
	r.decode(t, &st)
	return st
}

// wait polls until the batch ends or until stop says to stop waiting.
func (e *batchEnv) wait(t *testing.T, dept, id string, stop func(batchStatus) bool) batchStatus {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		st := e.status(t, dept, id)
		if st.Status == "done" || st.Status == "failed" || stop != nil && stop(st) {
			return st
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("batch %s did not end", id)
	return batchStatus{}
}

func (e *batchEnv) results(t *testing.T, dept, id string) batchResults {
	t.Helper()
	r := e.do(t, "GET", "/api/v1/batches/"+id+"/results", e.key(dept), nil)
	if r.Status != http.StatusOK {
		t.Fatalf("results: %d %s", r.Status, r.Body)
	}
	var rs batchResults
	r.decode(t, &rs)
	return rs
}

// holderCount counts the ledger's credentials of samr for company id.
func (e *batchEnv) holderCount(t *testing.T, id string) int {
	t.Helper()
	ref := credential.HolderRef(e.ks.Secrets().HolderKey, "samr", credential.IDUSCC, id)
	n, after := 0, ""
	for {
		page, err := e.l.CredentialsByHolder(context.Background(), credential.HolderQuery{Refs: []string{ref}, After: after})
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Records)
		if page.Next == "" {
			return n
		}
		after = page.Next
	}
}

func idsOf(t *testing.T, rs batchResults) []string {
	t.Helper()
	ids := make([]string, len(rs.Results))
	seen := map[string]bool{}
	for i, r := range rs.Results {
		if r.ID == "" || seen[r.ID] {
			t.Fatalf("row %d: id %q (error %+v), empty or seen before", r.Row, r.ID, r.Error)
		}
		seen[r.ID], ids[i] = true, r.ID
	}
	return ids
}

// TestBatchImport imports 1,000 rows, sends the file again (no new
// credential, the same identifiers), and checks that another department
// cannot see the batch.
func TestBatchImport(t *testing.T) {
	e := newBatchEnv(t, 0)
	company := uscc(t, "91350100000000100")
	file := licenceCSV(1000, company, false)
	id := e.submit(t, "samr", "type=business-licence", "text/csv", file)
	st := e.wait(t, "samr", id, nil)
	if st.Status != "done" || st.Total != 1000 || st.Done != 1000 || st.Failed != 0 || len(st.Errors) != 0 {
		t.Fatalf("%+v", st)
	}
	first := idsOf(t, e.results(t, "samr", id))
	if n := e.holderCount(t, company); n != 1000 {
		t.Fatalf("%d credentials on the ledger, want 1000", n)
	}
	rec, err := e.l.Record(context.Background(), first[0])
	if err != nil || rec.Issuer != "samr" {
		t.Fatalf("%+v %v", rec, err)
	}

	again := e.submit(t, "samr", "type=business-licence", "text/csv", file)
	if st := e.wait(t, "samr", again, nil); st.Done != 1000 {
		t.Fatalf("re-sent: %+v", st)
	}
	if second := idsOf(t, e.results(t, "samr", again)); strings.Join(second, ",") != strings.Join(first, ",") {
		t.Fatal("the re-sent file answered other identifiers")
	}
	if n := e.holderCount(t, company); n != 1000 {
		t.Fatalf("%d credentials on the ledger after re-sending, want 1000", n)
	}

	for _, path := range []string{"/api/v1/batches/" + id, "/api/v1/batches/" + id + "/results"} {
		expectReason(t, e.do(t, "GET", path, e.key("edu"), nil), http.StatusNotFound, "batch_not_found")
	}
	csvAns := e.do(t, "GET", "/api/v1/batches/"+id+"/results", e.key("samr"), nil, "Accept", "text/csv")
	if lines := strings.Split(strings.TrimSpace(string(csvAns.Body)), "\n"); csvAns.Status != 200 || len(lines) != 1001 ||
		!strings.HasPrefix(lines[1], "2,,"+first[0]+",") {
		t.Fatalf("CSV results: %d %q", csvAns.Status, lines[:2])
	}
}

// TestBatchDryRun validates every row, reports each problem by row and
// column, and writes nothing to the ledger.
func TestBatchDryRun(t *testing.T) {
	e := newBatchEnv(t, 0)
	company := uscc(t, "91350100000000200")
	lines := strings.Split(licenceCSV(5, company, true), "\n")
	lines[2] = strings.Replace(lines[2], ",2020-03-15,", ",2020-13-45,", 1) // row 3: establishedOn
	lines[4] = strings.Replace(lines[4], ",uscc,"+company, ",uscc,91350100M000100Y4X", 1)
	before := e.l.Stats().Transactions
	id := e.submit(t, "samr", "type=business-licence&dryRun=true", "text/csv", strings.Join(lines, "\n"))
	st := e.wait(t, "samr", id, nil)
	if st.Status != "done" || st.Total != 5 || st.Done != 3 || st.Failed != 2 || len(st.Errors) != 2 ||
		st.Errors[0].Row != 3 || st.Errors[0].Field != "establishedOn" || st.Errors[1].Row != 5 || st.Errors[1].Field != "holder.idNumber" {
		t.Fatalf("%+v", st)
	}
	if after := e.l.Stats().Transactions; after != before {
		t.Fatalf("a dry run committed %d transactions", after-before)
	}
	if n := e.holderCount(t, company); n != 0 {
		t.Fatalf("a dry run issued %d credentials", n)
	}
}

// TestBatchRefused covers files refused whole and the route's guards.
func TestBatchRefused(t *testing.T) {
	e := newBatchEnv(t, 0)
	for _, tt := range []struct {
		name, query, ctype, body, dept, reason string
		status                                 int
	}{
		{"bad header", "type=business-licence", "text/csv", "key,name\n", "samr", "invalid_batch_file", 400},
		{"no rows", "type=business-licence", "text/csv", licenceCSV(0, "x", false), "samr", "invalid_batch_file", 400},
		{"media type", "type=business-licence", "application/json", "{}", "samr", "invalid_batch_file", 400},
		{"unknown type", "type=nope", "text/csv", "x", "samr", "unknown_credential_type", 400},
		{"other department's type", "type=business-licence", "text/csv", "x", "edu", "not_authorized_for_type", 403},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(t, "POST", "/api/v1/batches?"+tt.query, e.key(tt.dept), tt.body, "Content-Type", tt.ctype)
			expectReason(t, r, tt.status, tt.reason)
		})
	}
	expectReason(t, e.do(t, "POST", "/api/v1/batches?type=business-licence", "", "x", "Content-Type", "text/csv"), 401, "missing_api_key")
	expectReason(t, e.do(t, "GET", "/api/v1/batches/b_nothing", e.key("samr"), nil), 404, "batch_not_found")
}

// TestBatchResume stops the gateway in the middle of an import; a new one
// on the same folder finishes it, without a duplicate.
func TestBatchResume(t *testing.T) {
	e := newBatchEnv(t, 2)
	company := uscc(t, "91350100000000300")
	id := e.submit(t, "samr", "type=business-licence", "text/csv", licenceCSV(1000, company, true))
	st := e.wait(t, "samr", id, func(st batchStatus) bool { return st.Status == "running" && st.Done > 0 })
	if st.Status != "running" || st.Done >= 1000 {
		t.Fatalf("not stopped in the middle: %+v", st)
	}
	e.stop(t)
	e.start(t)
	st = e.wait(t, "samr", id, nil)
	if st.Status != "done" || st.Done != 1000 || st.Failed != 0 {
		t.Fatalf("after the restart: %+v", st)
	}
	idsOf(t, e.results(t, "samr", id))
	if n := e.holderCount(t, company); n != 1000 {
		t.Fatalf("%d credentials on the ledger, want 1000", n)
	}
}

// TestBatchClient runs an import as `certledger import` does, over HTTP:
// progress to the end, a results report with one failed row.
func TestBatchClient(t *testing.T) {
	e := newBatchEnv(t, 0)
	base := e.listen(t)
	lines := strings.Split(licenceCSV(50, uscc(t, "91350100000000400"), true), "\n")
	lines[7] = strings.Replace(lines[7], ",2034-01-01,", ",2020-01-01,", 1) // row 8 ends before it starts
	report := t.TempDir() + "/report.csv"
	var progress strings.Builder
	c := &apiclient.Client{BaseURL: base, APIKey: e.key("samr")}
	b, err := apiclient.Import(context.Background(), c, apiclient.ImportOptions{Type: "business-licence", File: []byte(strings.Join(lines, "\n")),
		MediaType: apiclient.MediaType("f.csv"), Report: report, Progress: apiclient.ProgressBar(&progress, false), Poll: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if b.Status != "done" || b.Done != 49 || b.Failed != 1 || !strings.Contains(progress.String(), "done: 50/50 rows (49 issued, 1 failed)") {
		t.Fatalf("%+v\n%s", b, progress.String())
	}
	raw, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	if rows := strings.Split(strings.TrimSpace(string(raw)), "\n"); len(rows) != 51 || !strings.HasPrefix(rows[7], "8,row-6,,validUntil,invalid_field,") {
		t.Fatalf("report:\n%s", raw)
	}
}
