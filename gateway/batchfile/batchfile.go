// Package batchfile reads the files of a bulk import (存量证照电子化): CSV,
// the first sheet of an XLSX workbook, or JSON lines, into issuance rows.
// It checks the file's shape (header, cell sizes, row count); the
// gateway validates each row as it validates a single issuance.
package batchfile

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/certledger/certledger/credential"
)

// Format is the kind of file.
type Format int

const (
	CSV Format = iota + 1
	XLSX
	NDJSON
)

// Media types of the formats.
const (
	MediaCSV    = "text/csv"
	MediaXLSX   = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	MediaNDJSON = "application/x-ndjson"
)

// FormatOf maps a Content-Type to a format; false for any other.
func FormatOf(contentType string) (Format, bool) {
	mt, _, _ := strings.Cut(contentType, ";")
	switch strings.ToLower(strings.TrimSpace(mt)) {
	case MediaCSV:
		return CSV, true
	case MediaXLSX:
		return XLSX, true
	case MediaNDJSON, "application/jsonl", "application/jsonlines":
		return NDJSON, true
	}
	return 0, false
}

// FixedColumns start the header of a CSV or XLSX file; the type's field
// names follow.
var FixedColumns = []string{"key", "holder.name", "holder.idType", "holder.idNumber", "validFrom", "validUntil"}

// Column is one field of the credential type.
type Column struct {
	Name     string
	Required bool
}

// Limits bound what a file may hold.
type Limits struct {
	Rows int // data rows
	Cell int // bytes of one cell, or of one JSON line
}

// DefaultLimits: 200,000 rows of cells up to 4 KiB (a JSON line up to 64 KiB).
var DefaultLimits = Limits{Rows: 200_000, Cell: 4 << 10}

// Row is one issuance of the file.
type Row struct {
	// Number is the row as the file's author sees it: the spreadsheet row
	// (the header is row 1) or the JSON line, counting from 1.
	Number int
	Key    string
	Body   Body
}

// Body is an issuance as POST /api/v1/credentials takes it.
type Body struct {
	Type       string                     `json:"type,omitempty"`
	Holder     *credential.Holder         `json:"holder"`
	Fields     map[string]json.RawMessage `json:"fields"`
	ValidFrom  string                     `json:"validFrom,omitempty"`
	ValidUntil string                     `json:"validUntil,omitempty"`
}

// Problem is what is wrong with one cell or member of one row. Field is a
// column name for CSV and XLSX, a JSON pointer for JSON lines.
type Problem struct {
	Row    int    `json:"row"`
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason,omitempty"`
	Detail string `json:"detail"`
}

// FileError refuses the whole file: its header, its encoding, its size.
type FileError struct{ Problem }

func (e *FileError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("row %d, %s: %s", e.Row, e.Field, e.Detail)
	}
	return fmt.Sprintf("row %d: %s", e.Row, e.Detail)
}

func fileErr(row int, field, format string, args ...any) *FileError {
	return &FileError{Problem{Row: row, Field: field, Detail: fmt.Sprintf(format, args...)}}
}

// Parse reads data. Rows that cannot be read become problems and the rest
// are returned; a file that cannot be read at all is a *FileError.
func Parse(f Format, data []byte, columns []Column, lim Limits) ([]Row, []Problem, error) {
	if lim.Rows <= 0 || lim.Cell <= 0 {
		lim = DefaultLimits
	}
	switch f {
	case CSV:
		return parseCSV(data, columns, lim)
	case XLSX:
		return parseXLSX(data, columns, lim)
	case NDJSON:
		return parseNDJSON(data, lim)
	}
	return nil, nil, fileErr(0, "", "unknown file format")
}

// FieldName turns the JSON pointer of an issuance member into the
// column it comes from in a CSV or XLSX file.
func FieldName(f Format, pointer string) string {
	if f == NDJSON || pointer == "" {
		return pointer
	}
	p := strings.TrimPrefix(pointer, "#/")
	if name, ok := strings.CutPrefix(p, "fields/"); ok {
		return strings.ReplaceAll(strings.ReplaceAll(name, "~1", "/"), "~0", "~")
	}
	return strings.ReplaceAll(p, "/", ".")
}
