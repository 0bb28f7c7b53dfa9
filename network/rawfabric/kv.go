package rawfabric

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/certledger/certledger/network"
	"github.com/certledger/certledger/network/profile"
	"github.com/hyperledger/fabric-gateway/pkg/client"
)

// KV is the raw key-value chaincode (cmd/kv-chaincode) through one
// department's peer: raw Fabric, the baseline of CertLedger's figures.
type KV struct {
	*Client
	contract *client.Contract
}

// DialKV connects to the kv chaincode through dept's first peer.
func DialKV(p *profile.Profile, dept string) (*KV, error) {
	c, err := Dial(p, dept)
	if err != nil {
		return nil, err
	}
	return &KV{Client: c, contract: c.channel.GetContract(network.KVChaincodeName)}, nil
}

// Put writes key and waits for its commit.
func (k *KV) Put(ctx context.Context, key, value string) error {
	_, err := k.contract.SubmitWithContext(ctx, "put", client.WithArguments(key, value))
	return err
}

// Get reads key from the peer's ledger ("" when it was never written).
func (k *KV) Get(ctx context.Context, key string) (string, error) {
	v, err := k.contract.EvaluateWithContext(ctx, "get", client.WithArguments(key))
	return string(v), err
}

// KVLoad is one run of the raw key-value load: numbered puts of values of
// one size under keys of their own, and gets of the keys it wrote.
type KVLoad struct {
	kv    *KV
	run   string
	value string
	keys  atomic.Int64 // one past the highest key a put has written
}

// Load starts a run whose puts write valueSize bytes each.
func (k *KV) Load(valueSize int) *KVLoad {
	return &KVLoad{kv: k, run: strconv.FormatInt(time.Now().UnixNano(), 36), value: strings.Repeat("v", valueSize)}
}

func (l *KVLoad) key(i int) string { return "bench-" + l.run + "-" + strconv.Itoa(i) }

// Value is what every put of the run writes.
func (l *KVLoad) Value() string { return l.value }

// Put writes key i of the run and waits for its commit.
func (l *KVLoad) Put(ctx context.Context, i int) error {
	if err := l.kv.Put(ctx, l.key(i), l.value); err != nil {
		return err
	}
	// keys only grows: a lower key whose put ends late leaves it alone.
	for {
		n := l.keys.Load()
		if n > int64(i) || l.keys.CompareAndSwap(n, int64(i)+1) {
			return nil
		}
	}
}

// Get reads key i, modulo the keys the run has written, and returns what
// the peer holds there.
func (l *KVLoad) Get(ctx context.Context, i int) (string, error) {
	return l.kv.Get(ctx, l.key(i%int(max(l.keys.Load(), 1))))
}
