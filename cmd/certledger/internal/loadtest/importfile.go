package loadtest

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
)

// importFile is one generated import file and the key of each of its rows,
// in file order: the key is what the gateway answers each row's result by.
type importFile struct {
	Type credential.CredentialType
	CSV  []byte
	Keys []string
}

// Rows is the file's number of data rows.
func (f importFile) Rows() int { return len(f.Keys) }

// importRowKey is the key of row i of the file tagged tag: distinct tags
// make distinct rows, so files of one run never replay one another.
func importRowKey(tag string, i int) string { return tag + "-" + strconv.Itoa(i) }

// importHeader is the CSV header of type t, as decision 0019 names it.
func importHeader(t credential.CredentialType) []string {
	head := []string{"key", "holder.name", "holder.idType", "holder.idNumber", "validFrom", "validUntil"}
	for _, f := range t.Fields {
		head = append(head, f.Name)
	}
	return head
}

// newImportFile writes n rows of t as `certledger import` sends them: every
// field filled, values numbered by the row so no two rows are alike.
func newImportFile(t credential.CredentialType, n int, tag string) importFile {
	var buf bytes.Buffer
	buf.Grow(n * 256)
	w := csv.NewWriter(&buf)
	_ = w.Write(importHeader(t))
	keys := make([]string, n)
	rec := make([]string, 0, 6+len(t.Fields))
	for i := range n {
		keys[i] = importRowKey(tag, i)
		h := benchHolder(t, "导入持证人"+strconv.Itoa(i))
		rec = append(rec[:0], keys[i], h.Name, h.IDType, h.IDNumber, "2024-01-01", "2034-01-01")
		vals := fieldValues(t, i)
		for _, f := range t.Fields {
			rec = append(rec, vals[f.Name])
		}
		_ = w.Write(rec)
	}
	w.Flush()
	return importFile{Type: t, CSV: buf.Bytes(), Keys: keys}
}

// demoType is the demo registry's type with this ID or code: the load tool
// writes its file before the gateway (provisioned with the same demo
// registry) is asked.
func demoType(idOrCode string) (credential.CredentialType, error) {
	reg := credential.Registry{Departments: demo.Departments(), Types: demo.Types()}
	t, ok := reg.Type(idOrCode)
	if !ok {
		return t, fmt.Errorf("%q is not a credential type of the demo registry", idOrCode)
	}
	if len(t.Issuers) == 0 {
		return t, fmt.Errorf("the demo type %s has no issuer", t.ID)
	}
	return t, nil
}

// demoTypeOf is the first demo type dept issues.
func demoTypeOf(dept string) (credential.CredentialType, error) {
	for _, t := range demo.Types() {
		if t.AuthorizesIssuer(dept) {
			return t, nil
		}
	}
	return credential.CredentialType{}, fmt.Errorf("department %s issues no demo type", dept)
}
