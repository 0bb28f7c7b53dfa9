package batchfile_test

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/certledger/certledger/gateway/batchfile"
	"github.com/xuri/excelize/v2"
)

var columns = []batchfile.Column{{Name: "companyName", Required: true}, {Name: "address"}}

const header = "key,holder.name,holder.idType,holder.idNumber,validFrom,validUntil,companyName,address\n"

func TestParse(t *testing.T) {
	lim := batchfile.Limits{Rows: 4, Cell: 64}
	tests := []struct {
		name     string
		format   batchfile.Format
		data     []byte
		rows     []int    // row numbers read
		problems []string // "row field" of each problem
		fileErr  string   // "row field" of the file error
	}{
		{name: "csv", format: batchfile.CSV, data: []byte(header + "k1,甲公司,uscc,91350100M000100Y43,2024-01-01,,甲公司,福州\n\nk2,乙,uscc,1,,,乙,\n"), rows: []int{2, 4}},
		{name: "csv bom", format: batchfile.CSV, data: append([]byte{0xEF, 0xBB, 0xBF}, header+"k1,甲,uscc,1,,,甲,\n"...), rows: []int{2}},
		{name: "csv columns in another order", format: batchfile.CSV, data: []byte("holder.name,key,holder.idType,holder.idNumber,validFrom,validUntil,companyName\n"), fileErr: "1 holder.name"},
		{name: "csv unknown field", format: batchfile.CSV, data: []byte("key,holder.name,holder.idType,holder.idNumber,validFrom,validUntil,companyName,colour\n"), fileErr: "1 colour"},
		{name: "csv required field missing", format: batchfile.CSV, data: []byte("key,holder.name,holder.idType,holder.idNumber,validFrom,validUntil,address\n"), fileErr: "1 companyName"},
		{name: "csv column twice", format: batchfile.CSV, data: []byte(strings.TrimSuffix(header, "\n") + ",address\n"), fileErr: "1 address"},
		{name: "csv empty", format: batchfile.CSV, data: nil, fileErr: "1 "},
		{name: "csv bad quote", format: batchfile.CSV, data: []byte(header + "k1,\"甲\"x,uscc,1,,,甲,\n"), fileErr: "2 "},
		{name: "csv per-row problems", format: batchfile.CSV, data: []byte(header + "k1,甲,uscc,1,,,甲,,extra\nk2,乙,uscc,1,,," + strings.Repeat("长", 30) + ",\nk3,丙,uscc,1,,,丙\n"),
			rows: []int{4}, problems: []string{"2 ", "3 companyName"}},
		{name: "csv too many rows", format: batchfile.CSV, data: []byte(header + "a,1,uscc,1,,,x,\nb,1,uscc,1,,,x,\nc,1,uscc,1,,,x,\nd,1,uscc,1,,,x,\ne,1,uscc,1,,,x,\n"), fileErr: "6 "},
		{name: "ndjson", format: batchfile.NDJSON, data: []byte(`{"key":"k1","holder":{"name":"甲","idType":"uscc","idNumber":"1"},"fields":{"companyName":"甲","registeredCapital":500}}` + "\n\n" +
			`{"holder":{"name":"乙"},"fields":{},"colour":1}` + "\n" + `{"holder":` + "\n" + `{"holder":{"name":3}}`),
			rows: []int{1}, problems: []string{"3 #/colour", "4 #/holder", "5 #/holder/name"}},
		{name: "ndjson bom", format: batchfile.NDJSON, data: append([]byte{0xEF, 0xBB, 0xBF}, `{"key":"k"}`...), rows: []int{1}},
		{name: "xlsx", format: batchfile.XLSX, data: workbook(t, [][]string{
			strings.Split(strings.TrimSpace(header), ","),
			{"k1", "甲", "uscc", "1", "2024-01-01", "", "甲"},
			{},
			{"k2", "乙", "uscc", "1", "", "", strings.Repeat("长", 30)},
		}), rows: []int{2}, problems: []string{"4 companyName"}},
		{name: "xlsx bad header", format: batchfile.XLSX, data: workbook(t, [][]string{{"key", "name"}}), fileErr: "1 "},
		{name: "xlsx not a workbook", format: batchfile.XLSX, data: []byte("PK not really"), fileErr: "0 "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, probs, err := batchfile.Parse(tt.format, tt.data, columns, lim)
			if tt.fileErr != "" {
				var fe *batchfile.FileError
				if !errors.As(err, &fe) {
					t.Fatalf("err %v, want a file error at %q", err, tt.fileErr)
				}
				if got := strings.TrimSpace(itoa(fe.Row) + " " + fe.Field); got != strings.TrimSpace(tt.fileErr) {
					t.Fatalf("file error at %q (%s), want %q", got, fe.Detail, tt.fileErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, r := range rows {
				got = append(got, r.Number)
			}
			if !equal(got, tt.rows) {
				t.Fatalf("rows %v, want %v", got, tt.rows)
			}
			var gotP []string
			for _, p := range probs {
				gotP = append(gotP, strings.TrimSpace(itoa(p.Row)+" "+p.Field))
			}
			for i := range tt.problems {
				tt.problems[i] = strings.TrimSpace(tt.problems[i])
			}
			if !equal(gotP, tt.problems) {
				t.Fatalf("problems %v, want %v (%+v)", gotP, tt.problems, probs)
			}
		})
	}
}

// TestParseValues checks what a CSV row becomes: the issuance body the
// single API takes, empty cells absent.
func TestParseValues(t *testing.T) {
	rows, _, err := batchfile.Parse(batchfile.CSV, []byte(header+"k1, 甲公司 ,uscc,91350100M000100Y43,2024-01-01,2034-01-01,甲公司,\n"), columns, batchfile.DefaultLimits)
	if err != nil || len(rows) != 1 {
		t.Fatal(rows, err)
	}
	r := rows[0]
	if r.Key != "k1" || r.Body.Holder.Name != "甲公司" || r.Body.Holder.IDType != "uscc" || r.Body.ValidUntil != "2034-01-01" ||
		string(r.Body.Fields["companyName"]) != `"甲公司"` || len(r.Body.Fields) != 1 {
		t.Fatalf("%+v %+v", r, r.Body.Holder)
	}
	nd, _, err := batchfile.Parse(batchfile.NDJSON, []byte(`{"key":"k","type":"x","fields":{"n":5}}`), nil, batchfile.DefaultLimits)
	if err != nil || nd[0].Key != "k" || nd[0].Body.Type != "x" || string(nd[0].Body.Fields["n"]) != "5" {
		t.Fatalf("%+v %v", nd, err)
	}
}

func TestFieldName(t *testing.T) {
	for _, tt := range []struct {
		f        batchfile.Format
		in, want string
	}{
		{batchfile.CSV, "#/holder/idNumber", "holder.idNumber"},
		{batchfile.XLSX, "#/fields/a~1b", "a/b"},
		{batchfile.CSV, "#/validFrom", "validFrom"},
		{batchfile.NDJSON, "#/holder/idNumber", "#/holder/idNumber"},
	} {
		if got := batchfile.FieldName(tt.f, tt.in); got != tt.want {
			t.Errorf("FieldName(%v, %q) = %q, want %q", tt.f, tt.in, got, tt.want)
		}
	}
}

func TestFormatOf(t *testing.T) {
	for ct, want := range map[string]batchfile.Format{"text/csv; charset=utf-8": batchfile.CSV, "application/x-ndjson": batchfile.NDJSON,
		batchfile.MediaXLSX: batchfile.XLSX, "application/json": 0} {
		if got, _ := batchfile.FormatOf(ct); got != want {
			t.Errorf("FormatOf(%q) = %v, want %v", ct, got, want)
		}
	}
}

func workbook(t *testing.T, rows [][]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		for j, v := range r {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			if err := f.SetCellStr("Sheet1", cell, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func itoa(n int) string { return strconv.Itoa(n) }

func equal[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
