package fabrictest

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certledger/certledger/network"
	"github.com/certledger/certledger/network/nettest"
)

// ack is one issuance the gateway acknowledged (201).
type ack struct {
	dept string
	got  issued
	at   time.Time
}

// acked keeps every acknowledged issuance of the package's drills, so the
// whole-network restart can check all of them.
var acked struct {
	sync.Mutex
	all []ack
}

func remember(a ack) {
	acked.Lock()
	acked.all = append(acked.all, a)
	acked.Unlock()
}

var serial atomic.Int64

// stream issues from workers goroutines, cycling through depts, until
// stop is closed, and returns the acknowledged issuances and the failures.
func stream(t *testing.T, depts []string, workers int, stop <-chan struct{}) ([]ack, []error) {
	t.Helper()
	g := gateway(t)
	var mu sync.Mutex
	var acks []ack
	var errs []error
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				dept := depts[(w+i)%len(depts)]
				n := int(serial.Add(1)) + 1000
				var out issued
				_, err := call(g.URL(), "POST", "/api/v1/credentials", g.Keys()[dept].APIKey, requestFor(dept, n), &out)
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				} else {
					a := ack{dept: dept, got: out, at: time.Now()}
					acks = append(acks, a)
					remember(a)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return acks, errs
}

// requireOnLedger reads every acknowledged record straight from the
// issuing department's peer through the Fabric Gateway (not CertLedger's),
// waiting a little for a peer that is catching up.
func requireOnLedger(t *testing.T, acks []ack) {
	t.Helper()
	contracts := map[string]func(id string) ([]byte, error){}
	for _, a := range acks {
		if _, ok := contracts[a.dept]; !ok {
			c := nettest.Connect(t, profile, a.dept).Contract()
			contracts[a.dept] = func(id string) ([]byte, error) { return c.EvaluateTransaction("GetRecord", id) }
		}
		nettest.Eventually(t, 30*time.Second, fmt.Sprintf("acknowledged %s (tx %s, %s) on the ledger", a.got.ID, a.got.Record.IssueTxID, a.dept), func() error {
			raw, err := contracts[a.dept](a.got.ID)
			if err == nil && !strings.Contains(string(raw), a.got.Record.IssueTxID) {
				return fmt.Errorf("the peer holds %.300s", raw)
			}
			return err
		})
	}
}

// raftLeader returns the orderer that leads the channel's Raft cluster,
// read from each orderer's metrics (operations port = gRPC port + 2).
func raftLeader(t *testing.T) string {
	t.Helper()
	for _, o := range profile.Orderers {
		host, port, _ := net.SplitHostPort(o.Address)
		p, _ := strconv.Atoi(port)
		resp, err := http.Get(fmt.Sprintf("http://%s/metrics", net.JoinHostPort(host, strconv.Itoa(p+2))))
		if err != nil {
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(body), `consensus_etcdraft_is_leader{channel="`+profile.Channel+`"} 1`) {
			return o.Name
		}
	}
	return ""
}

