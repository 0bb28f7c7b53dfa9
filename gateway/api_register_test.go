package gateway_test

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
)

type registerPage struct {
	Items []struct {
		ID        string            `json:"id"`
		Type      string            `json:"type"`
		TypeID    string            `json:"typeId"`
		Status    credential.Status `json:"status"`
		Version   int               `json:"version"`
		IssuedAt  time.Time         `json:"issuedAt"`
		ValidFrom time.Time         `json:"validFrom"`
	} `json:"items"`
	Next   string `json:"next"`
	Behind *int   `json:"behind"`
}

// registerIDs pages through GET /api/v1/credentials?<query> and returns the
// identifiers in order, failing on a page larger than limit, an order that
// is not newest first, or an identifier seen twice.
func (e *apiEnv) registerIDs(t *testing.T, dept string, query url.Values, limit int) []string {
	t.Helper()
	var ids []string
	seen := map[string]bool{}
	var last time.Time
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	if limit > 0 {
		q.Set("limit", itoa(limit))
	}
	for pages := 0; ; pages++ {
		if pages > 200 {
			t.Fatal("paging does not end")
		}
		r := e.do(t, "GET", "/api/v1/credentials?"+q.Encode(), e.key(dept), nil)
		if r.Status != http.StatusOK {
			t.Fatalf("register: %d %s", r.Status, r.Body)
		}
		var p registerPage
		r.decode(t, &p)
		if p.Behind == nil || *p.Behind != 0 {
			t.Fatalf("behind %v, want 0", p.Behind)
		}
		if limit > 0 && len(p.Items) > limit {
			t.Fatalf("page of %d items, limit %d", len(p.Items), limit)
		}
		for _, it := range p.Items {
			if seen[it.ID] {
				t.Fatalf("%s listed twice", it.ID)
			}
			if !last.IsZero() && it.IssuedAt.After(last) {
				t.Fatalf("%s issued at %s after an older one", it.ID, it.IssuedAt)
			}
			seen[it.ID], last = true, it.IssuedAt
			ids = append(ids, it.ID)
		}
		if p.Next == "" {
			return ids
		}
		q.Set("cursor", p.Next)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// uscc returns a valid unified social credit code starting with prefix (17
// characters), completed by its check character.
func uscc(t *testing.T, prefix string) string {
	t.Helper()
	for _, c := range "0123456789ABCDEFGHJKLMNPQRTUWXY" {
		if s := prefix + string(c); credential.ValidUSCC(s) {
			return s
		}
	}
	t.Fatalf("no check character completes %s", prefix)
	return ""
}

// The register lists the department's own credentials, newest first, each
// once whatever the page size, filtered by type, status, holder and
// issuance period; another department's never appear, and the holder's ID
// number reaches neither the answer nor the log.
func TestRegister(t *testing.T) {
	e := newAPIEnv(t)
	base := e.registerIDs(t, "samr", nil, 0)
	other := uscc(t, "91350100M00020000")
	var issued, ofOther []string
	for i := range 9 {
		body := licenceBody("台账测试有限公司" + itoa(i))
		if i%3 == 0 {
			body["holder"] = map[string]any{"name": "另一家公司", "idType": "uscc", "idNumber": other}
		}
		lic, r := e.issue(t, "samr", body)
		if r.Status != http.StatusCreated {
			t.Fatalf("issue: %d %s", r.Status, r.Body)
		}
		issued = append(issued, lic.ID)
		if i%3 == 0 {
			ofOther = append(ofOther, lic.ID)
		}
	}
	revoked := issued[4]
	if r := e.do(t, "POST", "/api/v1/credentials/"+revoked+"/revoke", e.key("samr"), map[string]string{"reason": "吊销", "code": "penalty"}); r.Status != 200 {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	eduBefore := e.registerIDs(t, "edu", nil, 0)

	all := append(slices.Clone(issued), base...)
	same := func(got, want []string) bool {
		a, b := slices.Clone(got), slices.Clone(want)
		slices.Sort(a)
		slices.Sort(b)
		return slices.Equal(a, b)
	}
	today := time.Now().In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)
	for _, tt := range []struct {
		name  string
		query url.Values
		limit int
		want  []string
	}{
		{"everything", nil, 0, all},
		{"pages of 1", nil, 1, all},
		{"pages of 4", nil, 4, all},
		{"type by ID", url.Values{"type": {"business-licence"}}, 3, all},
		{"type by code", url.Values{"type": {"11100000MB02000124001"}}, 0, all},
		{"another type", url.Values{"type": {"diploma"}}, 0, nil},
		{"revoked", url.Values{"status": {"revoked"}}, 0, []string{revoked}},
		{"holder", url.Values{"holderIdType": {"uscc"}, "holderIdNumber": {other}}, 2, ofOther},
		{"holder, lower case", url.Values{"holderIdType": {"uscc"}, "holderIdNumber": {strings.ToLower(other)}}, 0, ofOther},
		{"holder and status", url.Values{"holderIdType": {"uscc"}, "holderIdNumber": {other}, "status": {"valid"}}, 0, ofOther},
		{"issued today", url.Values{"issuedFrom": {today}, "issuedTo": {today}}, 0, all},
		{"issued from tomorrow", url.Values{"issuedFrom": {time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)}}, 0, nil},
		{"issued before 2020", url.Values{"issuedTo": {"2019-12-31"}}, 0, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := e.registerIDs(t, "samr", tt.query, tt.limit)
			if !same(got, tt.want) {
				t.Fatalf("listed %d: %v\nwant %d: %v", len(got), got, len(tt.want), tt.want)
			}
		})
	}
	if got := e.registerIDs(t, "edu", nil, 0); !same(got, eduBefore) {
		t.Fatalf("edu's register changed with samr's issuances: %v", got)
	}
	if strings.Contains(e.logs.String(), other) {
		t.Fatal("the holder's ID number is in the log")
	}
}

