package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// decodeJSON decodes the request body into v strictly: one JSON value,
// no unknown members, so a typo in a member name is an error instead of a
// silently ignored field. The Content-Type is not checked: curl's default
// form type must not turn a correct JSON body into an error.
func decodeJSON(c *fiber.Ctx, v any) error {
	body := c.Body()
	if len(bytes.TrimSpace(body)) == 0 {
		return newAPIError(kindMalformed, "the request body is empty; send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return newAPIError(kindMalformed, "%s", describeJSONError(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return newAPIError(kindMalformed, "the request body holds more than one JSON value")
	}
	return nil
}

// describeJSONError words encoding/json's errors for a client.
func describeJSONError(err error) string {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("the request body is not valid JSON (at byte %d: %s)", syn.Offset, syn.Error())
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the request body is not valid JSON (it ends early)"
	case errors.As(err, &typ):
		if typ.Field != "" {
			return fmt.Sprintf("member %s must be a JSON %s, not %s", typ.Field, jsonKind(typ.Type.Kind().String()), typ.Value)
		}
		return fmt.Sprintf("the request body must be a JSON object, not %s", typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown member " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	}
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.detail
	}
	return "the request body is not valid JSON"
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "struct", "map":
		return "object"
	case "slice", "array":
		return "array"
	case "bool":
		return "boolean"
	}
	return "number"
}
