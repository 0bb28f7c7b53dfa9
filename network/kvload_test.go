package network

import (
	"context"
	"crypto/x509"
	"errors"
	"github.com/certledger/certledger/network/profile"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
)

// TestKVThroughput measures raw Fabric on this network: kv put (submit and
// wait for commit) and get (evaluate) through the Fabric Gateway with many
// concurrent clients. It informs the batch timeout default and is the
// baseline the CertLedger gateway is compared with. It runs only with
// CERTLEDGER_FABRIC_LOAD=1; CERTLEDGER_BATCH_TIMEOUT picks the timeout.
func TestKVThroughput(t *testing.T) {
	if os.Getenv("CERTLEDGER_FABRIC_LOAD") != "1" {
		t.Skip("set CERTLEDGER_FABRIC_LOAD=1 to measure raw Fabric throughput")
	}
	requireFabric(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	batch, _ := time.ParseDuration(os.Getenv("CERTLEDGER_BATCH_TIMEOUT"))
	base, err := FreeBasePort(29000)
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Dir: t.TempDir(), BasePort: base, BatchTimeout: batch, Progress: testLog{t}}
	t.Cleanup(func() { Down(o.Dir, false) })
	p, err := Up(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	contract := gatewayContract(t, p, "samr", KVChaincodeName)
	recorded, err := RecordedOptions(o.Dir)
	if err != nil {
		t.Fatal(err)
	}
	clients, _ := strconv.Atoi(os.Getenv("CERTLEDGER_LOAD_CLIENTS"))
	if clients == 0 {
		clients = 64
	}
	d := 15 * time.Second
	for _, tc := range []struct {
		name string
		op   func(i int) error
	}{
		{"put", func(i int) error {
			_, err := submitRetry(contract, "put", "k"+strconv.Itoa(i), "value-"+strconv.Itoa(i))
			return err
		}},
		{"get", func(i int) error {
			_, err := contract.EvaluateTransaction("get", "k"+strconv.Itoa(i%1000))
			return err
		}},
	} {
		r := load(clients, d, tc.op)
		t.Logf("kv %s, batch timeout %s, %d clients: %.0f tx/s, p50 %s, p99 %s, %d errors (%v)",
			tc.name, recorded.BatchTimeout, clients, r.rate, r.p50, r.p99, r.errors, r.firstErr)
	}
	nodes, err := Status(ctx, o.Dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		t.Logf("%-14s peak rss %4d MB", n.Name, n.PeakRSSKB/1024)
	}
}

// submitRetry retries a submit that failed before ordering because gossip
// had not yet found the endorsing peers (FailedPrecondition).
func submitRetry(c *client.Contract, fn string, args ...string) ([]byte, error) {
	for attempt := 0; ; attempt++ {
		out, err := c.SubmitTransaction(fn, args...)
		if err == nil || status.Code(errors.Unwrap(err)) != codes.FailedPrecondition || attempt == 20 {
			return out, err
		}
		time.Sleep(250 * time.Millisecond)
	}
}

type loadResult struct {
	rate     float64
	p50, p99 time.Duration
	errors   int64
	firstErr error
}

// load runs op from n goroutines for d and reports rate and latencies.
func load(n int, d time.Duration, op func(i int) error) loadResult {
	var next, errs atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var first error
	stop := time.Now().Add(d)
	var wg sync.WaitGroup
	start := time.Now()
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for time.Now().Before(stop) {
				s := time.Now()
				if err := op(int(next.Add(1))); err != nil {
					if errs.Add(1) == 1 {
						mu.Lock()
						first = err
						mu.Unlock()
					}
					continue
				}
				mine = append(mine, time.Since(s))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(lat)
	r := loadResult{rate: float64(len(lat)) / time.Since(start).Seconds(), errors: errs.Load(), firstErr: first}
	if len(lat) > 0 {
		r.p50, r.p99 = lat[len(lat)/2], lat[len(lat)*99/100]
	}
	return r
}

// gatewayContract connects to a chaincode through the Fabric Gateway of a
// department's first peer, as the department's client identity.
func gatewayContract(t *testing.T, p *profile.Profile, dept, chaincode string) *client.Contract {
	t.Helper()
	d, ok := p.Department(dept)
	if !ok {
		t.Fatalf("no department %s", dept)
	}
	certPEM, err := os.ReadFile(d.Client.Cert)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := identity.CertificateFromPEM(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	id, err := identity.NewX509Identity(d.MSPID, cert)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := os.ReadFile(d.Client.Key)
	if err != nil {
		t.Fatal(err)
	}
	key, err := identity.PrivateKeyFromPEM(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	sign, err := identity.NewPrivateKeySign(key)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := os.ReadFile(d.Peers[0].TLSRootCert)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		t.Fatal("bad TLS root")
	}
	conn, err := grpc.NewClient(d.Peers[0].Address,
		grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(pool, d.Peers[0].ServerNameOverride)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	gw, err := client.Connect(id, client.WithSign(sign), client.WithClientConnection(conn))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gw.Close() })
	return gw.GetNetwork(p.Channel).GetContract(chaincode)
}
