package batchfile

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
)

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

func parseCSV(data []byte, columns []Column, lim Limits) ([]Row, []Problem, error) {
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, utf8BOM)))
	r.FieldsPerRecord = -1 // a short or long row is that row's problem, not the file's
	r.ReuseRecord = true
	t := &table{lim: lim}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		line, _ := r.FieldPos(0)
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			// Quotes out of place leave the reader unsure where the next
			// record starts, so the file is refused at that line.
			return nil, nil, fileErr(pe.StartLine, "", "the file is not valid CSV: %v", pe.Err)
		} else if err != nil {
			return nil, nil, fileErr(line, "", "reading the file: %v", err)
		}
		if t.header == nil {
			if err := t.setHeader(rec, columns); err != nil {
				return nil, nil, err
			}
			continue
		}
		if err := t.add(line, rec); err != nil {
			return nil, nil, err
		}
	}
	if t.header == nil {
		return nil, nil, fileErr(1, "", "the file is empty: it needs a header row")
	}
	return t.rows, t.problems, nil
}
