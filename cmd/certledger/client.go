package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// problemText summarizes an error answer of the gateway: the detail of an
// RFC 9457 problem, or the start of whatever else came back.
func problemText(status int, body []byte) string {
	var p struct {
		Title  string `json:"title"`
		Detail string `json:"detail"`
	}
	if json.Unmarshal(body, &p) == nil && p.Detail != "" {
		return fmt.Sprintf("%d %s: %s", status, p.Title, p.Detail)
	}
	text := strings.TrimSpace(string(body))
	if len(text) > 200 {
		text = text[:200] + "…"
	}
	return fmt.Sprintf("%d %s: %s", status, http.StatusText(status), text)
}

// decodeB64JSON decodes base64url (no padding) JSON into v.
func decodeB64JSON(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
