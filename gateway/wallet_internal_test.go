package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/gateway/keystore"
	"github.com/certledger/certledger/gateway/ledger/embedded"
	"github.com/certledger/certledger/gateway/provision"
)

// walletEnv is a gateway on a real embedded ledger with the demo registry,
// and a clock the test moves.
type walletEnv struct {
	t      testing.TB
	srv    *Server
	ledger *embedded.Ledger
	ks     *keystore.Store
	keys   map[string]provision.DemoKey
	logs   *bytes.Buffer
	mu     sync.Mutex
	now    time.Time
}

func newWalletEnv(t testing.TB, cfg Config, wrap func(credential.Ledger) credential.Ledger) *walletEnv {
	t.Helper()
	f := NewDemoFolder(t)
	l, ks := f.Ledger, f.Keystore
	e := &walletEnv{t: t, ledger: l, ks: ks, keys: f.Keys, logs: &bytes.Buffer{}, now: time.Now().UTC()}
	cfg.PublicURL = "https://verify.example.test"
	cfg.Now = func() time.Time { e.mu.Lock(); defer e.mu.Unlock(); return e.now }
	if cfg.RegistryTTL == 0 {
		cfg.RegistryTTL = time.Nanosecond
	}
	cfg.Logger = slog.New(slog.NewJSONHandler(e.logs, nil))
	var ledger credential.Ledger = l
	if wrap != nil {
		ledger = wrap(l)
	}
	var err error
	if e.srv, err = New(cfg, ledger, ks); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *walletEnv) advance(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = e.now.Add(d)
}

var (
	personP  = credential.Holder{Name: "李四", IDType: credential.IDResidentCard, IDNumber: "11010519491231002X"}
	personQ  = credential.Holder{Name: "王五", IDType: credential.IDResidentCard, IDNumber: "110105198001010016"}
	companyC = credential.Holder{Name: "福州数字未来科技有限公司", IDType: credential.IDUSCC, IDNumber: "91350100M000100Y43"}
)

// issue issues a demo credential of dept's type to h through the API.
func (e *walletEnv) issue(dept string, h credential.Holder, n int) string {
	e.t.Helper()
	typ, fields := map[string]string{"edu": "diploma", "hrss": "professional-qualification", "samr": "business-licence"}[dept], map[string]any{}
	switch dept {
	case "edu":
		fields = map[string]any{"school": "福州大学", "major": "软件工程", "level": "本科", "graduatedOn": "2024-06-30", "certificateNumber": fmt.Sprint(1000 + n)}
	case "hrss":
		fields = map[string]any{"occupation": "软件工程师", "grade": "二级", "certificateNumber": fmt.Sprint(2000 + n)}
	case "samr":
		fields = map[string]any{"companyName": fmt.Sprintf("%s%d", h.Name, n), "entityType": "有限责任公司", "legalRepresentative": "张三",
			"establishedOn": "2020-03-15", "address": "福州市鼓楼区五四路100号"}
	}
	body, _ := json.Marshal(map[string]any{"type": typ, "holder": h, "fields": fields})
	req := httptest.NewRequest("POST", "/api/v1/credentials", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+e.keys[dept].APIKey)
	resp, err := e.srv.App().Test(req, -1)
	if err != nil {
		e.t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	var ans credentialAnswer
	if err := json.Unmarshal(raw, &ans); err != nil || resp.StatusCode != 201 {
		e.t.Fatalf("issue %s: %d %v %s", typ, resp.StatusCode, err, raw)
	}
	return ans.ID
}

// issueDirect records a credential of typeID from dept for holder h under
// holder reference ref, as a gateway with other code could: the contract
// checks the form of the reference only.
func (e *walletEnv) issueDirect(dept, typeID string, h credential.Holder, ref string) string {
	e.t.Helper()
	ctx := context.Background()
	reg, err := e.ledger.Registry(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	d, _ := reg.Department(dept)
	ty, _ := reg.Type(typeID)
	fields := map[string]map[string]string{
		"diploma":                    {"school": "福州大学", "major": "数学", "level": "本科", "graduatedOn": "2020-06-30", "certificateNumber": "9"},
		"professional-qualification": {"occupation": "软件工程师", "grade": "二级", "certificateNumber": "8"},
		"business-licence": {"companyName": "某公司", "entityType": "有限责任公司", "legalRepresentative": "张三",
			"establishedOn": "2020-03-15", "address": "福州市"},
	}[typeID]
	k := e.ks.SigningKeys(dept)[0]
	doc, err := credential.Issue(credential.IssueParams{Type: ty, Issuer: d, Holder: h, IssuedAt: time.Now().UTC(), Fields: fields}, k.KeyID, k.Private)
	if err != nil {
		e.t.Fatal(err)
	}
	res, err := e.ledger.Issue(ctx, d.MSPID, credential.IssueRequest{Document: *doc, HolderRef: ref})
	if err != nil {
		e.t.Fatal(err)
	}
	return res.Record.ID
}

// list pages through h's credentials.
func (e *walletEnv) list(h credential.Holder) []walletItem {
	e.t.Helper()
	var items []walletItem
	after := ""
	for pages := 0; ; pages++ {
		page, err := e.srv.holderCredentials(context.Background(), h, after)
		if err != nil {
			e.t.Fatal(err)
		}
		if page.Items == nil || pages > 10 {
			e.t.Fatalf("page %d: %+v", pages, page)
		}
		items = append(items, page.Items...)
		if page.Next == "" {
			return items
		}
		reg, _ := e.ledger.Registry(context.Background())
		for _, ref := range e.srv.holderRefSet(reg, h).refs {
			if strings.Contains(page.Next, ref) {
				e.t.Fatalf("cursor %q names a holder reference", page.Next)
			}
		}
		after = page.Next
	}
}

func ids(items []walletItem) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.ID)
	}
	slices.Sort(out)
	return out
}

