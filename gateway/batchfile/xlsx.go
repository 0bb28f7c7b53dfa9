package batchfile

import (
	"bytes"

	"github.com/xuri/excelize/v2"
)

// xlsxUnzipLimit bounds what a workbook may expand to, so a small
// compressed file cannot unpack into gigabytes.
const xlsxUnzipLimit = 512 << 20

func parseXLSX(data []byte, columns []Column, lim Limits) ([]Row, []Problem, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit: xlsxUnzipLimit, UnzipXMLSizeLimit: 16 << 20})
	if err != nil {
		return nil, nil, fileErr(0, "", "the file is not an XLSX workbook: %v", err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, nil, fileErr(0, "", "the workbook has no sheet")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return nil, nil, fileErr(0, "", "reading the first sheet: %v", err)
	}
	defer rows.Close()
	t := &table{lim: lim}
	n := 0
	for rows.Next() {
		n++
		rec, err := rows.Columns()
		if err != nil {
			return nil, nil, fileErr(n, "", "reading the row: %v", err)
		}
		if t.header == nil {
			if len(rec) == 0 {
				continue // blank rows above the header
			}
			if err := t.setHeader(rec, columns); err != nil {
				err.Row = n
				return nil, nil, err
			}
			continue
		}
		if err := t.add(n, rec); err != nil {
			return nil, nil, err
		}
	}
	if err := rows.Error(); err != nil {
		return nil, nil, fileErr(n, "", "reading the first sheet: %v", err)
	}
	if t.header == nil {
		return nil, nil, fileErr(1, "", "the first sheet is empty: it needs a header row")
	}
	return t.rows, t.problems, nil
}
