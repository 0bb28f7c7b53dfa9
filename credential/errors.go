package credential

import (
	"errors"
	"fmt"
	"slices"
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
	// CodeUnavailable is a failure that passes: the ledger cannot be
	// reached or did not answer in time, and the same request may be sent
	// again (an issuance with the same idempotency key).
	CodeUnavailable Code = "unavailable"
	// CodeGone is something that existed and is no longer there to use: a
	// share past its expiry or withdrawn by its holder.
	CodeGone Code = "gone"
)

var knownCodes = []Code{CodeInvalid, CodeNotFound, CodeConflict, CodeUnauthorized, CodeForbidden, CodeInternal, CodeUnavailable, CodeGone}

// Known reports whether c is one of the application error codes.
func (c Code) Known() bool { return slices.Contains(knownCodes, c) }

// Error is the one application error type. Message is safe to show to a
// client; it never carries ledger or transport internals. Reason tells
// apart the failures of one Code for programs; Pointer and StatusSequence
// carry what callers need beyond the text. The JSON members are the form
// in which the contract answers errors over Fabric.
type Error struct {
	Code    Code   `json:"code"`
	Reason  Reason `json:"reason"`
	Message string `json:"message"`
	// Pointer locates the request member at fault (RFC 6901, as in
	// "/holder/idNumber"), when the error is about one.
	Pointer string `json:"pointer,omitempty"`
	// StatusSequence is the number a ReasonStatusSequenceTaken refused.
	StatusSequence uint64 `json:"statusSequence,omitempty"`
	// Cause is the failure underneath, for errors.Is/As and logs; clients
	// never see it.
	Cause error `json:"-"`
}

func (e *Error) Error() string {
	s := string(e.Code) + ": " + e.Message
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Cause }

// Errorf builds an *Error of reason r (and r's code) with a formatted
// message.
func Errorf(r Reason, format string, args ...any) *Error {
	return &Error{Code: r.Code(), Reason: r, Message: fmt.Sprintf(format, args...)}
}

// Wrapf is Errorf for a failure with a cause underneath. The message
// should not repeat the cause: Error() appends it, and clients see only
// the message.
func Wrapf(cause error, r Reason, format string, args ...any) *Error {
	e := Errorf(r, format, args...)
	e.Cause = cause
	return e
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

// ErrorReason returns the reason of err, ReasonInternal for errors that
// are not application errors and "" for nil.
func ErrorReason(err error) Reason {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Reason
	}
	return ReasonInternal
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
