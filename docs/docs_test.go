// Package docs_test checks docs/architecture.md against the code, so that its package table and its import
// rules cannot drift from what `go list` reports.
package docs_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const architecture = "docs/architecture.md"

// goPackage is the part of `go list -json` output the checks read.
type goPackage struct {
	ImportPath string
	Module     struct{ Path string }
	Imports    []string
	Deps       []string
}

// module is the module's packages, keyed by their path relative to the module ("credential/vc").
type module struct {
	path     string
	packages map[string]goPackage
}

// rel turns an import path into a module-relative path; ok is false for packages of other modules.
func (m module) rel(importPath string) (string, bool) {
	if importPath == m.path {
		return ".", true
	}
	r, ok := strings.CutPrefix(importPath, m.path+"/")
	return r, ok
}

// localImports is a package's non-test imports inside the module, module-relative and sorted.
func (m module) localImports(p goPackage) []string {
	var local []string
	for _, imp := range p.Imports {
		if r, ok := m.rel(imp); ok {
			local = append(local, r)
		}
	}
	slices.Sort(local)
	return local
}

// row is one line of the package table.
type row struct {
	line      int
	pkg       string   // module-relative
	local     []string // backticked entries of the imports column: in-module packages
	externals []string // bare entries: names of external modules, as path elements of what the package imports
}

func TestPackageTable(t *testing.T) {
	root := moduleRoot(t)
	mod := listModule(t, root)
	rows := packageTable(t, readArchitecture(t, root))

	t.Run("one row per package", func(t *testing.T) {
		seen := map[string]int{}
		for _, r := range rows {
			if first, dup := seen[r.pkg]; dup {
				t.Errorf("%s:%d: `%s` already has a row (line %d): keep one row per package", architecture, r.line, r.pkg, first)
			}
			seen[r.pkg] = r.line
			if _, ok := mod.packages[r.pkg]; !ok {
				t.Errorf("%s:%d: row `%s` names no package of the module (`go list ./...`): fix the path or delete the row",
					architecture, r.line, r.pkg)
			}
		}
		for _, name := range sortedKeys(mod.packages) {
			if _, ok := seen[name]; !ok {
				t.Errorf("%s: package `%s` has no row in the package table: add\n| `%s` | <what it owns> | %s |",
					architecture, name, name, importsCell(mod.localImports(mod.packages[name])))
			}
		}
	})

	t.Run("imports", func(t *testing.T) {
		for _, r := range rows {
			p, ok := mod.packages[r.pkg]
			if !ok {
				continue // reported by "one row per package"
			}
			want := mod.localImports(p)
			var fixes []string
			if missing := diff(want, r.local); len(missing) > 0 {
				fixes = append(fixes, "add "+importsCell(missing))
			}
			if extra := diff(r.local, want); len(extra) > 0 {
				fixes = append(fixes, "remove "+importsCell(extra)+" (not imported)")
			}
			if len(fixes) > 0 {
				t.Errorf("%s:%d: row `%s`: %s; its in-module imports are %s",
					architecture, r.line, r.pkg, strings.Join(fixes, ", "), importsCell(want))
			}
			for _, name := range r.externals {
				if _, local := mod.packages[name]; local {
					t.Errorf("%s:%d: row `%s` names %q bare: write the module's own packages in backticks, `%s`",
						architecture, r.line, r.pkg, name, name)
				} else if !importsExternal(mod, p, name) {
					t.Errorf("%s:%d: row `%s` names %q, but none of its imports outside the module has %q among its path elements: remove it from the imports column",
						architecture, r.line, r.pkg, name, name)
				}
			}
		}
	})
}

// TestArchitectureImportRules checks the sentences of architecture.md that say who must not import whom.
// Each rule is found by its phrase; the packages it covers are the backticked paths of the same sentence
// ("credential/..." covers credential and everything under it).
func TestArchitectureImportRules(t *testing.T) {
	root := moduleRoot(t)
	mod := listModule(t, root)
	text := readArchitecture(t, root)

	for _, sentence := range sentencesWith(t, text, "neither Fabric nor Fiber") {
		for _, name := range packagesOf(t, mod, sentence, 1) {
			if via := importsReaching(mod, mod.packages[name], fabricOrFiber); len(via) > 0 {
				t.Errorf("%s says %q, but `%s` reaches Fabric or Fiber through its imports %s: remove them, or, if the rule no longer holds, the package from the sentence",
					architecture, sentence, name, strings.Join(via, ", "))
			}
		}
	}

	for _, sentence := range sentencesWith(t, text, "do not know each other") {
		names := packagesOf(t, mod, sentence, 2)
		for _, a := range names {
			for _, b := range names {
				if a == b {
					continue
				}
				if chain := importChain(mod, a, b); chain != nil {
					t.Errorf("%s says %q, but %s: move what `%s` needs from `%s` into a package both may import, or wire it in cmd/certledger",
						architecture, sentence, strings.Join(chain, " imports "), a, b)
				}
			}
		}
	}
}

