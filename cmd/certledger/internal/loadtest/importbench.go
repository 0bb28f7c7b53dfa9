package loadtest

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
	"github.com/certledger/certledger/gateway/apiclient"
)

// Markers of the import section of docs/benchmarks.md.
const (
	ImportSectionBegin = "<!-- certledger-bench-import:begin -->"
	ImportSectionEnd   = "<!-- certledger-bench-import:end -->"
)

// ImportReport is one bulk import measured on a self-hosted gateway.
type ImportReport struct {
	Rows     int
	Bytes    int
	Elapsed  time.Duration // from sending the file to the batch's end
	CPU      time.Duration // user+system time of this process (client and gateway)
	Done     int
	Failed   int
	CPUs     int
	Command  string
	Finished time.Time
}

// RowsPerSecond is the import's rate.
func (r ImportReport) RowsPerSecond() float64 { return float64(r.Done) / r.Elapsed.Seconds() }

// ImportCSV is n rows of typ for the demo holders, as `certledger
// import` takes them.
func ImportCSV(typ credential.CredentialType, n int) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	head := []string{"key", "holder.name", "holder.idType", "holder.idNumber", "validFrom", "validUntil"}
	for _, f := range typ.Fields {
		head = append(head, f.Name)
	}
	_ = w.Write(head)
	for i := range n {
		h := benchHolder(typ, "导入持证人"+strconv.Itoa(i))
		rec := []string{"bench-" + strconv.Itoa(i), h.Name, h.IDType, h.IDNumber, "2024-01-01", "2034-01-01"}
		vals := fieldValues(typ, i)
		for _, f := range typ.Fields {
			rec = append(rec, vals[f.Name])
		}
		_ = w.Write(rec)
	}
	w.Flush()
	return buf.Bytes()
}

// RunImport imports n rows of typeID into a gateway it starts on a
// temporary folder (the embedded ledger, as `serve --demo`), and measures
// the rate and the CPU time per row.
func RunImport(ctx context.Context, typeID string, n int, progress io.Writer) (ImportReport, error) {
	reg := credential.Registry{Departments: demo.Departments(), Types: demo.Types()}
	typ, ok := reg.Type(typeID)
	if !ok {
		return ImportReport{}, fmt.Errorf("unknown demo type %q", typeID)
	}
	file := ImportCSV(typ, n)
	sh, err := startSelfHosted(ctx, "", nil)
	if err != nil {
		return ImportReport{}, err
	}
	defer sh.cleanup()
	defer sh.stop()
	issuer := typ.Issuers[0]
	c := &apiclient.Client{BaseURL: sh.URL, APIKey: sh.Keys[issuer].APIKey}
	cpu0 := cpuTime()
	start := time.Now()
	b, err := apiclient.Import(ctx, c, apiclient.ImportOptions{Type: typ.ID, File: file, MediaType: apiclient.MediaType("f.csv"),
		Progress: apiclient.ProgressBar(progress, false), Poll: 100 * time.Millisecond})
	elapsed := time.Since(start)
	if err != nil {
		return ImportReport{}, err
	}
	if b.Status != "done" {
		return ImportReport{}, fmt.Errorf("the batch ended %s: %s", b.Status, b.Detail)
	}
	return ImportReport{Rows: n, Bytes: len(file), Elapsed: elapsed, CPU: cpuTime() - cpu0, Done: b.Done, Failed: b.Failed,
		CPUs: runtime.NumCPU(), Finished: time.Now().UTC()}, nil
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Markdown is the report as the import section of docs/benchmarks.md.
func (r ImportReport) Markdown() string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Measured %s on %d CPUs with `%s`:\n\n", r.Finished.Format("2006-01-02"), r.CPUs, r.Command)
	fmt.Fprintln(&b, "| rows | file | time | rows/s | CPU per row | issued | failed |")
	fmt.Fprintln(&b, "|---:|---:|---:|---:|---:|---:|---:|")
	fmt.Fprintf(&b, "| %d | %.1f MiB | %.2f s | %.0f | %.0f µs | %d | %d |\n", r.Rows, float64(r.Bytes)/(1<<20), r.Elapsed.Seconds(), r.RowsPerSecond(),
		float64(r.CPU.Microseconds())/float64(max(r.Done, 1)), r.Done, r.Failed)
	return b.String()
}
