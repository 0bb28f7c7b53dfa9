package gateway

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	json "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/gofiber/fiber/v2"
)

// decodeJSON decodes the request body into v strictly: one JSON value, no
// unknown or duplicate members, member names matched exactly, valid UTF-8.
// A typo in a member name is an error instead of a silently ignored field.
// It uses the json v2 decoder (go-json-experiment/json), several times
// faster than encoding/json on credential documents, which matters on the
// verification path. The Content-Type is not checked: curl's default form
// type must not turn a correct JSON body into an error.
func decodeJSON(c *fiber.Ctx, v any) error {
	body := c.BodyRaw()
	if len(bytes.TrimSpace(body)) == 0 {
		return newAPIError(kindMalformed, "the request body is empty; send a JSON object")
	}
	if err := json.Unmarshal(body, v, json.RejectUnknownMembers(true)); err != nil {
		return newAPIError(kindMalformed, "%s", describeJSONError(err, body))
	}
	return nil
}

// describeJSONError words an error decoding body for a client.
func describeJSONError(err error, body []byte) string {
	var (
		sem *json.SemanticError
		syn *jsontext.SyntacticError
		ae  *apiError
	)
	switch {
	case errors.As(err, &ae):
		return ae.detail
	case errors.As(err, &sem) && errors.Is(err, json.ErrUnknownName):
		return "unknown member " + pointerName(sem.JSONPointer)
	case errors.As(err, &sem) && sem.JSONPointer == "":
		return "the request body must be a JSON object"
	case errors.As(err, &sem):
		if sem.Err != nil {
			return fmt.Sprintf("member %s: %s", pointerName(sem.JSONPointer), sem.Err.Error())
		}
		if sem.JSONKind != 0 {
			return fmt.Sprintf("member %s has the wrong JSON type (%s)", pointerName(sem.JSONPointer), kindName(sem.JSONKind))
		}
		return fmt.Sprintf("member %s has the wrong JSON type", pointerName(sem.JSONPointer))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the request body is not valid JSON (it ends early)"
	case errors.As(err, &syn):
		if errors.Is(syn.Err, jsontext.ErrDuplicateName) {
			return "duplicate member " + pointerName(syn.JSONPointer)
		}
		// Everything before the error is one whole value: what follows is
		// the problem.
		if syn.ByteOffset > 0 && syn.ByteOffset <= int64(len(body)) && jsontext.Value(body[:syn.ByteOffset]).IsValid() {
			return "the request body holds more than one JSON value"
		}
		return fmt.Sprintf("the request body is not valid JSON (at byte %d: %s)", syn.ByteOffset, syn.Err.Error())
	}
	return "the request body is not valid JSON"
}

// pointerName shows a JSON pointer as a dotted member path: /holder/age
// becomes "holder.age". The name is the client's own input, so it is cut
// to maxEchoedName bytes.
func pointerName(p jsontext.Pointer) string {
	s := strings.TrimPrefix(string(p), "/")
	if s == "" {
		return "(the body)"
	}
	s = strings.ReplaceAll(strings.ReplaceAll(s, "/", "."), "~1", "/")
	return `"` + truncate(strings.ReplaceAll(s, "~0", "~"), maxEchoedName) + `"`
}

// maxEchoedName is the most of a member name an answer repeats.
const maxEchoedName = 64

func kindName(k jsontext.Kind) string {
	switch k {
	case '"':
		return "a string"
	case '0':
		return "a number"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	case '{':
		return "an object"
	case '[':
		return "an array"
	}
	return k.String()
}
