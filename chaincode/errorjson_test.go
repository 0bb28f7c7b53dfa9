package chaincode

import (
	"errors"
	"fmt"
	"testing"

	"github.com/certledger/certledger/credential"
)

func TestEncodeErrorRoundTrip(t *testing.T) {
	located := credential.Errorf(credential.ReasonInvalidField, "holderRef must be 64 hex characters")
	located.Pointer = "/holderRef"
	for _, tc := range []struct {
		name  string
		err   error
		want  credential.Error
		cause string
	}{
		{"application error", credential.Errorf(credential.ReasonNotIssuer, "only the issuing department can change credential X"),
			credential.Error{Code: credential.CodeForbidden, Reason: credential.ReasonNotIssuer, Message: "only the issuing department can change credential X"}, ""},
		{"status sequence taken", fmt.Errorf("issue: %w", credential.StatusSequenceTaken("samr", 131073)),
			credential.Error{Code: credential.CodeConflict, Reason: credential.ReasonStatusSequenceTaken,
				Message: "status sequence 131073 is taken in department samr; draw another", StatusSequence: 131073}, ""},
		{"located", located, *located, ""},
		{"with a cause", credential.Wrapf(errors.New("unexpected end of JSON input"), credential.ReasonInvalidRequest, "the department is not valid JSON"),
			credential.Error{Code: credential.CodeInvalid, Reason: credential.ReasonInvalidRequest, Message: "the department is not valid JSON"},
			"unexpected end of JSON input"},
		{"not an application error", ledgerErr("read rec~X", errors.New("peer: no such key")),
			credential.Error{Code: credential.CodeInternal, Reason: credential.ReasonInternal, Message: "the contract failed"},
			"chaincode: read rec~X: peer: no such key"},
		{"a message that looks like JSON", credential.Errorf(credential.ReasonInvalidField, `field "x" is {"code":"internal"}`),
			credential.Error{Code: credential.CodeInvalid, Reason: credential.ReasonInvalidField, Message: `field "x" is {"code":"internal"}`}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := EncodeError(tc.err).Error()
			got, ok := DecodeError(text)
			if !ok {
				t.Fatalf("%s does not decode", text)
			}
			cause := ""
			if got.Cause != nil {
				cause = got.Cause.Error()
			}
			got.Cause = nil
			if *got != tc.want || cause != tc.cause {
				t.Fatalf("decoded %+v (cause %q), want %+v (cause %q)", *got, cause, tc.want, tc.cause)
			}
		})
	}
	if EncodeError(nil) != nil {
		t.Fatal("nil encodes as an error")
	}
}

func TestDecodeErrorRefuses(t *testing.T) {
	for _, text := range []string{
		"",
		"invalid: the department is not valid JSON",
		"Function Nope not found in contract certledger",
		`{"code":"teapot","reason":"short_and_stout","message":"x"}`,
		`{"code":"invalid","message":"no reason"}`,
		`{}`,
		`[1]`,
	} {
		if e, ok := DecodeError(text); ok {
			t.Errorf("%q decoded as %+v", text, e)
		}
	}
}