// moduleRoot walks up from the test's working directory to the folder holding go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's working directory")
		}
		dir = parent
	}
}

var listed = map[string]module{}

// listModule runs `go list -json ./...` in root, once per test binary. Nested modules (network/fabric-tools)
// are not part of ./...
func listModule(t *testing.T, root string) module {
	t.Helper()
	if mod, ok := listed[root]; ok {
		return mod
	}
	cmd := exec.Command("go", "list", "-json", "./...")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -json ./...: %v\n%s", err, stderr.String())
	}
	var pkgs []goPackage
	for dec := json.NewDecoder(bytes.NewReader(out)); ; {
		var p goPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) == 0 {
		t.Fatalf("go list ./... in %s found no packages", root)
	}
	mod := module{path: pkgs[0].Module.Path, packages: map[string]goPackage{}}
	for _, p := range pkgs {
		r, ok := mod.rel(p.ImportPath)
		if !ok {
			t.Fatalf("go list ./... in %s returned %s, outside module %s", root, p.ImportPath, mod.path)
		}
		mod.packages[r] = p
	}
	listed[root] = mod
	return mod
}

func readArchitecture(t *testing.T, root string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, architecture))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var backticked = regexp.MustCompile("`([^`]+)`")

// packageTable parses the table under "## Packages": | `path` | what it owns | imports |, where the imports
// cell is a comma-separated list of `in-module/packages` and bare external names, or — for none.
func packageTable(t *testing.T, text string) []row {
	t.Helper()
	lines := strings.Split(text, "\n")
	start := slices.Index(lines, "## Packages")
	if start < 0 {
		t.Fatalf("%s has no \"## Packages\" heading: the package table goes under it", architecture)
	}
	i := start + 1
	for i < len(lines) && !strings.HasPrefix(lines[i], "|") {
		i++
	}
	if i+1 >= len(lines) || cells(lines[i]) == nil || !strings.HasPrefix(lines[i+1], "|---") {
		t.Fatalf("%s:%d: expected the table header \"| package | what it owns | imports |\" and its |---| line", architecture, i+1)
	}
	var rows []row
	for i += 2; i < len(lines) && strings.HasPrefix(lines[i], "|"); i++ {
		c := cells(lines[i])
		if c == nil {
			t.Errorf("%s:%d: a row has three cells: | `path` | what it owns | imports |", architecture, i+1)
			continue
		}
		m := backticked.FindStringSubmatch(c[0])
		if m == nil || m[0] != c[0] {
			t.Errorf("%s:%d: the first cell is one package path in backticks, e.g. `gateway/keystore`; got %q", architecture, i+1, c[0])
			continue
		}
		r := row{line: i + 1, pkg: m[1]}
		if c[2] != "—" {
			for _, entry := range strings.Split(c[2], ",") {
				entry = strings.TrimSpace(entry)
				if m := backticked.FindStringSubmatch(entry); m != nil && m[0] == entry {
					r.local = append(r.local, m[1])
				} else if entry != "" && !strings.ContainsAny(entry, "` ") {
					r.externals = append(r.externals, entry)
				} else {
					t.Errorf("%s:%d: imports entry %q is neither `an/in-module/package` nor an external name like bbolt", architecture, i+1, entry)
				}
			}
		}
		slices.Sort(r.local)
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		t.Fatalf("%s: the package table has no rows", architecture)
	}
	return rows
}

// cells splits a table line into its three trimmed cells, or returns nil.
func cells(line string) []string {
	parts := strings.Split(strings.TrimSpace(line), "|")
	if len(parts) != 5 || parts[0] != "" || parts[4] != "" {
		return nil
	}
	c := parts[1:4]
	for i := range c {
		c[i] = strings.TrimSpace(c[i])
	}
	return c
}

