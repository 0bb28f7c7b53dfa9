package loadtest

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
)

// TestBenchCitizensAreHolders: the bench accounts are persons the gateway
// accepts as holders, each with an ID number of their own, and the check
// character is GB 11643's (a published number checks).
func TestBenchCitizensAreHolders(t *testing.T) {
	if got := residentIDOf(benchHolderID[:17]); got != benchHolderID {
		t.Fatalf("residentIDOf(%s) = %s, want %s", benchHolderID[:17], got, benchHolderID)
	}
	seen := map[string]bool{}
	for _, c := range benchCitizens() {
		h := credential.Holder{Name: c.Name, IDType: c.IDType, IDNumber: c.IDNumber}
		if err := h.Validate(); err != nil {
			t.Errorf("%s: %v", c.Username, err)
		}
		if seen[c.IDNumber] || seen[c.Username] {
			t.Errorf("%s or %s twice", c.Username, c.IDNumber)
		}
		seen[c.IDNumber], seen[c.Username] = true, true
	}
}

// TestRunConsentSelfHosted: a short run completes every flow for the
// bench holders, each signed in through the demo identity provider.
func TestRunConsentSelfHosted(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a gateway")
	}
	rep, err := RunConsent(context.Background(), Config{Concurrency: 8, Duration: 30 * time.Second, Count: 80,
		Progress: io.Discard, Log: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 1 {
		t.Fatalf("report %+v", rep)
	}
	r := rep.Results[0]
	if r.Phase != PhaseConsent || r.Ops != 80 || r.Errors != 0 || r.P50 <= 0 || r.P99 < r.P50 {
		t.Fatalf("result %+v", r)
	}
	if notes := strings.Join(r.Notes, "\n"); !strings.Contains(notes, "64 sessions of 64 distinct holders") {
		t.Errorf("notes: %s", notes)
	}
}
