package apiclient_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/gateway/apiclient"
)

// The client sends the key as a Bearer token to the documented paths, and
// hands problems back with their status and reason.
func TestClient(t *testing.T) {
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		seen = append(seen, r.Method+" "+r.URL.EscapedPath()+" "+r.Header.Get("Authorization")+" "+string(body))
		w.Header().Set("Content-Type", "application/json")
		switch r.Method + " " + r.URL.Path {
		case "GET /api/v1/me":
			io.WriteString(w, `{"department": {"id": "samr"}}`)
		case "POST /api/v1/departments/samr/api-keys":
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{"id": "ak_0123456789abcdef", "apiKey": "clk_secret", "key": {"id": "ak_0123456789abcdef", "department": "samr", "status": "active"}}`)
		case "GET /api/v1/departments/samr/api-keys":
			io.WriteString(w, `{"department": "samr", "apiKeys": [{"id": "ak_0123456789abcdef", "department": "samr", "prefix": "clk_Ab3dE9xY",
				"status": "revoked", "created": "2026-06-01T08:00:00Z", "createdBy": "gov", "createdByKey": "ak_ffffffffffffffff",
				"revokedAt": "2026-06-02T08:00:00Z", "revokedBy": "samr"}]}`)
		default:
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusConflict)
			io.WriteString(w, `{"status": 409, "reason": "api_key_already_revoked", "detail": "API key ak_0123456789abcdef was revoked"}`)
		}
	}))
	defer srv.Close()
	c := &apiclient.Client{BaseURL: srv.URL + "/", APIKey: "clk_caller"}
	ctx := t.Context()

	dept, err := c.Department(ctx)
	if err != nil || dept != "samr" {
		t.Fatalf("department %q, %v", dept, err)
	}
	created, err := c.CreateAPIKey(ctx, dept, apiclient.NewKey{Label: "batch", ExpiresAt: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil || created.Secret != "clk_secret" || created.Key.ID != "ak_0123456789abcdef" {
		t.Fatalf("created %+v, %v", created, err)
	}
	keys, err := c.ListAPIKeys(ctx, dept)
	if err != nil || len(keys) != 1 || keys[0].RevokedBy != "samr" {
		t.Fatalf("keys %+v, %v", keys, err)
	}
	_, err = c.RevokeAPIKey(ctx, dept, "ak_0123456789abcdef")
	var pe *apiclient.Error
	if !errors.As(err, &pe) || pe.Status != http.StatusConflict || pe.Reason != "api_key_already_revoked" {
		t.Fatalf("revoke: %v", err)
	}
	want := []string{
		"GET /api/v1/me Bearer clk_caller ",
		`POST /api/v1/departments/samr/api-keys Bearer clk_caller {"expiresAt":"2027-01-01T00:00:00Z","label":"batch"}`,
		"GET /api/v1/departments/samr/api-keys Bearer clk_caller ",
		"DELETE /api/v1/departments/samr/api-keys/ak_0123456789abcdef Bearer clk_caller ",
	}
	if strings.Join(seen, "\n") != strings.Join(want, "\n") {
		t.Fatalf("requests:\n%s\nwant:\n%s", strings.Join(seen, "\n"), strings.Join(want, "\n"))
	}

	var table bytes.Buffer
	if err := apiclient.WriteTable(&table, keys); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"ID", "ak_0123456789abcdef", "clk_Ab3dE9xY", "revoked", "2026-06-01T08:00Z by gov (ak_ffffffffffffffff)", "2026-06-02T08:00Z by samr"} {
		if !strings.Contains(table.String(), w) {
			t.Errorf("table lacks %q:\n%s", w, table.String())
		}
	}
}