func sorted(s ...string) []string { slices.Sort(s); return s }

func TestHolderCredentials(t *testing.T) {
	e := newWalletEnv(t, Config{}, nil)
	ctx := context.Background()
	diploma, qual := e.issue("edu", personP, 1), e.issue("hrss", personP, 1)
	other := e.issue("edu", personQ, 2)
	var licences []string
	for i := range credential.MaxHolderPage + 3 {
		licences = append(licences, e.issue("samr", companyC, i))
	}

	got := e.list(personP)
	if !slices.Equal(ids(got), sorted(diploma, qual)) {
		t.Fatalf("P lists %v, want the diploma and the qualification", ids(got))
	}
	for _, it := range got {
		if it.Status != credential.StatusValid || it.Type == nil || it.Issuer == nil || it.DocumentElsewhere || it.IssuedAt.IsZero() {
			t.Errorf("item %+v", it)
		}
	}
	if got := e.list(personQ); !slices.Equal(ids(got), []string{other}) {
		t.Fatalf("Q lists %v, want only %s", ids(got), other)
	}
	if got := e.list(credential.Holder{IDType: credential.IDPassport, IDNumber: "E12345678"}); len(got) != 0 {
		t.Fatalf("a holder without credentials lists %v", ids(got))
	}
	// Over a page: every licence once, and cursors naming no reference.
	first, err := e.srv.holderCredentials(ctx, companyC, "")
	if err != nil || len(first.Items) != credential.MaxHolderPage || !strings.HasPrefix(first.Next, "samr/") {
		t.Fatalf("first page: %d items, next %q, %v", len(first.Items), first.Next, err)
	}
	if got := e.list(companyC); !slices.Equal(ids(got), sorted(licences...)) {
		t.Fatalf("C lists %d licences, want %d", len(got), len(licences))
	}
	// The legacy reference sorts among the departments' by its value; its
	// label resumes after it like any other.
	if _, err := e.srv.holderCredentials(ctx, companyC, legacyLabel+"/11100000MB02000124001.11100000MB02000124.0"); err != nil {
		t.Fatalf("a cursor in the legacy reference: %v", err)
	}
	for _, bad := range []string{"nobody/11100000MB02000124001", "samr", "samr/", strings.Repeat("a", 64) + "/X"} {
		if _, err := e.srv.holderCredentials(ctx, companyC, bad); credential.ErrorReason(err) != credential.ReasonInvalidRequest {
			t.Errorf("cursor %q: %v, want invalid_request", bad, err)
		}
	}

	// Statuses are derived now: a suspension shows, and so does expiry.
	if _, err := e.ledger.ChangeStatus(ctx, e.keys["edu"].MSPID, diploma, credential.StatusChange{Action: credential.ActionSuspend, Reason: "核查学籍"}); err != nil {
		t.Fatal(err)
	}
	e.advance(6 * 365 * 24 * time.Hour)
	want := map[string]credential.Status{diploma: credential.StatusSuspended, qual: credential.StatusExpired}
	for _, it := range e.list(personP) {
		if it.Status != want[it.ID] {
			t.Errorf("%s is %s, want %s", it.ID, it.Status, want[it.ID])
		}
	}
}

