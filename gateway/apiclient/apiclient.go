// Package apiclient is a client of the gateway's REST API for what
// `certledger api-keys` does: list, create and revoke a department's API
// keys with an API key of the department (or of governance). It speaks
// plain HTTP and JSON and imports nothing of the gateway.
package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"
)

// Client calls one gateway as the department an API key belongs to.
type Client struct {
	// BaseURL is the gateway's URL, such as http://127.0.0.1:8080.
	BaseURL string
	// APIKey authenticates every call.
	APIKey string
	// HTTP sends the requests; nil is http.DefaultClient.
	HTTP *http.Client
}

// APIKey is an API key as the gateway lists it: never the key itself.
type APIKey struct {
	ID           string    `json:"id"`
	Department   string    `json:"department"`
	Prefix       string    `json:"prefix,omitempty"`
	Label        string    `json:"label,omitempty"`
	Status       string    `json:"status"` // active, expired or revoked
	Created      time.Time `json:"created"`
	CreatedBy    string    `json:"createdBy"`
	CreatedByKey string    `json:"createdByKey,omitempty"`
	CreateTxID   string    `json:"createTxId,omitempty"`
	ExpiresAt    time.Time `json:"expiresAt,omitzero"`
	RevokedAt    time.Time `json:"revokedAt,omitzero"`
	RevokedBy    string    `json:"revokedBy,omitempty"`
	RevokedByKey string    `json:"revokedByKey,omitempty"`
	RevokeTxID   string    `json:"revokeTxId,omitempty"`
	// LastUsed is when the gateway asked last accepted the key.
	LastUsed time.Time `json:"lastUsed,omitzero"`
}

// NewKey is what a new key may carry: a label (public: a use, not a
// person) and an expiry; zero values for none.
type NewKey struct {
	Label     string
	ExpiresAt time.Time
}

// Created is a new key: Secret is the key itself, shown this once.
type Created struct {
	Secret string
	Key    APIKey
}

// Error is a problem the gateway answered.
type Error struct {
	Status int
	Reason string // the problem's stable reason, such as api_key_revoked
	Detail string
}

func (e *Error) Error() string {
	if e.Reason == "" {
		return fmt.Sprintf("%d %s: %s", e.Status, http.StatusText(e.Status), e.Detail)
	}
	return fmt.Sprintf("%d %s (%s): %s", e.Status, http.StatusText(e.Status), e.Reason, e.Detail)
}

// Department returns the department the client's API key belongs to.
func (c *Client) Department(ctx context.Context) (string, error) {
	var me struct {
		Department struct {
			ID string `json:"id"`
		} `json:"department"`
	}
	if err := c.call(ctx, http.MethodGet, "/api/v1/me", nil, &me); err != nil {
		return "", err
	}
	return me.Department.ID, nil
}

// ListAPIKeys lists department dept's keys, revoked and expired ones
// included, oldest first.
func (c *Client) ListAPIKeys(ctx context.Context, dept string) ([]APIKey, error) {
	var out struct {
		APIKeys []APIKey `json:"apiKeys"`
	}
	err := c.call(ctx, http.MethodGet, keysPath(dept), nil, &out)
	return out.APIKeys, err
}

// CreateAPIKey creates a key for department dept.
func (c *Client) CreateAPIKey(ctx context.Context, dept string, k NewKey) (Created, error) {
	body := map[string]string{}
	if k.Label != "" {
		body["label"] = k.Label
	}
	if !k.ExpiresAt.IsZero() {
		body["expiresAt"] = k.ExpiresAt.UTC().Format(time.RFC3339Nano)
	}
	var out struct {
		APIKey string `json:"apiKey"`
		Key    APIKey `json:"key"`
	}
	if err := c.call(ctx, http.MethodPost, keysPath(dept), body, &out); err != nil {
		return Created{}, err
	}
	if out.APIKey == "" || out.Key.ID == "" {
		return Created{}, errors.New("the gateway's answer holds no key")
	}
	return Created{Secret: out.APIKey, Key: out.Key}, nil
}

// RevokeAPIKey revokes key id of department dept for good.
func (c *Client) RevokeAPIKey(ctx context.Context, dept, id string) (APIKey, error) {
	var out struct {
		Key APIKey `json:"key"`
	}
	err := c.call(ctx, http.MethodDelete, keysPath(dept)+"/"+url.PathEscape(id), nil, &out)
	return out.Key, err
}

func keysPath(dept string) string { return "/api/v1/departments/" + url.PathEscape(dept) + "/api-keys" }

// maxAnswer bounds what is read of an answer.
const maxAnswer = 4 << 20

func (c *Client) call(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.BaseURL, "/")+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.APIKey)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	h := c.HTTP
	if h == nil {
		h = http.DefaultClient
	}
	resp, err := h.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		return problem(resp.StatusCode, raw)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s %s: the gateway's answer is not the JSON expected: %w", method, path, err)
	}
	return nil
}

func problem(status int, raw []byte) *Error {
	var p struct {
		Reason string `json:"reason"`
		Detail string `json:"detail"`
	}
	if json.Unmarshal(raw, &p) == nil && p.Detail != "" {
		return &Error{Status: status, Reason: p.Reason, Detail: p.Detail}
	}
	text := strings.TrimSpace(string(raw))
	if len(text) > 200 {
		text = text[:200] + "…"
	}
	return &Error{Status: status, Detail: text}
}

// WriteTable prints keys as a table, one key a line: ID, prefix, status,
// label, who created it and when, expiry, who revoked it and when, last
// use.
func WriteTable(w io.Writer, keys []APIKey) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPREFIX\tSTATUS\tLABEL\tCREATED\tEXPIRES\tREVOKED\tLAST USED")
	for _, k := range keys {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, or(k.Prefix, "-"), k.Status, or(k.Label, "-"),
			by(k.Created, k.CreatedBy, k.CreatedByKey), day(k.ExpiresAt), by(k.RevokedAt, k.RevokedBy, k.RevokedByKey), day(k.LastUsed))
	}
	return tw.Flush()
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func day(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02T15:04Z")
}

// by is "<time> by <department>[ (<key id>)]", "-" for no time.
func by(t time.Time, dept, key string) string {
	if t.IsZero() {
		return "-"
	}
	s := day(t) + " by " + dept
	if key != "" {
		s += " (" + key + ")"
	}
	return s
}
