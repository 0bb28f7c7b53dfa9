package gateway

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// domainReasons reads the Reason constants from credential/reasons.go, the
// only list of them (credential's own test holds its code table to it).
func domainReasons(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join("..", "credential", "reasons.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Reason" {
				continue
			}
			for i := range vs.Names {
				v, err := strconv.Unquote(vs.Values[i].(*ast.BasicLit).Value)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, v)
			}
		}
	}
	if len(out) < 50 {
		t.Fatalf("found only %d reasons in credential/reasons.go; the parser no longer matches the file", len(out))
	}
	return out
}

// gatewayReasons lists the reasons of the gateway's own problems: those of
// the code table, and every problemKind literal in the package's sources
// whose reason is a string literal (the others name a domain reason, or
// are made up at run time from an HTTP status, for which the console shows
// the detail).
func gatewayReasons(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, k := range codeKinds {
		out = append(out, k.reason)
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.CompositeLit)
			if !ok {
				return true
			}
			if id, ok := lit.Type.(*ast.Ident); !ok || id.Name != "problemKind" || len(lit.Elts) != 4 {
				return true
			}
			if b, ok := lit.Elts[3].(*ast.BasicLit); ok && b.Kind == token.STRING {
				v, err := strconv.Unquote(b.Value)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, v)
			}
			return true
		})
	}
	if !slices.Contains(out, kindMalformed.reason) || !slices.Contains(out, kindRateLimited.reason) {
		t.Fatalf("the gateway's reasons %v lack malformed_request or rate_limited; the parser no longer matches the sources", out)
	}
	return out
}

// Every reason a problem can carry has a Chinese and an English message in
// the catalogue, worded for the person at the console or page: no
// placeholders but the field label of the field forms, no reason codes or
// JSON pointers. A reason added without its messages fails here.
func TestEveryReasonHasMessages(t *testing.T) {
	cats, err := loadCatalogs(webFS, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := loadReasonMessages(webFS)
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, r := range append(domainReasons(t), gatewayReasons(t)...) {
		known[r] = true
	}
	for _, r := range slices.Sorted(maps.Keys(known)) {
		for _, lang := range []string{langZh, langEn} {
			t.Run(r+"/"+lang, func(t *testing.T) {
				L := cats[lang]
				text, ok := L.Reason(r)
				if !ok || strings.TrimSpace(text) == "" {
					t.Fatalf("no %s message for reason %s in %s", lang, r, reasonsFile)
				}
				checkWording(t, text, 0)
				if field, ok := L.msgs[reasonKeyPrefix+r+reasonKeyField]; ok {
					checkWording(t, field, 1)
				}
			})
		}
		m := raw[r]
		if (m.ZhField == "") != (m.EnField == "") {
			t.Errorf("reason %s has a field form in one language only", r)
		}
	}
	for r := range raw {
		if !known[r] {
			t.Errorf("%s words %q, which is no reason the domain or the gateway has", reasonsFile, r)
		}
	}
}

// checkWording checks one message: it has exactly labels %s placeholders
// (the field label) and nothing else a reader would take for code.
func checkWording(t *testing.T, m string, labels int) {
	t.Helper()
	if n := strings.Count(m, "%s"); n != labels || strings.Count(m, "%") != labels {
		t.Errorf("%q has %d placeholders, want %d %%s", m, strings.Count(m, "%"), labels)
	}
	for _, jargon := range []string{"_", "#/", "{", "}"} {
		if strings.Contains(m, jargon) {
			t.Errorf("%q contains %q", m, jargon)
		}
	}
}
