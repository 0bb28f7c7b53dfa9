package provision

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/certledger/certledger/credential/demo"
)

// Doer sends a request to the gateway and returns its answer: the
// gateway's own app in-process, or an HTTP client.
type Doer func(*http.Request) (*http.Response, error)

// sampleKeyPrefix starts the idempotency key of every sample issuance.
const sampleKeyPrefix = "certledger-demo-sample-"

// IssueSamples issues demo.Samples() through the gateway's issuance API,
// POST /api/v1/credentials with each department's API key from
// demo-keys.json, as a department would. Each sample has an idempotency key
// of its own, so a second run (every start of serve --demo) replays the
// first issuances and creates nothing. It returns how many credentials are
// new.
func IssueSamples(ctx context.Context, do Doer, dataDir string) (issued int, err error) {
	keys, err := ReadDemoKeys(dataDir)
	if err != nil {
		return 0, err
	}
	for _, s := range demo.Samples() {
		k, ok := keys[s.Dept]
		if !ok || k.APIKey == "" {
			return issued, fmt.Errorf("provision: demo-keys.json has no API key for %s", s.Dept)
		}
		body, err := json.Marshal(map[string]any{"type": s.Type, "holder": s.Holder, "fields": s.Fields})
		if err != nil {
			return issued, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://gateway/api/v1/credentials", bytes.NewReader(body))
		if err != nil {
			return issued, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+k.APIKey)
		req.Header.Set("Idempotency-Key", sampleKeyPrefix+s.Key)
		resp, err := do(req)
		if err != nil {
			return issued, fmt.Errorf("provision: sample %s: %w", s.Key, err)
		}
		answer, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			return issued, fmt.Errorf("provision: sample %s: the gateway answered %d: %s", s.Key, resp.StatusCode, answer)
		}
		if resp.Header.Get("Idempotent-Replayed") == "" {
			issued++
		}
	}
	return issued, nil
}
