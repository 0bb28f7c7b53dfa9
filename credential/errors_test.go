package credential_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/certledger/certledger/credential"
)

func TestErrorCodeAndMessage(t *testing.T) {
	e := credential.Errorf(credential.CodeConflict, "credential %s exists", "X")
	wrapped := fmt.Errorf("ledger: %w", e)
	if credential.ErrorCode(wrapped) != credential.CodeConflict || credential.ErrorMessage(wrapped) != "credential X exists" {
		t.Fatalf("wrapped: code %s message %q", credential.ErrorCode(wrapped), credential.ErrorMessage(wrapped))
	}
	plain := errors.New("disk on fire at /var/lib")
	if credential.ErrorCode(plain) != credential.CodeInternal || credential.ErrorMessage(plain) != "internal error" {
		t.Fatal("a plain error leaks or is not internal")
	}
}

func TestParseError(t *testing.T) {
	tests := []struct {
		text string
		code credential.Code
		msg  string
		ok   bool
	}{
		{"not_found: no record of X", credential.CodeNotFound, "no record of X", true},
		{"chaincode response 500, forbidden: samr may not revoke edu's credential", credential.CodeForbidden, "samr may not revoke edu's credential", true},
		// The earliest code wins even if the message names another.
		{"conflict: invalid: twice", credential.CodeConflict, "invalid: twice", true},
		{"invalid: 字段 校验失败", credential.CodeInvalid, "字段 校验失败", true},
		{"connection refused", "", "", false},
		{"", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			e, ok := credential.ParseError(tt.text)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if ok && (e.Code != tt.code || e.Message != tt.msg) {
				t.Fatalf("got %s %q, want %s %q", e.Code, e.Message, tt.code, tt.msg)
			}
		})
	}
	// Round trip through Error().
	orig := credential.Errorf(credential.CodeUnauthorized, "bad key")
	if back, ok := credential.ParseError(orig.Error()); !ok || *back != *orig {
		t.Fatalf("round trip: %+v", back)
	}
}