func TestHolderCredential(t *testing.T) {
	e := newWalletEnv(t, Config{}, nil)
	ctx := context.Background()
	diploma, other := e.issue("edu", personP, 1), e.issue("edu", personQ, 2)

	c, err := e.srv.holderCredential(ctx, personP, diploma)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Valid || c.Status != credential.StatusValid || c.Document == nil || c.Document.ID != diploma || len(c.Fields) == 0 {
		t.Fatalf("P's diploma: %+v", c)
	}
	if c.VerifyURL != e.srv.verifyURL(credential.Record{ID: diploma}, true) || c.QRURL != e.srv.qrURL(diploma)+"?t="+e.srv.tokenFor(diploma, 0) {
		t.Fatalf("links %s %s", c.VerifyURL, c.QRURL)
	}
	// The ID number as an identity provider may spell it.
	lower := personP
	lower.IDNumber = " " + strings.ToLower(personP.IDNumber)
	if _, err := e.srv.holderCredential(ctx, lower, diploma); err != nil {
		t.Fatalf("lower-case ID number: %v", err)
	}

	// Someone else's credential and one that does not exist get the same
	// answer, so a holder learns nothing of others'.
	missing, _ := credential.ParseIdentifier(diploma)
	missing.Serial = "ZZZZZZZZ"
	answers := map[string]error{}
	for name, id := range map[string]string{"Q's": other, "missing": missing.String()} {
		_, err := e.srv.holderCredential(ctx, personP, id)
		if credential.ErrorReason(err) != credential.ReasonCredentialNotFound {
			t.Fatalf("%s credential: %v, want credential_not_found", name, err)
		}
		answers[name] = err
	}
	if a, b := strings.ReplaceAll(credential.ErrorMessage(answers["Q's"]), other, "ID"), strings.ReplaceAll(credential.ErrorMessage(answers["missing"]), missing.String(), "ID"); a != b {
		t.Fatalf("answers differ: %q and %q", a, b)
	}
	if _, err := e.srv.holderCredential(ctx, personP, "not-an-identifier"); credential.ErrorCode(err) != credential.CodeInvalid {
		t.Fatalf("malformed identifier: %v", err)
	}

	// A suspended credential shows the issuer's reason to its holder.
	if _, err := e.ledger.ChangeStatus(ctx, e.keys["edu"].MSPID, diploma, credential.StatusChange{Action: credential.ActionSuspend, Reason: "核查学籍"}); err != nil {
		t.Fatal(err)
	}
	if c, err := e.srv.holderCredential(ctx, personP, diploma); err != nil || c.Status != credential.StatusSuspended || c.Valid || c.StatusReason != "核查学籍" {
		t.Fatalf("suspended: %+v %v", c, err)
	}

	// Records issued before references named the department carry the
	// legacy one: still the holder's.
	key := e.ks.Secrets().HolderKey
	legacy := e.issueDirect("edu", "diploma", personP, credential.LegacyHolderRef(key, personP.IDType, personP.IDNumber))
	if c, err := e.srv.holderCredential(ctx, personP, legacy); err != nil || c.Document == nil {
		t.Fatalf("legacy reference: %+v %v", c, err)
	}
	if !slices.Contains(ids(e.list(personP)), legacy) {
		t.Fatal("the legacy record is not listed")
	}

	// The second check: a record carrying P's reference over a document
	// naming Q is not shown to P (nor to Q, whose reference it lacks).
	wrong := e.issueDirect("edu", "diploma", personQ, credential.HolderRef(key, "edu", personP.IDType, personP.IDNumber))
	for _, h := range []credential.Holder{personP, personQ} {
		if _, err := e.srv.holderCredential(ctx, h, wrong); credential.ErrorReason(err) != credential.ReasonCredentialNotFound {
			t.Fatalf("mismatched document to %s: %v, want credential_not_found", h.Name, err)
		}
	}
	if !strings.Contains(e.logs.String(), "does not name") {
		t.Error("the mismatch is not logged")
	}
}

