package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/certledger/certledger/credential"
	"github.com/gofiber/fiber/v2"
)

// ProblemContentType is the media type of RFC 9457 problem details.
const ProblemContentType = "application/problem+json"

// unavailableRetryAfter is the Retry-After, in seconds, of a 503 that does
// not set its own: about a Raft leader election, or a peer's restart seen
// from a client that retries.
const unavailableRetryAfter = "2"

// problemTypeBase prefixes problem type URIs. A URN names the problem
// without promising a web page that might not exist.
const problemTypeBase = "urn:certledger:problem:"

// Problem is an RFC 9457 problem detail, with extensions: reason, a stable
// snake_case name of the failure for programs (an application error's
// credential.Reason, else the gateway problem's own), errors listing each
// field that is wrong, and a requestId to quote to an operator.
type Problem struct {
	Type      string         `json:"type"`
	Title     string         `json:"title"`
	Status    int            `json:"status"`
	Reason    string         `json:"reason"`
	Detail    string         `json:"detail"`
	Instance  string         `json:"instance,omitempty"`
	RequestID string         `json:"requestId,omitempty"`
	Errors    []FieldProblem `json:"errors,omitempty"`
}

// FieldProblem locates one problem in the request body with a JSON pointer
// (RFC 6901, in URI fragment form as in RFC 9457's example). Reason names
// it as the problem's reason names the whole, so a form can word each
// problem next to its field; invalid_field unless a reason says more.
type FieldProblem struct {
	Pointer string `json:"pointer"`
	Reason  string `json:"reason"`
	Detail  string `json:"detail"`
}

// problemKind is a row of the status table. reason is the problem's
// reason for the gateway's own problems; an application error brings its
// own, and the row's is the fallback for one without.
type problemKind struct {
	status int
	slug   string
	title  string
	reason string
}

// codeKinds is the one table mapping application error codes to HTTP.
var codeKinds = map[credential.Code]problemKind{
	credential.CodeInvalid:      {http.StatusBadRequest, "invalid", "Invalid request", "invalid"},
	credential.CodeNotFound:     {http.StatusNotFound, "not-found", "Not found", "not_found"},
	credential.CodeConflict:     {http.StatusConflict, "conflict", "Conflict", "conflict"},
	credential.CodeUnauthorized: {http.StatusUnauthorized, "unauthorized", "Authentication required", "unauthorized"},
	credential.CodeForbidden:    {http.StatusForbidden, "forbidden", "Forbidden", "forbidden"},
	credential.CodeInternal:     {http.StatusInternalServerError, "internal", "Internal server error", string(credential.ReasonInternal)},
	credential.CodeUnavailable:  kindUnavailable,
	credential.CodeGone:         {http.StatusGone, "gone", "Gone", "gone"},
}

// Problems the gateway raises itself, beyond the application codes.
var (
	kindMalformed       = problemKind{http.StatusBadRequest, "malformed-request", "Malformed request", "malformed_request"}
	kindTooLarge        = problemKind{http.StatusRequestEntityTooLarge, "body-too-large", "Request body too large", "body_too_large"}
	kindNoRoute         = problemKind{http.StatusNotFound, "no-route", "Not found", "no_route"}
	kindMethod          = problemKind{http.StatusMethodNotAllowed, "method-not-allowed", "Method not allowed", "method_not_allowed"}
	kindUnavailable     = problemKind{http.StatusServiceUnavailable, "unavailable", "Service unavailable", "unavailable"}
	kindLedgerTimeout   = problemKind{http.StatusServiceUnavailable, "unavailable", "Service unavailable", string(credential.ReasonLedgerUnavailable)}
	kindTimeout         = problemKind{http.StatusRequestTimeout, "timeout", "Request timeout", "timeout"}
	kindHeadersTooLarge = problemKind{http.StatusRequestHeaderFieldsTooLarge, "headers-too-large", "Request headers too large", "headers_too_large"}
	kindEncoding        = problemKind{http.StatusUnsupportedMediaType, "unsupported-content-encoding", "Unsupported content encoding", "unsupported_content_encoding"}
)

// apiError is an error the gateway answers with a given problem kind.
type apiError struct {
	kind   problemKind
	reason string
	detail string
	errors []FieldProblem
}

func (e *apiError) Error() string { return e.kind.slug + ": " + e.detail }

