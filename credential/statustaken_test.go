package credential_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/certledger/certledger/credential"
)

// Gateways draw a new status sequence number only for this conflict, and
// must recognise it after it crossed Fabric as "code: message" text.
func TestIsStatusSequenceTaken(t *testing.T) {
	taken := credential.StatusSequenceTaken("samr", 131073)
	parsed, ok := credential.ParseError(taken.Error())
	if !ok {
		t.Fatalf("%q does not parse back", taken.Error())
	}
	tests := []struct {
		name string
		err  error
		seq  uint64
		want bool
	}{
		{"the taken number", taken, 131073, true},
		{"after ParseError", parsed, 131073, true},
		{"wrapped", fmt.Errorf("issue: %w", taken), 131073, true},
		{"another number", taken, 13107, false},
		{"a longer number with the same digits", credential.StatusSequenceTaken("samr", 1310730), 131073, false},
		{"a serial collision", credential.Errorf(credential.CodeConflict, "credential 1.2.156 already exists"), 131073, false},
		{"not a conflict", credential.Errorf(credential.CodeInvalid, "status sequence 131073 is bad"), 131073, false},
		{"not an application error", errors.New("status sequence 131073 is taken"), 131073, false},
		{"nil", nil, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := credential.IsStatusSequenceTaken(tc.err, tc.seq); got != tc.want {
				t.Fatalf("IsStatusSequenceTaken(%v, %d) = %v", tc.err, tc.seq, got)
			}
		})
	}
}
