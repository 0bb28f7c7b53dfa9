package loadtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"
)

// abuseLoad is the request a case sends, over and over.
type abuseLoad struct {
	method string
	body   []byte
	header http.Header
	size   int // bytes of the body as sent
	// wrongKey: each request carries a new random API key.
	wrongKey bool
}

// newAbuseLoad builds the case's payload.
func newAbuseLoad(c AbuseCase) (*abuseLoad, error) {
	if c.Clients < 1 || (c.Duration <= 0) == (c.Rounds <= 0) {
		return nil, errors.New("a case needs clients and either a duration or rounds")
	}
	l := &abuseLoad{method: http.MethodPost, header: http.Header{}}
	var err error
	switch c.Kind {
	case KindGzipBomb:
		l.body, err = gzipBomb(c.Size)
		l.header.Set("Content-Type", "application/json")
		l.header.Set("Content-Encoding", "gzip")
	case KindPicture:
		var pic []byte
		if pic, err = blankPNG(int(c.Size)); err == nil {
			var ct string
			l.body, ct = uploadForm(pic)
			l.header.Set("Content-Type", ct)
		}
	case KindUploadFlood:
		var ct string
		l.body, ct, err = paddedUploadForm(int(c.Size))
		l.header.Set("Content-Type", ct)
	case KindBodyFlood:
		l.body, err = paddedVerifyBody(int(c.Size))
		l.header.Set("Content-Type", "application/json")
	case KindWrongKey:
		l.method, l.wrongKey = http.MethodGet, true
	default:
		return nil, fmt.Errorf("unknown kind of case %q", c.Kind)
	}
	l.size = len(l.body)
	return l, err
}

// tally counts the answers of a case by status, and what failed without
// one.
type tally struct {
	mu       sync.Mutex
	Requests int
	Status   map[int]int
	Errors   int
	// ErrorKinds counts the errors by kind: a refused body is often seen
	// as a reset connection by a client still sending it.
	ErrorKinds map[string]int
	FirstError string
	// NoRetryAfter counts 429 answers without a Retry-After header.
	NoRetryAfter int
	elapsed      time.Duration
}

func (t *tally) add(status int, retryAfter bool, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.Requests++
	if err != nil {
		t.Errors++
		t.ErrorKinds[errorKind(err)]++
		if t.FirstError == "" {
			t.FirstError = err.Error()
		}
		return
	}
	t.Status[status]++
	if status == http.StatusTooManyRequests && !retryAfter {
		t.NoRetryAfter++
	}
}

// errorKind names a transport error briefly.
func errorKind(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, syscall.EPIPE):
		return "broken pipe"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	}
	return "other"
}

// runLoad sends the case's requests to the gateway at base and counts the
// answers.
func runLoad(ctx context.Context, base string, c AbuseCase, l *abuseLoad) *tally {
	t := &tally{Status: map[int]int{}, ErrorKinds: map[string]int{}}
	tr := &http.Transport{
		MaxIdleConns:        c.Clients,
		MaxIdleConnsPerHost: c.Clients,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: time.Minute}
	send := func() {
		status, retryAfter, err := l.send(ctx, hc, base+c.Path)
		if ctx.Err() == nil {
			t.add(status, retryAfter, err)
		}
	}
	start := time.Now()
	var wg sync.WaitGroup
	if c.Rounds > 0 {
		for range c.Rounds {
			for range c.Clients {
				wg.Go(send)
			}
			wg.Wait()
		}
	} else {
		deadline := start.Add(c.Duration)
		for range c.Clients {
			wg.Go(func() {
				for ctx.Err() == nil && time.Now().Before(deadline) {
					send()
				}
			})
		}
		wg.Wait()
	}
	t.elapsed = time.Since(start)
	return t
}

// send sends one request and reads its answer to the end.
func (l *abuseLoad) send(ctx context.Context, hc *http.Client, url string) (status int, retryAfter bool, err error) {
	var body io.Reader
	if l.body != nil {
		body = bytes.NewReader(l.body)
	}
	req, err := http.NewRequestWithContext(ctx, l.method, url, body)
	if err != nil {
		return 0, false, err
	}
	for k, v := range l.header {
		req.Header[k] = v
	}
	if l.wrongKey {
		req.Header.Set("Authorization", "Bearer clk_"+rand.Text())
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, false, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, false, err
	}
	return resp.StatusCode, resp.Header.Get("Retry-After") != "", nil
}
