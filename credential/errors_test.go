package credential_test

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"

	"github.com/certledger/certledger/credential"
)

func TestErrorCodeReasonAndMessage(t *testing.T) {
	e := credential.Errorf(credential.ReasonDuplicateID, "credential %s exists", "X")
	wrapped := fmt.Errorf("ledger: %w", e)
	if credential.ErrorCode(wrapped) != credential.CodeConflict || credential.ErrorReason(wrapped) != credential.ReasonDuplicateID ||
		credential.ErrorMessage(wrapped) != "credential X exists" {
		t.Fatalf("wrapped: code %s reason %s message %q", credential.ErrorCode(wrapped), credential.ErrorReason(wrapped), credential.ErrorMessage(wrapped))
	}
	plain := errors.New("disk on fire at /var/lib")
	if credential.ErrorCode(plain) != credential.CodeInternal || credential.ErrorReason(plain) != credential.ReasonInternal ||
		credential.ErrorMessage(plain) != "internal error" {
		t.Fatal("a plain error leaks or is not internal")
	}
	if credential.ErrorReason(nil) != "" {
		t.Fatal("nil has a reason")
	}
}

// A cause is reachable with errors.Is and errors.As and shows in Error()
// for logs, but never in the client's message.
func TestWrapfKeepsTheCause(t *testing.T) {
	cause := &fs.PathError{Op: "open", Path: "/var/lib/certledger/x", Err: fs.ErrNotExist}
	e := credential.Wrapf(cause, credential.ReasonInternal, "the state cannot be read")
	var pe *fs.PathError
	if !errors.Is(e, fs.ErrNotExist) || !errors.As(fmt.Errorf("read: %w", e), &pe) || pe != cause {
		t.Fatal("the cause is not reachable")
	}
	if credential.ErrorMessage(e) != "the state cannot be read" {
		t.Fatalf("message %q", credential.ErrorMessage(e))
	}
	if want := "internal: the state cannot be read: open /var/lib/certledger/x: file does not exist"; e.Error() != want {
		t.Fatalf("Error() = %q, want %q", e.Error(), want)
	}
}

func TestReasonCodes(t *testing.T) {
	for _, tc := range []struct {
		reason credential.Reason
		code   credential.Code
	}{
		{credential.ReasonInvalidField, credential.CodeInvalid},
		{credential.ReasonCredentialNotFound, credential.CodeNotFound},
		{credential.ReasonStatusSequenceTaken, credential.CodeConflict},
		{credential.ReasonMissingAPIKey, credential.CodeUnauthorized},
		{credential.ReasonNotIssuer, credential.CodeForbidden},
		{credential.ReasonLedgerFailure, credential.CodeInternal},
		{"a_reason_of_a_newer_build", credential.CodeInternal},
	} {
		if got := tc.reason.Code(); got != tc.code {
			t.Errorf("%s.Code() = %s, want %s", tc.reason, got, tc.code)
		}
	}
}
