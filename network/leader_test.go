package network

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
)

// TestLeaderOf asks three orderers' metrics which one leads: a follower,
// one that does not answer, and the leader.
func TestLeaderOf(t *testing.T) {
	gauge := func(v int) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "# TYPE consensus_etcdraft_is_leader gauge\nconsensus_etcdraft_is_leader{channel=\"other\"} 1\nconsensus_etcdraft_is_leader{channel=%q} %d\n", DefaultChannel, v)
		}))
	}
	follower, leader := gauge(0), gauge(1)
	defer follower.Close()
	defer leader.Close()
	port := func(s *httptest.Server) int {
		_, p, _ := net.SplitHostPort(s.Listener.Addr().String())
		n, _ := strconv.Atoi(p)
		return n
	}
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadPort := closed.Addr().(*net.TCPAddr).Port
	closed.Close()
	nodes := []node{{Name: "orderer0", OpsPort: port(follower)}, {Name: "orderer1", OpsPort: deadPort}, {Name: "orderer2", OpsPort: port(leader)}}
	if got, err := leaderOf(context.Background(), nodes); err != nil || got != "orderer2" {
		t.Fatalf("leaderOf = %q, %v; want orderer2", got, err)
	}
	if _, err := leaderOf(context.Background(), nodes[:2]); !errors.Is(err, ErrNoLeader) {
		t.Fatalf("without the leader: %v", err)
	}
}