// importsExternal reports whether a non-standard, out-of-module import of p has name as a run of its path
// elements: "bbolt" matches go.etcd.io/bbolt, "x/crypto" matches golang.org/x/crypto/ed25519.
func importsExternal(mod module, p goPackage, name string) bool {
	want := strings.Split(name, "/")
	for _, imp := range p.Imports {
		elems := strings.Split(imp, "/")
		if _, local := mod.rel(imp); local || !strings.Contains(elems[0], ".") {
			continue
		}
		for i := 0; i+len(want) <= len(elems); i++ {
			if slices.Equal(elems[i:i+len(want)], want) {
				return true
			}
		}
	}
	return false
}

// sentencesWith returns the sentences of text that contain one of the phrases, failing when there is none.
func sentencesWith(t *testing.T, text string, phrases ...string) []string {
	t.Helper()
	var found []string
	for _, paragraph := range strings.Split(text, "\n\n") {
		flat := strings.Join(strings.Fields(paragraph), " ")
		for _, s := range regexp.MustCompile(`[.;]\s`).Split(flat, -1) {
			if slices.ContainsFunc(phrases, func(p string) bool { return strings.Contains(s, p) }) {
				found = append(found, s)
			}
		}
	}
	if len(found) == 0 {
		t.Errorf("%s no longer has a sentence saying %q: restore it, or drop its check from docs/docs_test.go", architecture, phrases[0])
	}
	return found
}

// packagesOf returns the packages a sentence names in backticks, expanding "path/..." patterns.
func packagesOf(t *testing.T, mod module, sentence string, least int) []string {
	t.Helper()
	var names []string
	for _, m := range backticked.FindAllStringSubmatch(sentence, -1) {
		if base, ok := strings.CutSuffix(m[1], "/..."); ok {
			n := len(names)
			for _, name := range sortedKeys(mod.packages) {
				if name == base || strings.HasPrefix(name, base+"/") {
					names = append(names, name)
				}
			}
			if len(names) == n {
				t.Errorf("%s: %q: `%s` matches no package", architecture, sentence, m[1])
			}
			continue
		}
		if _, ok := mod.packages[m[1]]; !ok {
			t.Errorf("%s: %q names `%s`, which is no package of the module", architecture, sentence, m[1])
			continue
		}
		names = append(names, m[1])
	}
	if len(names) < least {
		t.Errorf("%s: %q should name at least %d packages in backticks", architecture, sentence, least)
	}
	return names
}

func fabricOrFiber(importPath string) bool {
	return strings.HasPrefix(importPath, "github.com/hyperledger/") || strings.HasPrefix(importPath, "github.com/gofiber/")
}

// importsReaching names how p depends on packages that match bad: its direct imports that match or, for the
// module's own packages, depend on one that does; failing those (an external package in between), the
// matching dependencies themselves. It returns nil when p depends on none.
func importsReaching(mod module, p goPackage, bad func(string) bool) []string {
	if !slices.ContainsFunc(p.Deps, bad) {
		return nil
	}
	var via []string
	for _, imp := range p.Imports {
		r, local := mod.rel(imp)
		if bad(imp) || local && slices.ContainsFunc(mod.packages[r].Deps, bad) {
			via = append(via, imp)
		}
	}
	if len(via) == 0 {
		for _, dep := range p.Deps {
			if bad(dep) {
				via = append(via, dep)
			}
		}
	}
	return via
}

// importChain returns a shortest chain of in-module imports from a to b, or nil when a does not depend on b.
func importChain(mod module, a, b string) []string {
	prev := map[string]string{a: ""}
	queue := []string{a}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if cur == b {
			var chain []string
			for n := b; n != ""; n = prev[n] {
				chain = append([]string{"`" + n + "`"}, chain...)
			}
			return chain
		}
		for _, next := range mod.localImports(mod.packages[cur]) {
			if _, seen := prev[next]; !seen {
				prev[next] = cur
				queue = append(queue, next)
			}
		}
	}
	return nil
}

func diff(a, b []string) []string {
	var d []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			d = append(d, x)
		}
	}
	return d
}

// importsCell is the imports column's form of a list of in-module packages.
func importsCell(names []string) string {
	if len(names) == 0 {
		return "—"
	}
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("`%s`", n)
	}
	return strings.Join(q, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