func TestRegisterRefuses(t *testing.T) {
	e := newAPIEnv(t)
	for _, tt := range []struct {
		name, query, key string
		status           int
		reason, pointer  string
	}{
		{"no API key", "", "", 401, "missing_api_key", ""},
		{"limit 0", "limit=0", "samr", 400, "invalid_field", "#/limit"},
		{"limit 501", "limit=501", "samr", 400, "invalid_field", "#/limit"},
		{"unknown type", "type=passport", "samr", 400, "invalid_field", "#/type"},
		{"unknown status", "status=lost", "samr", 400, "invalid_field", "#/status"},
		{"bad date", "issuedFrom=yesterday", "samr", 400, "invalid_field", "#/issuedFrom"},
		{"number without type", "holderIdNumber=91350100M000100Y43", "samr", 400, "invalid_field", "#/holderIdType"},
		{"bad check character", "holderIdType=uscc&holderIdNumber=91350100M000100Y44", "samr", 400, "invalid_field", "#/holderIdNumber"},
		{"unknown ID type", "holderIdType=card&holderIdNumber=1", "samr", 400, "invalid_field", "#/holderIdType"},
		{"forged cursor", "cursor=..%2F..%2Fcred%2Fx", "samr", 400, "invalid_request", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			key := ""
			if tt.key != "" {
				key = e.key(tt.key)
			}
			r := e.do(t, "GET", "/api/v1/credentials?"+tt.query, key, nil)
			p := expectReason(t, r, tt.status, tt.reason)
			if tt.pointer != "" && (len(p.Errors) != 1 || p.Errors[0].Pointer != tt.pointer) {
				t.Fatalf("field problems %+v, want one at %s", p.Errors, tt.pointer)
			}
		})
	}
}

// Accept: text/csv exports the whole selection, every page, with a header
// row, times in the deployment's zone.
func TestRegisterCSV(t *testing.T) {
	e := newAPIEnv(t)
	for i := range 3 {
		e.mustIssue(t, "导出测试有限公司"+itoa(i))
	}
	want := e.registerIDs(t, "samr", nil, 0)
	r := e.do(t, "GET", "/api/v1/credentials?limit=1", e.key("samr"), nil, "Accept", "text/csv")
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") || !strings.Contains(r.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("export: %d %v", r.Status, r.Header)
	}
	body := string(r.Body)
	if !strings.HasPrefix(body, "\ufeff") {
		t.Fatal("the export does not start with a byte order mark")
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(want)+1 || strings.Join(rows[0], ",") != "id,type,typeId,status,revocationCode,version,issuedAt,validFrom,validUntil" {
		t.Fatalf("%d rows (want %d and a header), header %v", len(rows), len(want), rows[0])
	}
	for i, row := range rows[1:] {
		if row[0] != want[i] || row[2] != "business-licence" || !strings.HasSuffix(row[6], "+08:00") {
			t.Fatalf("row %d: %v, want %s issued in +08:00", i, row, want[i])
		}
	}
	bad := e.do(t, "GET", "/api/v1/credentials?status=lost", e.key("samr"), nil, "Accept", "text/csv")
	expectReason(t, bad, 400, "invalid_field")
}
