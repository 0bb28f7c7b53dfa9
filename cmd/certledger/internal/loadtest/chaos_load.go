package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/gateway/provision"
)

// outcome classifies one HTTP attempt of an issuance.
type outcome int

const (
	outIssued        outcome = iota // 201, a new credential
	outReplayed                     // 201 with Idempotent-Replayed: the first answer was lost
	out503Retry                     // 503 with Retry-After
	out503Bare                      // 503 without Retry-After
	out500                          // any 5xx other than 503
	out429                          // 429
	outConflictRetry                // 409 concurrent_change, which asks for a retry
	outRejected                     // any other 4xx: the request itself was refused
	outNoAnswer                     // connection refused, reset or closed
	outTimeout                      // no answer within the client's timeout
	numOutcomes
)

var outcomeNames = [numOutcomes]string{"201 issued", "201 replayed", "503 + Retry-After", "503 without Retry-After", "500 (or other 5xx)", "429", "409 concurrent_change", "other 4xx", "no answer (connection)", "client timeout"}

func (o outcome) String() string { return outcomeNames[o] }

func (o outcome) acknowledged() bool { return o == outIssued || o == outReplayed }

// attempt is one HTTP request of the load.
type attempt struct {
	at         time.Time // sent
	latency    time.Duration
	status     int // 0 when no answer came
	out        outcome
	retryAfter time.Duration // as the answer gave it
}

// ack is one logical issuance the gateway acknowledged.
type ack struct {
	n        int
	id       string
	digest   string // the document's proof digest
	at       time.Time
	attempts int
}

// chaosLoad issues credentials from Concurrency clients, each logical
// issuance with its own Idempotency-Key, retried with that key until it is
// acknowledged, as a careful client does.
type chaosLoad struct {
	cfg     ChaosConfig
	url     string
	apiKey  string
	typ     credential.CredentialType
	run     string // tags this run's holder names and keys
	http    *http.Client
	next    atomic.Int64
	stopped atomic.Bool
	drainBy atomic.Int64 // unix nanoseconds
	wg      sync.WaitGroup
	startAt time.Time
	endAt   time.Time

	mu        sync.Mutex
	attempts  []attempt
	acks      []ack
	abandoned []int // logical issuances given up when the drain ended
	rejected  []int
}

// loadResult is what the load saw.
type loadResult struct {
	start, end time.Time // of the load, without the drain
	started    int
	attempts   []attempt
	acks       []ack
	abandoned  []int
	rejected   []int
}

func newChaosLoad(ctx context.Context, url string, key provision.DemoKey, cfg ChaosConfig) (*chaosLoad, error) {
	if key.APIKey == "" || len(key.Types) == 0 {
		return nil, fmt.Errorf("the demo keys have no API key or type for %s", chaosDept)
	}
	c := newClient(url, key.APIKey, cfg.Concurrency)
	types, err := c.types(ctx)
	if err != nil {
		return nil, err
	}
	l := &chaosLoad{cfg: cfg, url: c.base, apiKey: key.APIKey, run: strconv.FormatInt(time.Now().UnixNano(), 36), http: c.http}
	for _, t := range types {
		if t.ID == key.Types[0] {
			l.typ = t
		}
	}
	if l.typ.ID == "" {
		return nil, fmt.Errorf("type %s is not in the catalogue", key.Types[0])
	}
	return l, nil
}

// holderName marks the n-th logical issuance of a run: the one claim by
// which its credentials are counted on the ledger.
func holderName(run string, n int) string { return holderPrefix(run) + strconv.Itoa(n) }

func holderPrefix(run string) string { return "压测持证人" + run + "-" }

func (l *chaosLoad) body(n int) []byte {
	b, err := json.Marshal(issueRequest{Type: l.typ.ID,
		Holder: credential.Holder{Name: holderName(l.run, n), IDType: credential.IDResidentCard, IDNumber: benchHolderID},
		Fields: fieldValues(l.typ, n)})
	if err != nil {
		panic(err) // only strings: cannot fail
	}
	return b
}

func (l *chaosLoad) start(ctx context.Context) {
	l.startAt = time.Now()
	for range l.cfg.Concurrency {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for !l.stopped.Load() && ctx.Err() == nil {
				l.issue(ctx, int(l.next.Add(1)))
			}
		}()
	}
}

