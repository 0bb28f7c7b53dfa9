package gateway_test

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/gateway"
	"github.com/certledger/certledger/gateway/apiclient"
	"github.com/certledger/certledger/gateway/atrest"
	"github.com/certledger/certledger/gateway/batchfile"
	"github.com/certledger/certledger/gateway/ledger/embedded"
	"github.com/certledger/certledger/network/nettest/cputime"
)

// batchEnv is a gateway with a state folder and a KEK, so it takes
// imports, on a real embedded ledger; restart opens a new gateway on the
// same folder and ledger. The gateway reaches the ledger through via when
// set.
type batchEnv struct {
	*apiEnv
	dir    string
	kek    atrest.KEK
	l      *embedded.Ledger
	via    credential.Ledger
	config gateway.Config
}

// newBatchEnv starts the gateway with set applied to its configuration.
func newBatchEnv(t testing.TB, set ...func(*gateway.Config)) *batchEnv {
	t.Helper()
	f := gateway.NewDemoFolder(t)
	dir, kek, l, ks, keys := f.Dir, f.KEK, f.Ledger, f.Keystore, f.Keys
	logs := &syncBuffer{}
	cfg := gateway.Config{PublicURL: publicURL, Logger: slog.New(slog.NewJSONHandler(logs, nil)), StateDir: dir, KEK: kek}
	for _, f := range set {
		f(&cfg)
	}
	e := &batchEnv{apiEnv: &apiEnv{ledger: l, ks: ks, keys: keys, logs: logs}, dir: dir, kek: kek, l: l, config: cfg}
	e.start(t)
	return e
}

func (e *batchEnv) start(t testing.TB) {
	t.Helper()
	var l credential.Ledger = e.l
	if e.via != nil {
		l = e.via
	}
	srv, err := gateway.New(e.config, l, e.ks)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
}

