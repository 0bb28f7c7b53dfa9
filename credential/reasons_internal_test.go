package credential

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"testing"
)

// Every Reason constant must have its code in reasonCodes: one left out
// would turn its errors into internal ones. The constants are read from
// the source, the only list of them.
func TestEveryReasonHasACode(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "reasons.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[Reason]string{}
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
			for i, name := range vs.Names {
				v, err := strconv.Unquote(vs.Values[i].(*ast.BasicLit).Value)
				if err != nil {
					t.Fatal(err)
				}
				r := Reason(v)
				if other, dup := seen[r]; dup {
					t.Errorf("%s and %s are both %q", other, name.Name, r)
				}
				seen[r] = name.Name
				if _, ok := reasonCodes[r]; !ok {
					t.Errorf("%s (%q) has no code in reasonCodes", name.Name, r)
				}
			}
		}
	}
	if len(seen) != len(reasonCodes) {
		t.Errorf("reasons.go declares %d reasons, reasonCodes maps %d", len(seen), len(reasonCodes))
	}
}