// stop ends the load: no new issuance starts, and those under way are
// retried until acknowledged or until the drain time is over.
func (l *chaosLoad) stop() {
	l.endAt = time.Now()
	l.drainBy.Store(l.endAt.Add(l.cfg.Drain).UnixNano())
	l.stopped.Store(true)
	l.wg.Wait()
}

// issue makes logical issuance n, retrying with its key: after the
// answer's Retry-After, or a growing pause when there is none.
func (l *chaosLoad) issue(ctx context.Context, n int) {
	body, key := l.body(n), "chaos-"+l.run+"-"+strconv.Itoa(n)
	pause := 250 * time.Millisecond
	for try := 1; ; try++ {
		a, doc := l.post(ctx, body, key)
		l.mu.Lock()
		l.attempts = append(l.attempts, a)
		done := true
		switch {
		case a.out.acknowledged():
			l.acks = append(l.acks, ack{n: n, id: doc.ID, digest: doc.Proof.Digest, at: a.at.Add(a.latency), attempts: try})
		case a.out == outRejected:
			l.rejected = append(l.rejected, n)
		case ctx.Err() != nil || (l.stopped.Load() && time.Now().UnixNano() > l.drainBy.Load()):
			l.abandoned = append(l.abandoned, n)
		default:
			done = false
		}
		l.mu.Unlock()
		if done {
			return
		}
		wait := pause
		if a.retryAfter > 0 {
			wait = min(a.retryAfter, 10*time.Second)
		}
		pause = min(2*pause, 2*time.Second)
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
	}
}

// post sends one attempt and classifies its answer.
func (l *chaosLoad) post(ctx context.Context, body []byte, key string) (attempt, credential.Document) {
	var doc credential.Document
	a := attempt{at: time.Now()}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.url+"/api/v1/credentials", bytes.NewReader(body))
	if err != nil {
		panic(err) // a fixed URL and method
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+l.apiKey)
	req.Header.Set("Idempotency-Key", key)
	resp, err := l.http.Do(req)
	if err != nil {
		a.latency, a.out = time.Since(a.at), outNoAnswer
		var ne net.Error
		if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
			a.out = outTimeout
		}
		return a, doc
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	a.latency, a.status = time.Since(a.at), resp.StatusCode
	if err != nil {
		a.out = outNoAnswer
		return a, doc
	}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
		a.retryAfter = time.Duration(s) * time.Second
	}
	a.out = classify(resp.StatusCode, resp.Header, raw)
	if a.out.acknowledged() {
		var ans struct {
			ID       string              `json:"id"`
			Document credential.Document `json:"document"`
		}
		if json.Unmarshal(raw, &ans) != nil || ans.ID == "" || ans.Document.ID != ans.ID {
			a.out = out500 // an acknowledgment the client cannot use
			return a, doc
		}
		doc = ans.Document
	}
	return a, doc
}

// classify names an answer's outcome from its status, headers and body.
func classify(status int, h http.Header, body []byte) outcome {
	switch {
	case status == http.StatusCreated && h.Get("Idempotent-Replayed") == "true":
		return outReplayed
	case status == http.StatusCreated:
		return outIssued
	case status == http.StatusServiceUnavailable && h.Get("Retry-After") != "":
		return out503Retry
	case status == http.StatusServiceUnavailable:
		return out503Bare
	case status >= 500:
		return out500
	case status == http.StatusTooManyRequests:
		return out429
	case status == http.StatusConflict:
		var p struct {
			Reason string `json:"reason"`
		}
		if json.Unmarshal(body, &p) == nil && p.Reason == string(credential.ReasonConcurrentChange) {
			return outConflictRetry
		}
	}
	return outRejected
}

func (l *chaosLoad) result() loadResult {
	l.mu.Lock()
	defer l.mu.Unlock()
	return loadResult{start: l.startAt, end: l.endAt, started: int(l.next.Load()), attempts: l.attempts,
		acks: l.acks, abandoned: l.abandoned, rejected: l.rejected}
}

// acknowledged counts the acknowledgments so far, for progress lines.
func (l *chaosLoad) acknowledged() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acks)
}
