package network_test

import (
	"context"
	"fmt"
	"github.com/certledger/certledger/network/portplan"
	"github.com/certledger/certledger/network/rawfabric"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certledger/certledger/network"
	"github.com/certledger/certledger/network/nettest"
)

// BenchmarkKVThroughput measures raw Fabric on a network of its own: kv
// put (submit and wait for the commit) and get (evaluate) through the
// Fabric Gateway from many concurrent clients. It informs the batch
// timeout default and is the baseline the CertLedger gateway is compared
// with (certledger bench-fabric runs the same load). CERTLEDGER_BATCH_TIMEOUT
// picks the network's batch timeout, CERTLEDGER_LOAD_CLIENTS the clients
// (default 64):
//
//	CERTLEDGER_FABRIC=1 go test ./network -run '^$' -bench KVThroughput -benchtime 15s
func BenchmarkKVThroughput(b *testing.B) {
	nettest.RequireFabric(b)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	batch, _ := time.ParseDuration(os.Getenv("CERTLEDGER_BATCH_TIMEOUT"))
	clients, _ := strconv.Atoi(os.Getenv("CERTLEDGER_LOAD_CLIENTS"))
	if clients <= 0 {
		clients = 64
	}
	o := network.Options{Dir: b.TempDir(), BasePort: nettest.BasePort(b, portplan.KVBenchmark), BatchTimeout: batch, Progress: nettest.Log(b)}
	b.Cleanup(func() { network.Down(o.Dir, false) })
	p, err := network.Up(ctx, o)
	if err != nil {
		b.Fatal(err)
	}
	kv := nettest.ConnectKV(b, p, "samr")
	load := kv.Load(len("value-") + 4)
	if err := rawfabric.RetryNotReady(ctx, func() error { return load.Put(ctx, 0) }); err != nil {
		b.Fatal(err)
	}
	// The names carry the settings: a parent benchmark's log is not shown.
	recorded, err := network.RecordedOptions(o.Dir)
	if err != nil {
		b.Fatal(err)
	}
	settings := fmt.Sprintf("batch=%s/clients=%d", recorded.BatchTimeout, clients)
	b.Run("put/"+settings, func(b *testing.B) { kvLoad(b, clients, load.Put) })
	b.Run("get/"+settings, func(b *testing.B) {
		kvLoad(b, clients, func(ctx context.Context, i int) error {
			if v, err := load.Get(ctx, i); err != nil || v != load.Value() {
				return fmt.Errorf("get of a key written: %q, %v", v, err)
			}
			return nil
		})
	})
	nodes, err := network.Status(ctx, o.Dir)
	if err != nil {
		b.Fatal(err)
	}
	var peaks []string
	for _, n := range nodes {
		peaks = append(peaks, fmt.Sprintf("%s %d", n.Name, n.PeakRSSKB/1024))
	}
	fmt.Printf("peak RSS (MB): %s\n", strings.Join(peaks, ", "))
}

// kvLoad runs b.N operations from the given number of concurrent clients
// and reports their rate, latencies and errors.
func kvLoad(b *testing.B, clients int, op func(ctx context.Context, i int) error) {
	var next, errs atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var first error
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((clients + procs - 1) / procs)
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			start := time.Now()
			if err := op(context.Background(), int(next.Add(1))); err != nil {
				if errs.Add(1) == 1 {
					mu.Lock()
					first = err
					mu.Unlock()
				}
				continue
			}
			mine = append(mine, time.Since(start))
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	slices.Sort(lat)
	b.ReportMetric(float64(len(lat))/b.Elapsed().Seconds(), "tx/s")
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	}
	b.ReportMetric(float64(errs.Load()), "errors")
	if first != nil {
		b.Logf("first error: %v", first)
	}
}