// TestOrdererCrash kills the Raft leader (one of three orderers) with
// SIGKILL in the middle of a stream of issuances from three departments:
// issuance continues on the remaining two, and every issuance the gateway
// acknowledged is on the ledger.
func TestOrdererCrash(t *testing.T) {
	need(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	victim := raftLeader(t)
	if victim == "" {
		victim = profile.Orderers[0].Name
		t.Logf("no Raft leader found in the metrics; killing %s", victim)
	}
	stop := make(chan struct{})
	var killedAt time.Time
	go func() {
		time.Sleep(3 * time.Second)
		killedAt = time.Now()
		if err := network.StopNode(netDir, victim, true); err != nil {
			t.Errorf("kill %s: %v", victim, err)
		}
		time.Sleep(10 * time.Second)
		close(stop)
	}()
	acks, errs := stream(t, []string{"samr", "edu", "hrss"}, 8, stop)
	after := 0
	for _, a := range acks {
		if a.at.After(killedAt) {
			after++
		}
	}
	t.Logf("killed %s (the Raft leader: %v): %d issuances acknowledged, %d after the kill, %d failed",
		victim, victim != profile.Orderers[0].Name || raftLeader(t) != victim, len(acks), after, len(errs))
	for i, err := range errs {
		if i < 3 {
			t.Logf("failure: %v", err)
		}
	}
	if after < 5 {
		t.Fatalf("only %d issuances acknowledged after %s was killed", after, victim)
	}
	requireOnLedger(t, acks)
	if err := network.StartNode(ctx, netDir, victim); err != nil {
		t.Fatal(err)
	}
}

// TestPeerFailover kills the human resources department's first peer:
// the gateway fails over to its second peer and hrss keeps issuing, with
// no failed request; the killed peer comes back and catches up. (While the
// dead peer is still in gossip membership, an endorsement on the second
// peer can wait 3 s for it to acknowledge the private document and fail;
// the gateway endorses again.)
func TestPeerFailover(t *testing.T) {
	need(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	hrss, _ := profile.Department("hrss")
	if len(hrss.Peers) < 2 {
		t.Fatalf("hrss has %d peers, want 2", len(hrss.Peers))
	}
	first := hrss.Peers[0].Name
	if err := network.StopNode(netDir, first, true); err != nil {
		t.Fatal(err)
	}
	const workers, each = 4, 3
	g := gateway(t)
	acks := make([]ack, workers*each)
	errs := make([]error, workers*each)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				k := w*each + i
				var out issued
				_, errs[k] = call(g.URL(), "POST", "/api/v1/credentials", g.Keys()["hrss"].APIKey, requestFor("hrss", int(serial.Add(1))+5000), &out)
				acks[k] = ack{dept: "hrss", got: out, at: time.Now()}
			}
		}()
	}
	wg.Wait()
	t.Logf("with %s killed: %d hrss issuances from %d clients in %s", first, workers*each, workers, time.Since(start).Round(10*time.Millisecond))
	for _, err := range errs {
		if err != nil {
			t.Fatalf("hrss issuance failed with %s down: %v", first, err)
		}
	}
	for _, a := range acks {
		remember(a)
	}
	for _, a := range acks[:3] {
		if v := verify(t, a.got.Document); !v.Valid || v.BlockNumber == 0 {
			t.Fatalf("verify %s with %s down: %+v", a.got.ID, first, v)
		}
	}
	if err := network.StartNode(ctx, netDir, first); err != nil {
		t.Fatal(err)
	}
	requireOnLedger(t, acks) // read through the restarted peer, once it caught up
}

// TestNetworkRestart stops every node of the network (network.Down) and
// starts it again on the same folder, while the gateway keeps running:
// every credential acknowledged so far is found with the same transaction
// and block (valid, or suspended for the one a test suspended), and the gateway issues again once the network is back.
func TestNetworkRestart(t *testing.T) {
	need(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	before := issue(t, "edu", 4)
	start := time.Now()
	if err := network.Down(netDir, false); err != nil {
		t.Fatal(err)
	}
	t.Logf("network down in %s", time.Since(start).Round(100*time.Millisecond))
	start = time.Now()
	if _, err := network.Up(ctx, network.Options{Dir: netDir}); err != nil {
		t.Fatal(err)
	}
	t.Logf("network up again in %s", time.Since(start).Round(100*time.Millisecond))
	start = time.Now()
	after := issue(t, "samr", 5)
	t.Logf("first issuance after the restart took %s", time.Since(start).Round(10*time.Millisecond))

	start = time.Now()
	acked.Lock()
	all := append([]ack{{dept: "edu", got: before}, {dept: "samr", got: after}}, acked.all...)
	acked.Unlock()
	for _, a := range all {
		v := verify(t, a.got.Document)
		if (v.Status != "valid" && v.Status != "suspended") || v.TxID != a.got.Record.IssueTxID || v.BlockNumber != a.got.Record.BlockNumber {
			t.Fatalf("after the restart %s verifies as %+v; issued in tx %s block %d",
				a.got.ID, v, a.got.Record.IssueTxID, a.got.Record.BlockNumber)
		}
	}
	t.Logf("%d acknowledged credentials verified after the restart in %s", len(all), time.Since(start).Round(10*time.Millisecond))
}
