package batchfile

import (
	"bytes"
	"errors"
	"strings"

	json "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// ndjsonLine is one line: an issuance body with an optional key.
type ndjsonLine struct {
	Key string `json:"key,omitempty"`
	Body
}

// lineFactor: a JSON line, a whole issuance body, may be this many cells long.
const lineFactor = 16

func parseNDJSON(data []byte, lim Limits) ([]Row, []Problem, error) {
	data = bytes.TrimPrefix(data, utf8BOM)
	var rows []Row
	var probs []Problem
	for n := 1; len(data) > 0; n++ {
		line, rest, _ := bytes.Cut(data, []byte("\n"))
		data = rest
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		if len(rows)+len(probs) >= lim.Rows {
			return nil, nil, fileErr(n, "", "the file has more than %d rows", lim.Rows)
		}
		if len(line) > lim.Cell*lineFactor {
			probs = append(probs, Problem{Row: n, Detail: "the line is longer than the limit"})
			continue
		}
		var l ndjsonLine
		if err := json.Unmarshal(line, &l, json.RejectUnknownMembers(true)); err != nil {
			probs = append(probs, Problem{Row: n, Field: errPointer(err), Detail: "the line is not an issuance body: " + jsonErrText(err)})
			continue
		}
		rows = append(rows, Row{Number: n, Key: l.Key, Body: l.Body})
	}
	return rows, probs, nil
}

// errPointer is the member a decoding error is about, as "#/a/b".
func errPointer(err error) string {
	var sem *json.SemanticError
	var syn *jsontext.SyntacticError
	switch {
	case errors.As(err, &sem) && sem.JSONPointer != "":
		return "#" + string(sem.JSONPointer)
	case errors.As(err, &syn) && syn.JSONPointer != "":
		return "#" + string(syn.JSONPointer)
	}
	return ""
}

func jsonErrText(err error) string {
	s := err.Error()
	s = strings.TrimPrefix(s, "json: ")
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}