func (e *batchEnv) stop(t testing.TB) {
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

func (e *batchEnv) submit(t testing.TB, dept, query, contentType, body string) string {
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

func (e *batchEnv) status(t testing.TB, dept, id string) batchStatus {
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
func (e *batchEnv) wait(t testing.TB, dept, id string, stop func(batchStatus) bool) batchStatus {
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

func (e *batchEnv) results(t testing.TB, dept, id string) batchResults {
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

// anchorSize makes the gateway's anchored batches n rows each, and records
// one at a time.
func anchorSize(n int) func(*gateway.Config) {
	return func(c *gateway.Config) { c.ImportAnchorSize, c.ImportAnchorings = n, 1 }
}

// anchoredIDs checks that every identifier is a credential of an anchored
// batch, and returns how many batches they span.
func anchoredIDs(t *testing.T, ids []string) int {
	t.Helper()
	tokens := map[string]bool{}
	for _, id := range ids {
		p, err := credential.ParseIdentifier(id)
		if err != nil {
			t.Fatal(err)
		}
		tok, _, ok := credential.IsAnchoredSerial(p.Serial)
		if !ok || p.Version != 1 {
			t.Fatalf("%s is not a credential of an anchored batch", id)
		}
		tokens[tok] = true
	}
	return len(tokens)
}

// verifyQR verifies credential id as a scanned QR code: its verification
// URL, as the issuing department reads it.
func (e *batchEnv) verifyQR(t *testing.T, id string) verifyAnswer {
	t.Helper()
	r := e.do(t, "GET", "/api/v1/credentials/"+id, e.key("samr"), nil)
	if r.Status != http.StatusOK {
		t.Fatalf("read %s: %d %s", id, r.Status, r.Body)
	}
	var c struct{ VerifyURL string }
	r.decode(t, &c)
	return e.verify(t, map[string]any{"qr": c.VerifyURL})
}

// TestBatchImport imports 3,000 rows as three anchored batches: each
// credential verifies and can be suspended and revoked. Sending the file again, to this gateway
// or to one without its record of imported rows, creates nothing and
// answers the same identifiers; another department cannot see the batch.
func TestBatchImport(t *testing.T) {
	e := newBatchEnv(t, anchorSize(1024))
	company := uscc(t, "91350100000000100")
	file := licenceCSV(3000, company, false)
	before := e.l.Stats().Transactions
	id := e.submit(t, "samr", "type=business-licence", "text/csv", file)
	st := e.wait(t, "samr", id, nil)
	if st.Status != "done" || st.Total != 3000 || st.Done != 3000 || st.Failed != 0 || len(st.Errors) != 0 {
		t.Fatalf("%+v", st)
	}
	first := idsOf(t, e.results(t, "samr", id))
	if n := anchoredIDs(t, first); n != 3 {
		t.Fatalf("%d anchored batches, want 3", n)
	}
	if n := e.l.Stats().Transactions - before; n != 3 {
		t.Fatalf("%d transactions, want one per batch", n)
	}
	rec, err := e.l.Record(context.Background(), first[0])
	if err != nil || rec.Issuer != "samr" || rec.Status != credential.StatusValid {
		t.Fatalf("%+v %v", rec, err)
	}
	for _, path := range []string{"/api/v1/batches/" + id, "/api/v1/batches/" + id + "/results"} {
		expectReason(t, e.do(t, "GET", path, e.key("edu"), nil), http.StatusNotFound, "batch_not_found")
	}
	csvAns := e.do(t, "GET", "/api/v1/batches/"+id+"/results", e.key("samr"), nil, "Accept", "text/csv")
	if lines := strings.Split(strings.TrimSpace(string(csvAns.Body)), "\n"); csvAns.Status != 200 || len(lines) != 3001 ||
		!strings.HasPrefix(lines[1], "2,,"+first[0]+",") {
		t.Fatalf("CSV results: %d %q", csvAns.Status, lines[:2])
	}
	for _, i := range []int{0, 1023, 1024, 2999} {
		if v := e.verifyQR(t, first[i]); !v.Valid || v.ID != first[i] || v.Document == nil || v.Document.Holder().IDNumber != company {
			t.Fatalf("row %d: %+v", i+2, v)
		}
	}
	for _, c := range []struct{ action, status string }{{"suspend", "suspended"}, {"revoke", "revoked"}} {
		cid := first[len(c.action)] // one credential each
		r := e.do(t, "POST", "/api/v1/credentials/"+cid+"/"+c.action, e.key("samr"), map[string]string{"reason": "导入后核查", "code": "penalty"})
		if c.action == "suspend" {
			r = e.do(t, "POST", "/api/v1/credentials/"+cid+"/"+c.action, e.key("samr"), map[string]string{"reason": "导入后核查"})
		}
		if r.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", c.action, r.Status, r.Body)
		}
		if v := e.verifyQR(t, cid); v.Valid || string(v.Status) != c.status {
			t.Fatalf("%s: verified %+v", c.action, v)
		}
	}

	before = e.l.Stats().Transactions
	again := e.submit(t, "samr", "type=business-licence", "text/csv", file)
	if st := e.wait(t, "samr", again, nil); st.Done != 3000 {
		t.Fatalf("re-sent: %+v", st)
	}
	if second := idsOf(t, e.results(t, "samr", again)); !slices.Equal(second, first) {
		t.Fatal("the re-sent file answered other identifiers")
	}
	// A gateway without this one's record of imported rows forms the same
	// batches, which the ledger answers as replays.
	e.stop(t)
	e.config.StateDir = t.TempDir()
	e.start(t)
	elsewhere := e.submit(t, "samr", "type=business-licence", "text/csv", file)
	if st := e.wait(t, "samr", elsewhere, nil); st.Done != 3000 {
		t.Fatalf("re-sent elsewhere: %+v", st)
	}
	if third := idsOf(t, e.results(t, "samr", elsewhere)); !slices.Equal(third, first) {
		t.Fatal("the file re-sent to another gateway answered other identifiers")
	}
	if n := e.l.Stats().Transactions - before; n != 0 {
		t.Fatalf("re-sending the file committed %d transactions", n)
	}
}

// TestBatchImportListed imports 2,000 rows in two anchored batches and
// finds each credential in the register and by its holder.
func TestBatchImportListed(t *testing.T) {
	e := newBatchEnv(t, anchorSize(1024))
	company := uscc(t, "91350100000000600")
	id := e.submit(t, "samr", "type=business-licence", "text/csv", licenceCSV(2000, company, true))
	if st := e.wait(t, "samr", id, nil); st.Done != 2000 {
		t.Fatalf("%+v", st)
	}
	ids := idsOf(t, e.results(t, "samr", id))
	listed := e.registerIDs(t, "samr", url.Values{"holderIdType": {"uscc"}, "holderIdNumber": {company}}, 500)
	if slices.Sort(listed); !slices.Equal(listed, slices.Sorted(slices.Values(ids))) {
		t.Fatalf("the register lists %d of the holder's credentials, want the 2000 imported", len(listed))
	}
	if n := e.holderCount(t, company); n != 2000 {
		t.Fatalf("the holder has %d credentials, want 2000", n)
	}
}

// TestBatchTwoGateways runs imports of one department on two gateways at
// once, each with two batches under way: both start their batches' status
// positions where the ledger's runs end, the ledger refuses the second run
// at a place, and that gateway takes the next one.
func TestBatchTwoGateways(t *testing.T) {
	e := newBatchEnv(t, anchorSize(100), func(c *gateway.Config) { c.ImportAnchorings = 2 })
	other := &batchEnv{apiEnv: &apiEnv{ledger: e.l, ks: e.ks, keys: e.keys, logs: e.logs}, l: e.l, config: e.config}
	other.config.StateDir = t.TempDir()
	other.start(t)
	ids := make([]string, 2)
	for i, g := range []*batchEnv{e, other} {
		ids[i] = g.submit(t, "samr", "type=business-licence", "text/csv", licenceCSV(500, uscc(t, fmt.Sprintf("9135010000000070%d", i)), false))
	}
	seen := map[string]bool{}
	for i, g := range []*batchEnv{e, other} {
		if st := g.wait(t, "samr", ids[i], nil); st.Done != 500 || st.Failed != 0 {
			t.Fatalf("gateway %d: %+v", i, st)
		}
		for _, id := range idsOf(t, g.results(t, "samr", ids[i])) {
			if seen[id] {
				t.Fatalf("%s issued twice", id)
			}
			seen[id] = true
		}
	}
	if n := anchoredIDs(t, slices.Collect(maps.Keys(seen))); n != 10 {
		t.Fatalf("%d batches, want 10", n)
	}
	sequences := map[uint64]string{}
	for id := range seen {
		rec, err := e.l.Record(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if prev, dup := sequences[rec.StatusSequence]; dup || rec.StatusSequence < credential.AnchorStatusBase {
			t.Fatalf("%s has status position %d (also %s)", id, rec.StatusSequence, prev)
		}
		sequences[rec.StatusSequence] = id
	}
}

// TestBatchRegrouped sends a corrected file whose valid rows fall into
// other batches than the first time: rows imported before answer their
// credentials, only the corrected row is issued, and a row whose key comes
// back with other content is refused.
func TestBatchRegrouped(t *testing.T) {
	e := newBatchEnv(t, anchorSize(4))
	company := uscc(t, "91350100000000500")
	lines := strings.Split(strings.TrimSpace(licenceCSV(10, company, true)), "\n")
	bad := slices.Clone(lines)
	bad[4] = strings.Replace(bad[4], ",2034-01-01,", ",2020-01-01,", 1) // row 5 ends before it starts
	id := e.submit(t, "samr", "type=business-licence", "text/csv", strings.Join(bad, "\n"))
	if st := e.wait(t, "samr", id, nil); st.Done != 9 || st.Failed != 1 {
		t.Fatalf("%+v", st)
	}
	before := e.l.Stats().Transactions
	corrected := slices.Clone(lines)
	corrected[10] = strings.Replace(corrected[10], "导入公司9", "导入公司9改", 1) // row 11's key, other content
	id2 := e.submit(t, "samr", "type=business-licence", "text/csv", strings.Join(corrected, "\n"))
	if st := e.wait(t, "samr", id2, nil); st.Done != 9 || st.Failed != 1 || st.Errors[0].Row != 11 || st.Errors[0].Reason != "idempotency_key_reused" {
		t.Fatalf("%+v", st)
	}
	if n := e.l.Stats().Transactions - before; n != 1 {
		t.Fatalf("%d transactions, want one batch of the corrected row", n)
	}
	was, now := e.results(t, "samr", id).Results, e.results(t, "samr", id2).Results
	for i := range 9 {
		switch {
		case i == 3 && (was[i].ID != "" || now[i].ID == ""):
			t.Fatalf("corrected row: %+v, then %+v", was[i], now[i])
		case i != 3 && now[i].ID != was[i].ID:
			t.Fatalf("row %d answered %s, imported as %s", now[i].Row, now[i].ID, was[i].ID)
		}
	}
}

// TestBatchDryRun validates every row, reports each problem by row and
// column, and writes nothing to the ledger.
func TestBatchDryRun(t *testing.T) {
	e := newBatchEnv(t)
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
	e := newBatchEnv(t)
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

// holdingLedger lets pass anchorings through, then records one more on the
// ledger but holds its answer until the gateway stops: a gateway stopped
// after the ledger recorded a batch and before it stored the results.
type holdingLedger struct {
	credential.Ledger
	mu   sync.Mutex
	pass int
	held chan credential.Anchor
}

func (l *holdingLedger) AnchorBatch(ctx context.Context, mspID string, req credential.AnchorRequest) (credential.AnchorResult, error) {
	l.mu.Lock()
	hold := l.pass == 0
	l.pass--
	l.mu.Unlock()
	res, err := l.Ledger.AnchorBatch(ctx, mspID, req)
	if !hold || err != nil {
		return res, err
	}
	l.held <- res.Anchor
	<-ctx.Done()
	return credential.AnchorResult{}, ctx.Err()
}

// TestBatchResume stops the gateway in the middle of an import, after the
// ledger recorded a batch whose results were not stored; a new gateway on
// the same folder finishes the import, the ledger answering that batch as
// a replay, without a duplicate.
func TestBatchResume(t *testing.T) {
	e := newBatchEnv(t, anchorSize(100))
	hl := &holdingLedger{Ledger: e.l, pass: 3, held: make(chan credential.Anchor, 1)}
	e.via = hl
	e.stop(t)
	e.start(t)
	company := uscc(t, "91350100000000300")
	before := e.l.Stats().Transactions
	id := e.submit(t, "samr", "type=business-licence", "text/csv", licenceCSV(1000, company, true))
	held := <-hl.held
	st := e.wait(t, "samr", id, func(st batchStatus) bool { return st.Done == 300 })
	if st.Status != "running" || st.Done != 300 {
		t.Fatalf("not stopped in the middle: %+v", st)
	}
	e.stop(t)
	e.via = nil
	e.start(t)
	st = e.wait(t, "samr", id, nil)
	if st.Status != "done" || st.Done != 1000 || st.Failed != 0 {
		t.Fatalf("after the restart: %+v", st)
	}
	ids := idsOf(t, e.results(t, "samr", id))
	for i := range 100 {
		if ids[300+i] != held.CredentialID(i) {
			t.Fatalf("row %d: %s, but the batch recorded before the stop holds %s", 302+i, ids[300+i], held.CredentialID(i))
		}
	}
	if n := e.l.Stats().Transactions - before; n != 10 {
		t.Fatalf("%d transactions, want 10 batches", n)
	}
}

// TestBatchClient runs an import as `certledger import` does, over HTTP:
// progress to the end, a results report with one failed row.
func TestBatchClient(t *testing.T) {
	e := newBatchEnv(t)
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

// BenchmarkBatchImport imports CERTLEDGER_BENCH_ROWS rows (default 20,000)
// of business licences through the API on the embedded ledger, from
// sending the file to the batch's end; each round's rows have keys of
// their own, so none replays.
func BenchmarkBatchImport(b *testing.B) {
	n := 20_000
	if v, err := strconv.Atoi(os.Getenv("CERTLEDGER_BENCH_ROWS")); err == nil && v > 0 {
		n = v
	}
	e := newBatchEnv(b, func(c *gateway.Config) { c.BodyMemory, c.ImportLimit, c.ImportRows = 256<<20, 256<<20, n })
	file := licenceCSV(n, "91350100M000100Y43", true)
	round := 0
	cpu0 := cputime.Process()
	for b.Loop() {
		b.StopTimer()
		round++
		f := strings.ReplaceAll(file, "\nrow-", "\nround"+strconv.Itoa(round)+"-")
		b.StartTimer()
		id := e.submit(b, "samr", "type=business-licence", "text/csv", f)
		if st := e.wait(b, "samr", id, nil); st.Done != n {
			b.Fatalf("%+v", st)
		}
	}
	cpu := float64((cputime.Process() - cpu0).Microseconds()) / float64(n*b.N)
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(cpu, "cpu-µs/row")
	b.ReportMetric(2e6/cpu, "rows/s@2cpu")
}
