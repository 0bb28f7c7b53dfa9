package gateway_test

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/gateway"
)

// holdUpload opens an upload to the verification page and sends its
// headers but not its body, so the gateway holds an upload slot for it
// until the connection is closed.
func holdUpload(t *testing.T, base string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "POST /v HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: %d\r\n\r\n", 1<<20)
	return conn
}

// TestUploadBodiesBounded: uploads past Config.UploadBodies are refused
// from their headers with 503 and Retry-After, unread, and a slot comes
// back both when an upload is answered and when its client hangs up
// halfway through the body.
func TestUploadBodiesBounded(t *testing.T) {
	e := newAPIEnv(t, func(c *gateway.Config, _ *ledgerWrap) { c.UploadBodies = 2 })
	base := e.listen(t)

	// Answered uploads give their slots back: more of them than there
	// are slots, one after another, are all read.
	for i := range 4 {
		resp, err := http.Post(base+"/v", "image/png", strings.NewReader("not a picture"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusServiceUnavailable {
			t.Fatalf("upload %d was refused as busy after the earlier ones were answered", i)
		}
	}

	held := []net.Conn{holdUpload(t, base), holdUpload(t, base)}
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	// The held uploads must have their headers read before the next one
	// arrives; an answered request on its own connection orders them.
	waitForSlotsTaken(t, base)

	r := announce(t, base, http.MethodPost, "/v", "image/png", "", 1<<20)
	p := expectReason(t, r, http.StatusServiceUnavailable, "unavailable")
	if r.Header.Get("Retry-After") == "" {
		t.Errorf("the busy answer has no Retry-After: %+v", p)
	}

	// A client hanging up halfway through its body gives its slot back.
	held[0].Write([]byte("partial body"))
	held[0].Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Post(base+"/v", "image/png", strings.NewReader("not a picture"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the slot of an abandoned upload never came back")
		}
	}
}

// waitForSlotsTaken waits until the gateway has read the held uploads'
// headers, shown by a full upload being refused as busy.
func waitForSlotsTaken(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Post(base+"/v", "image/png", strings.NewReader("x"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusServiceUnavailable {
			return
		}
	}
	t.Fatal("the held uploads never took the slots")
}
