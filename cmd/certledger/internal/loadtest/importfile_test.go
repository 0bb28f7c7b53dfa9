package loadtest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
	"github.com/certledger/certledger/gateway/batchfile"
)

// The generated file of every demo type parses as the gateway parses an
// import, without a problem, in file order with the file's keys, and every
// row is a valid issuance of its type.
func TestNewImportFileIsAValidImport(t *testing.T) {
	reg := credential.Registry{Departments: demo.Departments(), Types: demo.Types()}
	issuedAt := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	for _, typ := range demo.Types() {
		t.Run(typ.ID, func(t *testing.T) {
			const n = 40
			f := newImportFile(typ, n, "t1")
			if f.Rows() != n || f.Type.ID != typ.ID {
				t.Fatalf("%d rows of %s", f.Rows(), f.Type.ID)
			}
			columns := make([]batchfile.Column, len(typ.Fields))
			for i, fl := range typ.Fields {
				columns[i] = batchfile.Column{Name: fl.Name, Required: fl.Required}
			}
			rows, probs, err := batchfile.Parse(batchfile.CSV, f.CSV, columns, batchfile.Limits{Rows: n, Cell: 4 << 10})
			if err != nil || len(probs) > 0 {
				t.Fatalf("parse: %v, problems %+v", err, probs)
			}
			if len(rows) != n {
				t.Fatalf("%d rows parsed, want %d", len(rows), n)
			}
			issuer, _ := reg.Department(typ.Issuers[0])
			seen := map[string]bool{}
			for i, r := range rows {
				if r.Key != f.Keys[i] || r.Key != importRowKey("t1", i) || seen[r.Key] {
					t.Fatalf("row %d has key %q, file key %q (seen before: %v)", i, r.Key, f.Keys[i], seen[r.Key])
				}
				seen[r.Key] = true
				fields := map[string]string{}
				for name, raw := range r.Body.Fields {
					var v string
					if err := json.Unmarshal(raw, &v); err != nil {
						t.Fatalf("row %d field %s: %s", i, name, raw)
					}
					fields[name] = v
				}
				from, err1 := time.Parse(time.DateOnly, r.Body.ValidFrom)
				until, err2 := time.Parse(time.DateOnly, r.Body.ValidUntil)
				if err1 != nil || err2 != nil || r.Body.Holder == nil {
					t.Fatalf("row %d: validity %q to %q, holder %v", i, r.Body.ValidFrom, r.Body.ValidUntil, r.Body.Holder)
				}
				if _, err := credential.NewDocument(credential.IssueParams{Type: typ, Issuer: issuer, Holder: *r.Body.Holder, Fields: fields,
					ValidFrom: from, ValidUntil: until, IssuedAt: issuedAt}); err != nil {
					t.Fatalf("row %d is no valid issuance: %v", i, err)
				}
			}
		})
	}
}

// Files of two tags share no key: two files of one run never replay one
// another.
func TestImportFilesOfTwoTagsShareNoKey(t *testing.T) {
	typ, err := demoType(DefaultType)
	if err != nil {
		t.Fatal(err)
	}
	a, b := newImportFile(typ, 100, "run-f1"), newImportFile(typ, 100, "run-f11")
	keys := map[string]bool{}
	for _, k := range append(a.Keys, b.Keys...) {
		if keys[k] {
			t.Fatalf("key %s twice", k)
		}
		keys[k] = true
	}
}

func TestDemoTypes(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{{"business-licence", "business-licence", true}, {"nope", "", false}} {
		got, err := demoType(tc.in)
		if (err == nil) != tc.ok || got.ID != tc.want {
			t.Errorf("demoType(%q) = %s, %v", tc.in, got.ID, err)
		}
	}
	typ, err := demoTypeOf(chaosDept)
	if err != nil || !typ.AuthorizesIssuer(chaosDept) {
		t.Errorf("demoTypeOf(%s) = %s, %v", chaosDept, typ.ID, err)
	}
	if _, err := demoTypeOf("nobody"); err == nil {
		t.Error("a department without types has a demo type")
	}
}
