package scenario

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// importRows is the size of the scenario's bulk import: small enough for a
// Fabric network, large enough to run rows concurrently.
const importRows = 200

type importStatus struct {
	Status string `json:"status"`
	Total  int    `json:"total"`
	Done   int    `json:"done"`
	Failed int    `json:"failed"`
	Errors []struct {
		Row    int    `json:"row"`
		Field  string `json:"field"`
		Detail string `json:"detail"`
	} `json:"errors"`
}

// bulkImport imports a CSV file of business licences, sends it again
// (the same identifiers, nothing new), and checks that another department
// cannot see the batch.
func (s *suite) bulkImport(t *testing.T) {
	var b strings.Builder
	b.WriteString("key,holder.name,holder.idType,holder.idNumber,validFrom,validUntil,companyName,entityType,legalRepresentative,registeredCapital,establishedOn,address\n")
	for i := range importRows {
		fmt.Fprintf(&b, "scenario-%d,存量公司%d,uscc,91350100M000100Y43,2024-01-01,2034-01-01,存量公司%d,有限责任公司,李四,%d,2019-06-01,福州市仓山区%d号\n", i, i, i, 100+i, i)
	}
	file := b.String()
	first := s.importFile(t, file)
	if again := s.importFile(t, file); strings.Join(again, ",") != strings.Join(first, ",") {
		t.Fatal("the re-sent file answered other identifiers")
	}
	r := s.c.Request(t, "GET", "/api/v1/credentials/"+first[importRows/2], s.samr, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("an imported credential: %d %s", r.Status, r.Body)
	}
	id := s.submitImport(t, file)
	expectProblem(t, s.c.Request(t, "GET", "/api/v1/batches/"+id, s.edu, nil), http.StatusNotFound, "batch_not_found")
}

func (s *suite) submitImport(t *testing.T, file string) string {
	t.Helper()
	r := s.c.Request(t, "POST", "/api/v1/batches?type=business-licence", s.samr, file, "Content-Type", "text/csv")
	if r.Status != http.StatusAccepted {
		t.Fatalf("import: %d %s", r.Status, r.Body)
	}
	var out struct{ ID string }
	r.JSON(t, &out)
	return out.ID
}

// importFile imports file to its end and returns the rows' identifiers.
func (s *suite) importFile(t *testing.T, file string) []string {
	t.Helper()
	id := s.submitImport(t, file)
	var st importStatus
	for deadline := time.Now().Add(10 * time.Minute); ; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the import did not end: %+v", st)
		}
		r := s.c.Request(t, "GET", "/api/v1/batches/"+id, s.samr, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("import status: %d %s", r.Status, r.Body)
		}
		r.JSON(t, &st)
		if st.Status == "done" || st.Status == "failed" {
			break
		}
	}
	if st.Status != "done" || st.Done != importRows || st.Failed != 0 {
		t.Fatalf("import: %+v", st)
	}
	r := s.c.Request(t, "GET", "/api/v1/batches/"+id+"/results", s.samr, nil)
	var res struct {
		Results []struct {
			Row int    `json:"row"`
			ID  string `json:"id"`
		} `json:"results"`
	}
	r.JSON(t, &res)
	ids := make([]string, 0, len(res.Results))
	seen := map[string]bool{}
	for _, x := range res.Results {
		if x.ID == "" || seen[x.ID] {
			t.Fatalf("row %d: identifier %q empty or twice", x.Row, x.ID)
		}
		seen[x.ID] = true
		ids = append(ids, x.ID)
	}
	if len(ids) != importRows {
		t.Fatalf("%d results, want %d", len(ids), importRows)
	}
	return ids
}
