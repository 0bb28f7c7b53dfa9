package credential

import (
	"errors"
	"fmt"
	"strings"
)

// Code classifies an application error. Adapters map codes to transport
// statuses (HTTP, CLI exit codes) in one place each.
type Code string

// The application error codes.
const (
	CodeInvalid      Code = "invalid"
	CodeNotFound     Code = "not_found"
	CodeConflict     Code = "conflict"
	CodeUnauthorized Code = "unauthorized"
	CodeForbidden    Code = "forbidden"
	CodeInternal     Code = "internal"
)

var knownCodes = []Code{CodeInvalid, CodeNotFound, CodeConflict, CodeUnauthorized, CodeForbidden, CodeInternal}

// Error is the one application error type. Message is safe to show to a
// client; it never carries ledger or transport internals.
type Error struct {
	Code    Code
	Message string
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// Errorf builds an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err, or CodeInternal for errors that are not
// application errors.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrorMessage returns the client-safe message of err. Errors that are not
// application errors get a generic message so internals never leak.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// ParseError recovers an *Error from its Error() text, as it arrives after
// crossing a process boundary (chaincode error messages reach the client as
// plain strings, possibly wrapped in other text). ok is false when text holds
// no application error.
func ParseError(text string) (*Error, bool) {
	best := -1
	var found *Error
	for _, c := range knownCodes {
		prefix := string(c) + ": "
		if i := strings.Index(text, prefix); i >= 0 && (best < 0 || i < best) {
			best = i
			found = &Error{Code: c, Message: text[i+len(prefix):]}
		}
	}
	if found == nil {
		return nil, false
	}
	return found, true
}
