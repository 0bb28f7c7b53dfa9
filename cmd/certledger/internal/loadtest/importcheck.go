package loadtest

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
)

// identities collects the identifiers answered for rows, over any number
// of files and sends: a row (key) must keep one identifier whatever was
// sent again, and no identifier may belong to two rows.
type identities struct {
	byKey map[string]string
	byID  map[string]string
	// Conflicts are keys answered with two identifiers; Shared are
	// identifiers answered for two keys.
	Conflicts, Shared []string
}

func newIdentities() *identities {
	return &identities{byKey: map[string]string{}, byID: map[string]string{}}
}

func (s *identities) add(key, id string) {
	if old, ok := s.byKey[key]; ok {
		if old != id {
			s.Conflicts = append(s.Conflicts, fmt.Sprintf("row %s: %s and %s", key, old, id))
		}
		return
	}
	if other, ok := s.byID[id]; ok {
		s.Shared = append(s.Shared, fmt.Sprintf("%s: rows %s and %s", id, other, key))
	}
	s.byKey[key] = id
	s.byID[id] = key
}

// id is the identifier answered for key, "" for none.
func (s *identities) id(key string) string { return s.byKey[key] }

// ids are every identifier answered, sorted.
func (s *identities) ids() []string { return slices.Sorted(maps.Keys(s.byID)) }

// rowCheck is what one import's results say about the file's rows.
type rowCheck struct {
	Rows    int // rows of the file
	Issued  int // rows with an identifier
	Failed  int // rows with a problem
	Missing int // rows without any result
	// Unexpected are results for a key the file does not have, or a
	// second result for one key.
	Unexpected int
	Reasons    map[string]int // the failed rows' reasons
	Examples   []string       // a few failures, for the report
}

// ok reports whether every row was issued and answered once.
func (c rowCheck) ok() bool {
	return c.Issued == c.Rows && c.Failed == 0 && c.Missing == 0 && c.Unexpected == 0
}

// maxExamples bounds the examples a check keeps.
const maxExamples = 5

// checkRows compares an import's results with its file's keys, adding the
// identifiers to ids (which notes a row answered with another identifier
// than before, and an identifier of two rows).
func checkRows(keys []string, results []importResult, ids *identities) rowCheck {
	c := rowCheck{Rows: len(keys), Reasons: map[string]int{}}
	want := make(map[string]bool, len(keys))
	for _, k := range keys {
		want[k] = true
	}
	seen := make(map[string]bool, len(results))
	example := func(format string, args ...any) {
		if len(c.Examples) < maxExamples {
			c.Examples = append(c.Examples, fmt.Sprintf(format, args...))
		}
	}
	for _, r := range results {
		if !want[r.Key] || seen[r.Key] {
			c.Unexpected++
			example("row %d: unexpected result for key %q", r.Row, r.Key)
			continue
		}
		seen[r.Key] = true
		switch {
		case r.Error != nil:
			c.Failed++
			c.Reasons[r.Error.Reason]++
			example("row %d (%s): %s: %s", r.Row, r.Key, r.Error.Reason, r.Error.Detail)
		case r.ID == "":
			c.Failed++
			c.Reasons["no identifier"]++
			example("row %d (%s): neither identifier nor problem", r.Row, r.Key)
		default:
			c.Issued++
			ids.add(r.Key, r.ID)
		}
	}
	for _, k := range keys {
		if !seen[k] {
			c.Missing++
			example("row %s: no result", k)
		}
	}
	return c
}

// reasons renders the failed rows' reasons, most frequent first.
func (c rowCheck) reasons() string {
	type kv struct {
		reason string
		n      int
	}
	var xs []kv
	for r, n := range c.Reasons {
		xs = append(xs, kv{r, n})
	}
	sort.Slice(xs, func(i, j int) bool { return xs[i].n > xs[j].n || xs[i].n == xs[j].n && xs[i].reason < xs[j].reason })
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf("%d %s", x.n, x.reason)
	}
	return strings.Join(parts, ", ")
}

// registerDiff compares the register before and after the imports with
// the identifiers they answered: extra are new register entries no row was
// answered (a credential issued twice, or beyond the rows), missing are
// answered identifiers the register does not list.
func registerDiff(before, after map[string]bool, ids *identities) (extra, missing []string) {
	for id := range after {
		if !before[id] && ids.byID[id] == "" {
			extra = append(extra, id)
		}
	}
	for id := range ids.byID {
		if !after[id] {
			missing = append(missing, id)
		}
	}
	sort.Strings(extra)
	sort.Strings(missing)
	return extra, missing
}

// sampleIndices picks k of n indices spread evenly, the first and the last
// among them (all of them when k >= n).
func sampleIndices(n, k int) []int {
	if k <= 0 || n <= 0 {
		return nil
	}
	if k >= n {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	}
	if k == 1 {
		return []int{0}
	}
	out := make([]int, 0, k)
	for j := range k {
		i := j * (n - 1) / (k - 1)
		if len(out) == 0 || out[len(out)-1] != i {
			out = append(out, i)
		}
	}
	return out
}
