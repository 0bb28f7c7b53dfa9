package gateway

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/certledger/certledger/credential"
	"github.com/gofiber/fiber/v2"
)

// Every problem carries a reason: an application error's own, even when
// its message is hidden, or the gateway problem's.
func TestProblemReasons(t *testing.T) {
	for _, tc := range []struct {
		name     string
		err      error
		status   int
		typ      string
		reason   string
		detail   string
		internal bool
	}{
		{"application error", credential.Errorf(credential.ReasonNotIssuer, "credential X was issued by another department"),
			403, "forbidden", "not_issuer", "credential X was issued by another department", false},
		{"wrapped application error", fmt.Errorf("reissue: %w", credential.StatusSequenceTaken("samr", 7)),
			409, "conflict", "status_sequence_taken", "status sequence 7 is taken in department samr; draw another", false},
		{"internal application error", credential.Wrapf(errors.New("peer0 said no"), credential.ReasonLedgerFailure, "the ledger could not record the change"),
			500, "internal", "ledger_failure", "internal error", true},
		{"ledger unavailable", credential.Errorf(credential.ReasonLedgerUnavailable, "the ledger could not get the transaction endorsed in time; try again"),
			503, "unavailable", "ledger_unavailable", "the ledger could not get the transaction endorsed in time; try again", true},
		{"ledger closing", credential.Errorf(credential.ReasonLedgerClosed, "the ledger connection is closing"),
			503, "unavailable", "ledger_closed", "the ledger connection is closing", true},
		{"request time over", fmt.Errorf("issue: %w", context.DeadlineExceeded),
			503, "unavailable", "ledger_unavailable", "the ledger did not answer in time; send the same request again (an issuance with the same Idempotency-Key is never recorded twice)", true},
		{"application error without a reason", &credential.Error{Code: credential.CodeConflict, Message: "x"},
			409, "conflict", "conflict", "x", false},
		{"not an application error", errors.New("disk on fire"), 500, "internal", "internal", "internal error", true},
		{"field problems", invalidFields([]FieldProblem{{Pointer: "#/type", Detail: "type is required"}}),
			400, "invalid", "invalid_field", "type is required", false},
		{"the gateway's own problem", newAPIError(kindUnavailable, "the ledger is not reachable"),
			503, "unavailable", "unavailable", "the ledger is not reachable", true},
		{"a QR code too small for the presentation", newAPIError(kindQRTooLarge, "too big"),
			422, "qr-too-large", "qr_too_large", "too big", false},
		{"no route", fiber.ErrNotFound, 404, "no-route", "no_route", "there is no such resource; see /api/v1/openapi.json", false},
		{"headers too large", fiber.ErrRequestHeaderFieldsTooLarge, 431, "headers-too-large", "headers_too_large", "the request headers are too large", false},
		{"another client error of the server", fiber.ErrTooManyRequests, 429, "http-429", "http_429", fiber.ErrTooManyRequests.Message, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, internal := problemFor(tc.err, DefaultBodyLimit)
			if p.Status != tc.status || p.Type != problemTypeBase+tc.typ || p.Reason != tc.reason || p.Detail != tc.detail || internal != tc.internal {
				t.Fatalf("problem %+v internal %v; want %d %s %s %q internal %v", p, internal, tc.status, tc.typ, tc.reason, tc.detail, tc.internal)
			}
			if p.Title == "" {
				t.Fatal("no title")
			}
		})
	}
}

// Every field problem carries a reason too: invalid_field unless the check
// named a more precise one.
func TestFieldProblemReasons(t *testing.T) {
	p, _ := problemFor(invalidFields([]FieldProblem{
		{Pointer: "#/type", Detail: "type is required"},
		{Pointer: "#/code", Reason: string(credential.ReasonTypeCodeTaken), Detail: "code X already belongs to type y"},
	}), DefaultBodyLimit)
	want := []string{string(credential.ReasonInvalidField), string(credential.ReasonTypeCodeTaken)}
	if len(p.Errors) != len(want) {
		t.Fatalf("errors %+v", p.Errors)
	}
	for i, fp := range p.Errors {
		if fp.Reason != want[i] {
			t.Errorf("%s: reason %q, want %q", fp.Pointer, fp.Reason, want[i])
		}
	}
}
