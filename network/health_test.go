package network

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestMetric(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `# HELP gossip_membership_total_peers_known Total known peers
# TYPE gossip_membership_total_peers_known gauge
gossip_membership_total_peers_known{channel="certledger"} 3
gossip_membership_total_peers_known{channel="other"} 7
gossip_membership_total_peers_known_extra{channel="certledger"} 100
`)
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	tests := []struct {
		name, label string
		want        float64
		found       bool
	}{
		{"gossip_membership_total_peers_known", `channel="certledger"`, 3, true},
		{"gossip_membership_total_peers_known", `channel="x"`, 0, false},
		{"gossip_membership_total_peers_known", ``, 10, true},
		{"missing_metric", ``, 0, false},
	}
	for _, tc := range tests {
		v, found, err := metric(context.Background(), addr, tc.name, tc.label)
		if err != nil || v != tc.want || found != tc.found {
			t.Errorf("metric(%s, %s) = %v, %v, %v; want %v, %v", tc.name, tc.label, v, found, err, tc.want, tc.found)
		}
	}
}

func TestHealthz(t *testing.T) {
	healthy := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !healthy {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"status":"Service Unavailable","failed_checks":[{"component":"docker"}]}`)
		}
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	if err := healthz(context.Background(), addr); err != nil {
		t.Fatal(err)
	}
	healthy = false
	if err := healthz(context.Background(), addr); err == nil || !strings.Contains(err.Error(), "docker") {
		t.Fatalf("err = %v, want the failed check", err)
	}
}

func TestWaitForStopsOnPermanentError(t *testing.T) {
	start := time.Now()
	err := waitFor(context.Background(), 5*time.Second, "x", func() error {
		return permanentError{errors.New("process exited")}
	})
	if err == nil || time.Since(start) > time.Second {
		t.Fatalf("err = %v after %s", err, time.Since(start))
	}
	calls := 0
	err = waitFor(context.Background(), 5*time.Second, "x", func() error {
		if calls++; calls < 3 {
			return errors.New("not yet")
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("err = %v after %d calls", err, calls)
	}
}