// scopedLedger acts only as some departments, as a department's own Fabric
// gateway does, and fails the test if a document is read as another.
type scopedLedger struct {
	credential.Ledger
	t    *testing.T
	msps []string
}

func (l scopedLedger) ActsAs(mspID string) bool { return slices.Contains(l.msps, mspID) }

func (l scopedLedger) Document(ctx context.Context, mspID, id string) (credential.Document, error) {
	if !l.ActsAs(mspID) {
		l.t.Errorf("document %s read as %s, which this gateway does not act as", id, mspID)
	}
	return l.Ledger.Document(ctx, mspID, id)
}

// A gateway that does not act as the issuing department lists the
// credential from public state but never reads its document: it names the
// issuer's gateway instead, when configured.
func TestHolderViewAcrossDepartmentGateways(t *testing.T) {
	cfg := Config{DepartmentGateways: map[string]string{"edu": "https://edu.example.test"}}
	e := newWalletEnv(t, cfg, func(l credential.Ledger) credential.Ledger {
		return scopedLedger{Ledger: l, t: t, msps: []string{"GovMSP", "HrssMSP"}}
	})
	ctx := context.Background()
	diploma, qual, licence := e.issue("edu", personP, 1), e.issue("hrss", personP, 1), e.issue("samr", companyC, 1)

	byID := map[string]walletItem{}
	for _, it := range append(e.list(personP), e.list(companyC)...) {
		byID[it.ID] = it
	}
	if it := byID[diploma]; !it.DocumentElsewhere || it.IssuerGateway != "https://edu.example.test" {
		t.Errorf("edu's diploma: %+v", it)
	}
	if it := byID[licence]; !it.DocumentElsewhere || it.IssuerGateway != "" {
		t.Errorf("samr's licence: %+v", it)
	}
	if it := byID[qual]; it.DocumentElsewhere || it.IssuerGateway != "" {
		t.Errorf("hrss's qualification: %+v", it)
	}
	c, err := e.srv.holderCredential(ctx, personP, diploma)
	if err != nil || !c.DocumentElsewhere || c.Document != nil || c.VerifyURL != "" || c.QRURL != "" || c.Status != credential.StatusValid {
		t.Fatalf("edu's diploma in full: %+v %v", c, err)
	}
	if c, err := e.srv.holderCredential(ctx, personP, qual); err != nil || c.Document == nil {
		t.Fatalf("hrss's qualification in full: %+v %v", c, err)
	}
	if _, err := e.srv.holderCredential(ctx, personQ, diploma); credential.ErrorReason(err) != credential.ReasonCredentialNotFound {
		t.Fatalf("Q asking for P's diploma here: %v", err)
	}
}

// BenchmarkHolderCredentials is the service behind the holder's list, for a
// holder with 50 credentials of two departments, on the embedded ledger,
// from parallel clients.
func BenchmarkHolderCredentials(b *testing.B) {
	e := newWalletEnv(b, Config{RegistryTTL: time.Minute}, nil)
	for i := range 25 {
		e.issue("hrss", personP, i)
		e.issue("edu", personP, i)
	}
	ctx := context.Background()
	if page, err := e.srv.holderCredentials(ctx, personP, ""); err != nil || len(page.Items) != 50 {
		b.Fatalf("%d items, %v", len(page.Items), err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := e.srv.holderCredentials(ctx, personP, ""); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
