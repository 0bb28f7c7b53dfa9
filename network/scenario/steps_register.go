package scenario

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

type registerPage struct {
	Items []struct {
		ID       string    `json:"id"`
		Status   string    `json:"status"`
		IssuedAt time.Time `json:"issuedAt"`
	} `json:"items"`
	Next   string `json:"next"`
	Behind *int   `json:"behind"`
}

// registerIDs pages through a department's register and returns the
// identifiers, failing on a duplicate, an order that is not newest first or
// an answer that is behind the ledger.
func (s *suite) registerIDs(t testing.TB, key string, q url.Values) []string {
	t.Helper()
	var ids []string
	seen := map[string]bool{}
	var last time.Time
	for pages := 0; ; pages++ {
		if pages > 500 {
			t.Fatal("the register's paging does not end")
		}
		r := s.c.Request(t, "GET", "/api/v1/credentials?"+q.Encode(), key, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("register: %d %s", r.Status, r.Body)
		}
		var p registerPage
		r.JSON(t, &p)
		if p.Behind == nil || *p.Behind != 0 {
			t.Fatalf("the register is behind the ledger: %s", r.Body)
		}
		for _, it := range p.Items {
			if seen[it.ID] || (!last.IsZero() && it.IssuedAt.After(last)) {
				t.Fatalf("%s listed twice or out of order", it.ID)
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

// register checks the department register after the restart and the kill
// -9: complete at once (the index is written with each issuance, so no
// gateway has catching up to do), paged without duplicates, filtered, each
// department's alone, and its CSV export the same selection. It logs what
// one page costs against reading the holders' names, one private document
// each (docs/decisions/0018-register.md).
func (s *suite) register(t *testing.T) {
	all := s.registerIDs(t, s.samr, url.Values{"limit": {"100"}})
	for _, id := range []string{s.lic.ID, s.idemID} {
		if !slices.Contains(all, id) {
			t.Fatalf("samr's register (%d credentials) lacks %s", len(all), id)
		}
	}
	if paged := s.registerIDs(t, s.samr, url.Values{"limit": {"7"}}); !slices.Equal(paged, all) {
		t.Fatalf("pages of 7 list %d credentials, pages of 100 %d", len(paged), len(all))
	}
	edu := s.registerIDs(t, s.edu, url.Values{})
	if len(edu) == 0 || slices.ContainsFunc(edu, func(id string) bool { return slices.Contains(all, id) }) {
		t.Fatalf("edu's register: %d credentials, sharing some with samr's", len(edu))
	}

	var rec struct {
		Record struct {
			Status string `json:"status"`
		} `json:"record"`
	}
	s.c.Request(t, "GET", "/api/v1/credentials/"+s.lic.ID, s.samr, nil).JSON(t, &rec)
	status := map[string]string{"valid": "valid", "suspended": "suspended", "revoked": "revoked"}[rec.Record.Status]
	if status == "" {
		t.Fatalf("the licence's record has status %q", rec.Record.Status)
	}
	for _, q := range []url.Values{
		{"status": {status}},
		{"holderIdType": {"uscc"}, "holderIdNumber": {"91350100m000100y43"}},
		{"type": {"business-licence"}, "issuedFrom": {s.lic.Document.IssuedAt.Add(-time.Second).Format(time.RFC3339)}},
	} {
		if got := s.registerIDs(t, s.samr, q); !slices.Contains(got, s.lic.ID) {
			t.Errorf("%s: %d credentials without the licence", q.Encode(), len(got))
		}
	}
	if got := s.registerIDs(t, s.samr, url.Values{"type": {"diploma"}}); len(got) != 0 {
		t.Errorf("samr's register lists %d diplomas", len(got))
	}

	r := s.c.Request(t, "GET", "/api/v1/credentials", s.samr, nil, "Accept", "text/csv")
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(r.Body), "\ufeff"))).ReadAll()
	if r.Status != http.StatusOK || err != nil || len(rows) != len(all)+1 {
		t.Fatalf("CSV export: %d, %d rows (%v), want %d and a header", r.Status, len(rows), err, len(all))
	}

	// The cost of the holder's name: one page of 50 against the 50
	// document reads that would name its holders.
	start := time.Now()
	s.c.Request(t, "GET", "/api/v1/credentials?limit=50", s.samr, nil)
	page := time.Since(start)
	n := min(50, len(all))
	start = time.Now()
	for _, id := range all[:n] {
		if r := s.c.Request(t, "GET", "/api/v1/credentials/"+id, s.samr, nil); r.Status != http.StatusOK {
			t.Fatalf("read %s: %d", id, r.Status)
		}
	}
	t.Logf("register page of 50: %s; the %d documents of its holders, read one by one: %s", page.Round(time.Millisecond), n, time.Since(start).Round(time.Millisecond))
}
