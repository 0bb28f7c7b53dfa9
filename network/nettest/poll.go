package nettest

import (
	"testing"
	"time"
)

// pollEvery is how often Eventually checks again.
const pollEvery = 100 * time.Millisecond

// Eventually runs check until it returns nil and fails t with check's last
// error when timeout has passed first: for what a network does in its own
// time, such as a peer catching up on blocks.
func Eventually(t testing.TB, timeout time.Duration, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s: %v", what, timeout, err)
		}
		time.Sleep(pollEvery)
	}
}
