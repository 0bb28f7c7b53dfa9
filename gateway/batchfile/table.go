package batchfile

import (
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/certledger/certledger/credential"
)

// table turns the rows of a CSV file or a sheet into issuance rows: the
// header is checked once, then each record becomes a Row or problems.
type table struct {
	lim      Limits
	header   []string
	rows     []Row
	problems []Problem
}

// setHeader checks the header: the fixed columns in order, then field
// names of the type, each once, every required field present.
func (t *table) setHeader(rec []string, columns []Column) *FileError {
	if len(rec) < len(FixedColumns) {
		return fileErr(1, "", "the header must start with %s, then the type's fields", strings.Join(FixedColumns, ","))
	}
	known := map[string]bool{}
	for _, c := range columns {
		known[c.Name] = true
	}
	seen := map[string]bool{}
	t.header = make([]string, len(rec))
	for i, h := range rec {
		h = strings.TrimSpace(h)
		if len(h) > t.lim.Cell || !utf8.ValidString(h) {
			return fileErr(1, "", "column %d of the header is not a column name", i+1)
		}
		switch {
		case i < len(FixedColumns) && h != FixedColumns[i]:
			return fileErr(1, h, "column %d must be %s (the header starts with %s)", i+1, FixedColumns[i], strings.Join(FixedColumns, ","))
		case i >= len(FixedColumns) && !known[h]:
			return fileErr(1, h, "column %q is not a field of the type", h)
		case seen[h]:
			return fileErr(1, h, "column %q appears twice", h)
		}
		seen[h] = true
		t.header[i] = h
	}
	for _, c := range columns {
		if c.Required && !seen[c.Name] {
			return fileErr(1, c.Name, "the required field %s has no column", c.Name)
		}
	}
	return nil
}

// add reads one record, row number n. A record wholly empty is skipped,
// as a spreadsheet's blank lines are.
func (t *table) add(n int, rec []string) error {
	empty := true
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			empty = false
			break
		}
	}
	if empty {
		return nil
	}
	if len(t.rows)+len(t.problems) >= t.lim.Rows {
		return fileErr(n, "", "the file has more than %d rows", t.lim.Rows)
	}
	if len(rec) > len(t.header) {
		for _, v := range rec[len(t.header):] {
			if strings.TrimSpace(v) != "" {
				t.problems = append(t.problems, Problem{Row: n, Detail: "the row has more cells than the header has columns"})
				return nil
			}
		}
	}
	bad := false
	for i, v := range rec[:min(len(rec), len(t.header))] {
		if len(v) > t.lim.Cell {
			t.problems = append(t.problems, Problem{Row: n, Field: t.header[i], Detail: "the cell is longer than the limit"})
			bad = true
		} else if !utf8.ValidString(v) {
			t.problems = append(t.problems, Problem{Row: n, Field: t.header[i], Detail: "the cell is not UTF-8 text"})
			bad = true
		}
	}
	if bad {
		return nil
	}
	r := Row{Number: n, Body: Body{Holder: &credential.Holder{}, Fields: map[string]json.RawMessage{}}}
	for i, h := range t.header {
		v := ""
		if i < len(rec) {
			v = strings.TrimSpace(rec[i])
		}
		switch h {
		case "key":
			r.Key = v
		case "holder.name":
			r.Body.Holder.Name = v
		case "holder.idType":
			r.Body.Holder.IDType = v
		case "holder.idNumber":
			r.Body.Holder.IDNumber = v
		case "validFrom":
			r.Body.ValidFrom = v
		case "validUntil":
			r.Body.ValidUntil = v
		default:
			if v != "" {
				r.Body.Fields[h] = credential.AppendJSONString(make([]byte, 0, len(v)+2), v)
			}
		}
	}
	t.rows = append(t.rows, r)
	return nil
}
