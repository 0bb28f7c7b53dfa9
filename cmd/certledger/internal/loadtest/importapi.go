package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// importAPI is what the import benchmarks ask of a gateway, through its
// HTTP API only, so they measure whatever the import does inside.
type importAPI struct {
	c *client
	// up sends import files: without the client's overall timeout, since
	// a large file takes a while to send, parse and store before the 202.
	up *client
}

func newImportAPI(base, apiKey string, concurrency int) *importAPI {
	c := newClient(base, apiKey, concurrency)
	up := *c
	up.http = &http.Client{Transport: c.http.Transport}
	return &importAPI{c: c, up: &up}
}

func (a *importAPI) close() { a.c.close() }

// batchState is an import as GET /api/v1/batches/{id} answers it.
type batchState struct {
	ID       string    `json:"id"`
	Status   string    `json:"status"` // validating, running, done or failed
	Total    int       `json:"total"`
	Done     int       `json:"done"`
	Failed   int       `json:"failed"`
	Detail   string    `json:"detail"`
	Created  time.Time `json:"created"`
	Finished time.Time `json:"finished"`
}

func (b batchState) ended() bool { return b.Status == "done" || b.Status == "failed" }

// importResult is one row's outcome as GET /api/v1/batches/{id}/results
// answers it: an identifier or a problem.
type importResult struct {
	Row   int    `json:"row"`
	Key   string `json:"key"`
	ID    string `json:"id"`
	Error *struct {
		Field  string `json:"field"`
		Reason string `json:"reason"`
		Detail string `json:"detail"`
	} `json:"error"`
}

// submit sends a CSV file of type typeID and returns the batch's ID.
func (a *importAPI) submit(ctx context.Context, typeID string, file []byte) (string, error) {
	h := a.c.auth()
	h.Set("Content-Type", "text/csv")
	raw, _, err := a.up.do(ctx, http.MethodPost, "/api/v1/batches?type="+url.QueryEscape(typeID), file, h, http.StatusAccepted, nil)
	if err != nil {
		return "", err
	}
	var out struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(raw, &out); err != nil || out.ID == "" {
		return "", fmt.Errorf("POST /api/v1/batches: an answer without a batch ID: %.200s", raw)
	}
	return out.ID, nil
}

func (a *importAPI) batch(ctx context.Context, id string) (batchState, error) {
	var b batchState
	raw, _, err := a.c.do(ctx, http.MethodGet, "/api/v1/batches/"+url.PathEscape(id), nil, a.c.auth(), http.StatusOK, nil)
	if err == nil {
		err = json.Unmarshal(raw, &b)
	}
	return b, err
}

func (a *importAPI) results(ctx context.Context, id string) ([]importResult, error) {
	raw, _, err := a.c.do(ctx, http.MethodGet, "/api/v1/batches/"+url.PathEscape(id)+"/results", nil, a.c.auth(), http.StatusOK, nil)
	if err != nil {
		return nil, err
	}
	var out struct {
		Results []importResult `json:"results"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("GET /api/v1/batches/%s/results: %w", id, err)
	}
	return out.Results, nil
}

// document reads credential id as its issuer (GET /api/v1/credentials/{id})
// and returns its signed document.
func (a *importAPI) document(ctx context.Context, id string) (json.RawMessage, error) {
	raw, _, err := a.c.do(ctx, http.MethodGet, "/api/v1/credentials/"+url.PathEscape(id), nil, a.c.auth(), http.StatusOK, nil)
	if err != nil {
		return nil, err
	}
	var out struct {
		Document json.RawMessage `json:"document"`
	}
	var doc struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(raw, &out); err != nil || json.Unmarshal(out.Document, &doc) != nil || doc.ID != id {
		return nil, fmt.Errorf("GET /api/v1/credentials/%s: the answer does not carry that credential's document", id)
	}
	return out.Document, nil
}

// verify posts a document to POST /api/v1/verify and expects it valid.
func (a *importAPI) verify(ctx context.Context, doc json.RawMessage) error {
	body := append(append([]byte(`{"document":`), doc...), '}')
	return a.c.verify(ctx, body, new(bytes.Buffer))
}

// register lists the identifiers of typeID in the department's register
// (GET /api/v1/credentials), page after page.
func (a *importAPI) register(ctx context.Context, typeID string) (map[string]bool, error) {
	ids := map[string]bool{}
	cursor := ""
	for {
		q := url.Values{"type": {typeID}, "limit": {strconv.Itoa(registerPage)}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var page struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
			Next string `json:"next"`
		}
		err := retryTransient(ctx, func() error {
			raw, _, err := a.c.do(ctx, http.MethodGet, "/api/v1/credentials?"+q.Encode(), nil, a.c.auth(), http.StatusOK, nil)
			if err == nil {
				err = json.Unmarshal(raw, &page)
			}
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("the register, after %d identifiers: %w", len(ids), err)
		}
		for _, it := range page.Items {
			ids[it.ID] = true
		}
		if page.Next == "" {
			return ids, nil
		}
		cursor = page.Next
	}
}

// registerPage is the register's largest page (credential.MaxRegisterPage).
const registerPage = 500

// transient reports whether an answer may change by asking again: no
// answer at all, 429 or a 5xx. Any other status is the request's own fault.
func transient(err error) bool {
	var se *statusError
	if errors.As(err, &se) {
		return se.Status == http.StatusTooManyRequests || se.Status >= 500
	}
	return err != nil && !errors.Is(err, context.Canceled)
}

// retryTransient runs fn until it succeeds, fails for itself, or has
// failed transiently for a minute.
func retryTransient(ctx context.Context, fn func() error) error {
	deadline := time.Now().Add(time.Minute)
	for {
		err := fn()
		if err == nil || !transient(err) || ctx.Err() != nil || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}
