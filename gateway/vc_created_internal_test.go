package gateway

import (
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
)

func TestProofCreated(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 700e6, time.UTC)
	dept := func(from time.Time) credential.Department {
		return credential.Department{ID: "samr", Keys: []credential.Key{{ID: "k2", ValidFrom: from}}}
	}
	for _, tc := range []struct {
		name string
		from time.Time
		want time.Time
	}{
		{"key older than the second", now.Add(-time.Hour), now.Truncate(time.Second)},
		{"key added within the second", now.Add(-300 * time.Millisecond), now.Truncate(time.Second).Add(time.Second)},
		{"key valid from a whole second", now.Truncate(time.Second), now.Truncate(time.Second)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := proofCreated(now, dept(tc.from), "k2")
			if !got.Equal(tc.want) || got.Before(tc.from) {
				t.Fatalf("proofCreated = %s, want %s (key valid from %s)", got, tc.want, tc.from)
			}
		})
	}
}