func newAPIError(k problemKind, format string, args ...any) *apiError {
	return &apiError{kind: k, reason: k.reason, detail: fmt.Sprintf(format, args...)}
}

// MaxFieldProblems is the most field problems one answer lists; the
// detail says how many more there were.
const MaxFieldProblems = 50

// invalidFields is a 400 naming the field problems, the first
// MaxFieldProblems of them; the detail repeats them so a client that only
// shows detail still says what is wrong.
func invalidFields(problems []FieldProblem) *apiError {
	total := len(problems)
	problems = problems[:min(total, MaxFieldProblems)]
	parts := make([]string, len(problems))
	for i, p := range problems {
		parts[i] = p.Detail
		if p.Reason == "" {
			problems[i].Reason = string(credential.ReasonInvalidField)
		}
	}
	detail := strings.Join(parts, "; ")
	if total > len(problems) {
		detail = fmt.Sprintf("%d problems, the first %d: %s; and %d more", total, len(problems), detail, total-len(problems))
	} else if total > 1 {
		detail = fmt.Sprintf("%d problems: %s", total, detail)
	}
	return &apiError{kind: codeKinds[credential.CodeInvalid], reason: string(credential.ReasonInvalidField), detail: detail, errors: problems}
}

// problemFor turns any error into a problem. internal is true when the
// error is not one a client may see; the caller logs it.
func problemFor(err error, bodyLimit int) (p Problem, internal bool) {
	var (
		ae *apiError
		ce *credential.Error
		fe *fiber.Error
	)
	k, detail := codeKinds[credential.CodeInternal], "internal error"
	reason := k.reason
	switch {
	case errors.As(err, &ae):
		k, reason, detail = ae.kind, ae.reason, ae.detail
		p.Errors = ae.errors
	case errors.As(err, &ce):
		var ok bool
		if k, ok = codeKinds[ce.Code]; !ok {
			k = codeKinds[credential.CodeInternal]
		}
		reason = k.reason
		if ce.Reason != "" {
			reason = string(ce.Reason)
		}
		if k.status != http.StatusInternalServerError {
			detail = ce.Message
		}
	case errors.Is(err, context.DeadlineExceeded):
		// The request's time for ledger work ran out. What it sent may still
		// commit, so the client is told to retry, not that it failed.
		k, detail = kindLedgerTimeout, "the ledger did not answer in time; send the same request again (an issuance with the same Idempotency-Key is never recorded twice)"
		reason = k.reason
	case errors.As(err, &fe):
		switch fe.Code {
		case http.StatusNotFound:
			k, detail = kindNoRoute, "there is no such resource; see /api/v1/openapi.json"
		case http.StatusMethodNotAllowed:
			k, detail = kindMethod, "this resource does not support the method; see /api/v1/openapi.json"
		case http.StatusRequestEntityTooLarge:
			k, detail = kindTooLarge, fmt.Sprintf("the request body is larger than %d bytes", bodyLimit)
		case http.StatusRequestTimeout:
			k, detail = kindTimeout, "the request was not received in time"
		case http.StatusRequestHeaderFieldsTooLarge:
			k, detail = kindHeadersTooLarge, "the request headers are too large"
		default:
			if fe.Code >= 400 && fe.Code < 500 {
				k = problemKind{fe.Code, "http-" + fmt.Sprint(fe.Code), http.StatusText(fe.Code), "http_" + fmt.Sprint(fe.Code)}
				detail = fe.Message
			}
		}
		reason = k.reason
	}
	p.Type = problemTypeBase + k.slug
	p.Title = k.title
	p.Status = k.status
	p.Reason = reason
	p.Detail = detail
	return p, k.status >= http.StatusInternalServerError
}

// writeProblem sends p as problem+json.
func writeProblem(c *fiber.Ctx, p Problem) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	c.Status(p.Status)
	c.Set(fiber.HeaderContentType, ProblemContentType)
	switch p.Status {
	case http.StatusUnauthorized:
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="certledger"`)
	case http.StatusUnsupportedMediaType:
		c.Set(fiber.HeaderAcceptEncoding, "identity") // RFC 9110, 15.5.16
	case http.StatusServiceUnavailable:
		if c.GetRespHeader(fiber.HeaderRetryAfter) == "" {
			c.Set(fiber.HeaderRetryAfter, unavailableRetryAfter)
		}
	}
	return c.Send(b)
}
