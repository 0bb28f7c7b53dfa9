package gateway

import (
	"fmt"
	"strings"
	"testing"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/gateway/batchfile"
)

// importBench is rows of business licences checked as an import checks
// them, and who issues them.
func importBench(b *testing.B, n int) (*Server, *batchValidator, []batchfile.Row, anchorIssuer) {
	e := newWalletEnv(b, Config{}, nil)
	s := e.srv
	reg, err := s.registry.fresh(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	dept, _ := reg.Department("samr")
	typ, _ := reg.Type("business-licence")
	key, err := s.signingKey(dept)
	if err != nil {
		b.Fatal(err)
	}
	var csv strings.Builder
	csv.WriteString(strings.Join(batchfile.FixedColumns, ",") + ",companyName,entityType,legalRepresentative,registeredCapital,establishedOn,address\n")
	for i := range n {
		fmt.Fprintf(&csv, "k%d,导入公司%d,uscc,91350100M000100Y43,2024-01-01,2034-01-01,导入公司%d,有限责任公司,张三,%d,2020-03-15,福州市鼓楼区五四路%d号\n", i, i, i, 100+i, i)
	}
	cols := make([]batchfile.Column, len(typ.Fields))
	for i, f := range typ.Fields {
		cols[i] = batchfile.Column{Name: f.Name, Required: f.Required}
	}
	rows, probs, err := batchfile.Parse(batchfile.CSV, []byte(csv.String()), cols, batchfile.Limits{Rows: n, Cell: batchCell})
	if err != nil || len(probs) > 0 {
		b.Fatal(err, probs)
	}
	job := &batchJob{Dept: dept.ID, Type: typ.ID, Format: batchfile.CSV}
	v := &batchValidator{s: s, reg: reg, dept: dept, job: job, seen: map[string]int{}}
	return s, v, rows, anchorIssuer{dept: dept, typ: typ, key: key}
}

func reportRows(b *testing.B, rows int) {
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(rows*b.N), "µs/row")
}

// BenchmarkImportCheck validates a batch of rows and derives their keys.
func BenchmarkImportCheck(b *testing.B) {
	const n = credential.MaxAnchorLeaves / 2
	_, v, rows, _ := importBench(b, n)
	b.ReportAllocs()
	for b.Loop() {
		for _, c := range v.check(rows) {
			if c.problem != nil {
				b.Fatal(c.problem)
			}
		}
	}
	reportRows(b, n)
}

// BenchmarkImportBuild builds and signs an anchored batch of the default
// size: documents, leaves, chunks and root.
func BenchmarkImportBuild(b *testing.B) {
	const n = DefaultImportAnchorSize
	s, v, rows, iss := importBench(b, n)
	checked := v.check(rows)
	batch := make([]anchorRow, n)
	for i, c := range checked {
		batch[i] = newAnchorRow(i, rows[i], c)
	}
	b.ReportAllocs()
	for b.Loop() {
		req, kept, dropped := s.buildAnchor(iss, batch, "", "")
		if len(dropped) > 0 || len(kept) != n || len(req.Chunks) != credential.AnchorChunks(n) {
			b.Fatal(dropped)
		}
	}
	reportRows(b, n)
}
