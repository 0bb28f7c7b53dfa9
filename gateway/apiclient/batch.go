package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Batch is an import as GET /api/v1/batches/{id} answers it.
type Batch struct {
	ID     string `json:"id"`
	Type   string `json:"type"`
	DryRun bool   `json:"dryRun"`
	Status string `json:"status"` // validating, running, done or failed
	Total  int    `json:"total"`
	Done   int    `json:"done"`
	Failed int    `json:"failed"`
	Errors []struct {
		Row    int    `json:"row"`
		Field  string `json:"field"`
		Reason string `json:"reason"`
		Detail string `json:"detail"`
	} `json:"errors"`
	Detail string `json:"detail"`
}

// Ended reports whether the batch will change no more.
func (b Batch) Ended() bool { return b.Status == "done" || b.Status == "failed" }

// MediaType is the Content-Type of an import file, from its name:
// .xlsx, .ndjson or .jsonl, anything else CSV.
func MediaType(name string) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".xlsx":
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case ".ndjson", ".jsonl":
		return "application/x-ndjson"
	}
	return "text/csv"
}

// SubmitBatch sends an import file of credentials of typ and returns the
// batch's ID.
func (c *Client) SubmitBatch(ctx context.Context, typ, mediaType string, file []byte, dryRun bool) (string, error) {
	q := url.Values{"type": {typ}}
	if dryRun {
		q.Set("dryRun", "true")
	}
	raw, err := c.send(ctx, http.MethodPost, "/api/v1/batches?"+q.Encode(), mediaType, "", bytes.NewReader(file))
	if err != nil {
		return "", err
	}
	var out struct{ ID string }
	if err := json.Unmarshal(raw, &out); err != nil || out.ID == "" {
		return "", fmt.Errorf("the gateway's answer to the import is not the JSON expected")
	}
	return out.ID, nil
}

// Batch reads an import's progress.
func (c *Client) Batch(ctx context.Context, id string) (Batch, error) {
	var b Batch
	err := c.call(ctx, http.MethodGet, "/api/v1/batches/"+url.PathEscape(id), nil, &b)
	return b, err
}

// BatchResultsCSV writes each row's result as CSV (row, key, id, field,
// reason, detail) to w.
func (c *Client) BatchResultsCSV(ctx context.Context, id string, w io.Writer) error {
	raw, err := c.send(ctx, http.MethodGet, "/api/v1/batches/"+url.PathEscape(id)+"/results", "", "text/csv", nil)
	if err != nil {
		return err
	}
	_, err = w.Write(raw)
	return err
}

// maxResults bounds a results answer: 200,000 rows of about 150 bytes.
const maxResults = 64 << 20

func (c *Client) send(ctx context.Context, method, path, contentType, accept string, body io.Reader) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.BaseURL, "/")+path, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.APIKey)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	h := c.HTTP
	if h == nil {
		h = http.DefaultClient
	}
	resp, err := h.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResults))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 {
		return nil, problem(resp.StatusCode, raw)
	}
	return raw, nil
}

// Progress is told of a batch's state while WaitBatch polls it.
type Progress func(Batch)

// WaitBatch polls the batch every interval until it ends or ctx does.
func (c *Client) WaitBatch(ctx context.Context, id string, interval time.Duration, progress Progress) (Batch, error) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		b, err := c.Batch(ctx, id)
		if err != nil {
			return b, err
		}
		if progress != nil {
			progress(b)
		}
		if b.Ended() {
			return b, nil
		}
		select {
		case <-ctx.Done():
			return b, ctx.Err()
		case <-t.C:
		}
	}
}

// ProgressBar draws a batch's progress on w: a bar redrawn in place on a
// terminal, otherwise a plain line each time the count moves on.
func ProgressBar(w io.Writer, terminal bool) Progress {
	last := -1
	return func(b Batch) {
		n := b.Done + b.Failed
		if !terminal {
			if n != last || b.Ended() {
				fmt.Fprintf(w, "%s: %d/%d rows (%d issued, %d failed)\n", b.Status, n, b.Total, b.Done, b.Failed)
			}
			last = n
			return
		}
		const width = 30
		filled := 0
		if b.Total > 0 {
			filled = width * n / b.Total
		}
		fmt.Fprintf(w, "\r[%s%s] %d/%d %-10s failed %d", strings.Repeat("#", filled), strings.Repeat(".", width-filled), n, b.Total, b.Status, b.Failed)
		if b.Ended() {
			fmt.Fprintln(w)
		}
	}
}

// ImportOptions is one import by Import.
type ImportOptions struct {
	Type      string
	File      []byte
	MediaType string
	DryRun    bool
	Report    string        // path of the results CSV written at the end
	Progress  Progress      // may be nil
	Poll      time.Duration // default 500 ms
}

// Import sends a file, follows the batch to its end and writes every
// row's result (identifier or problem) to o.Report.
func Import(ctx context.Context, c *Client, o ImportOptions) (Batch, error) {
	if o.Poll <= 0 {
		o.Poll = 500 * time.Millisecond
	}
	id, err := c.SubmitBatch(ctx, o.Type, o.MediaType, o.File, o.DryRun)
	if err != nil {
		return Batch{}, err
	}
	b, err := c.WaitBatch(ctx, id, o.Poll, o.Progress)
	if err != nil {
		return b, fmt.Errorf("batch %s: %w", id, err)
	}
	var buf bytes.Buffer
	if err := c.BatchResultsCSV(ctx, id, &buf); err != nil {
		return b, fmt.Errorf("batch %s results: %w", id, err)
	}
	if o.Report != "" {
		if err := os.WriteFile(o.Report, buf.Bytes(), 0o600); err != nil {
			return b, err
		}
	}
	return b, nil
}
