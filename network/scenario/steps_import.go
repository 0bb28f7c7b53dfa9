package scenario

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/gateway/provision"
)

// importRows is the size of the scenario's bulk import: small enough for a
// Fabric network, large enough to run rows concurrently and to fill more
// than one chunk of an anchored batch (credential.AnchorChunkSize).
const importRows = 1000

// importHolderRow is the row imported for the demo company citizen, who
// signs in and finds it; every other row has a holder of its own, so a
// register search by holder ID finds exactly that row's credential.
const importHolderRow = 617

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

// importState is what the import chapter carries between its steps.
type importState struct {
	ids     []string // the credential of each row, by row
	holders []string // each row's holder USCC, by row
	citizen provision.DemoCitizen
}

// bulkImport imports a CSV file of business licences, one of them the demo
// company's, sends it again (the same identifiers, nothing new), and checks
// that another department cannot see the batch.
func (s *suite) bulkImport(t *testing.T) {
	citizen := s.companyCitizen(t)
	holders := make([]string, importRows)
	var b strings.Builder
	b.WriteString("key,holder.name,holder.idType,holder.idNumber,validFrom,validUntil,companyName,entityType,legalRepresentative,registeredCapital,establishedOn,address\n")
	for i := range importRows {
		name, uscc := fmt.Sprintf("存量公司%d", i), rowUSCC(t, i)
		if i == importHolderRow {
			name, uscc = citizen.Name, citizen.IDNumber
		}
		holders[i] = uscc
		fmt.Fprintf(&b, "scenario-%d,%s,uscc,%s,2024-01-01,2034-01-01,%s,有限责任公司,李四,%d,2019-06-01,福州市仓山区%d号\n", i, name, uscc, name, 100+i, i)
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
	s.imp = importState{ids: first, holders: holders, citizen: citizen}
}

// companyCitizen is the demo citizen who signs in as a company (ID type
// uscc): the only kind of holder a business licence has.
func (s *suite) companyCitizen(t testing.TB) provision.DemoCitizen {
	t.Helper()
	for _, c := range s.target.Citizens() {
		if c.IDType == credential.IDUSCC {
			return c
		}
	}
	t.Fatal("demo-keys.json lists no demo citizen with a USCC")
	return provision.DemoCitizen{}
}

// rowUSCC is a well-formed USCC of its own for row i, which no demo
// citizen and no other step uses.
func rowUSCC(t testing.TB, i int) string {
	t.Helper()
	first := fmt.Sprintf("91350100M%08d", i)
	for _, c := range "0123456789ABCDEFGHJKLMNPQRTUWXY" {
		if s := first + string(c); credential.ValidUSCC(s) {
			return s
		}
	}
	t.Fatalf("no check character completes %s", first)
	return ""
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

// importFile imports file to its end and returns the rows' identifiers,
// by row.
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
			Key string `json:"key"`
			ID  string `json:"id"`
		} `json:"results"`
	}
	r.JSON(t, &res)
	ids := make([]string, importRows)
	seen := map[string]bool{}
	for _, x := range res.Results {
		if x.ID == "" || seen[x.ID] {
			t.Fatalf("row %d: identifier %q empty or twice", x.Row, x.ID)
		}
		// The key names the row as bulkImport numbered it; the result's row
		// is the file's, counting the header.
		var i int
		if _, err := fmt.Sscanf(x.Key, "scenario-%d", &i); err != nil || i < 0 || i >= importRows || ids[i] != "" {
			t.Fatalf("row %d: key %q is no row of the file, or twice", x.Row, x.Key)
		}
		seen[x.ID], ids[i] = true, x.ID
	}
	if len(res.Results) != importRows {
		t.Fatalf("%d results, want %d", len(res.Results), importRows)
	}
	return ids
}
