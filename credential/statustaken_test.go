package credential_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/certledger/certledger/credential"
)

// Gateways draw a new status sequence number only for this conflict, so it
// must be told apart by its reason and number, never by its text.
func TestIsStatusSequenceTaken(t *testing.T) {
	taken := credential.StatusSequenceTaken("samr", 131073)
	tests := []struct {
		name string
		err  error
		seq  uint64
		want bool
	}{
		{"the taken number", taken, 131073, true},
		{"wrapped", fmt.Errorf("issue: %w", taken), 131073, true},
		{"another number", taken, 13107, false},
		{"a longer number with the same digits", credential.StatusSequenceTaken("samr", 1310730), 131073, false},
		{"a serial collision", credential.Errorf(credential.ReasonDuplicateID, "credential 1.2.156 already exists"), 131073, false},
		{"the same words, another reason", credential.Errorf(credential.ReasonInvalidStatusList, "status sequence 131073 is taken in department samr; draw another"), 131073, false},
		{"not an application error", errors.New("conflict: status sequence 131073 is taken"), 131073, false},
		{"nil", nil, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := credential.IsStatusSequenceTaken(tc.err, tc.seq); got != tc.want {
				t.Fatalf("IsStatusSequenceTaken(%v, %d) = %v", tc.err, tc.seq, got)
			}
		})
	}
	if got := credential.ErrorReason(taken); got != credential.ReasonStatusSequenceTaken || credential.ErrorCode(taken) != credential.CodeConflict {
		t.Fatalf("reason %s code %s", got, credential.ErrorCode(taken))
	}
}
