package chaincode

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
)

// A batch's run of status positions is refused when it meets another's,
// wherever the two overlap, and the next free position follows the last
// run.
func TestAnchorStatusRuns(t *testing.T) {
	l := newMemLedger()
	tx := l.tx("t", time.Now(), "SamrMSP", nil)
	if next, err := GetAnchorStatusNext(tx, "samr"); err != nil || next != credential.AnchorStatusBase {
		t.Fatalf("no runs: next %d, %v", next, err)
	}
	base := credential.AnchorStatusBase
	for _, r := range []struct{ from, n uint64 }{{base, 100}, {base + 100, 4096}, {base + 20000, 8192}} {
		v, _ := json.Marshal(anchorStatusEntry{Token: "T", Type: "X", Count: int(r.n)})
		l.state[anchorStatusKey("samr", r.from+r.n-1)] = v
	}
	for _, tc := range []struct {
		name  string
		from  uint64
		n     int
		taken bool
	}{
		{"right after a run", base + 4196, 10, false},
		{"the last position of a run", base + 4195, 10, true},
		{"inside the first run", base + 50, 10, true},
		{"around a whole run", base + 19000, 8192, true},
		{"into a long run", base + 19999, 2, true},
		{"in a gap", base + 5000, 8192, false},
		{"after everything", base + 28192, 8192, false},
		{"another department's positions", base, 10, false},
	} {
		dept := "samr"
		if tc.name == "another department's positions" {
			dept = "edu"
		}
		err := checkAnchorStatusFree(tx, dept, tc.from, tc.n)
		if taken := credential.IsStatusSequenceTaken(err, tc.from); taken != tc.taken || err != nil && !taken {
			t.Errorf("%s: %v, want taken %v", tc.name, err, tc.taken)
		}
	}
	if next, err := GetAnchorStatusNext(tx, "samr"); err != nil || next != base+28192 {
		t.Fatalf("next %d, %v; want %d", next, err, base+28192)
	}
}
