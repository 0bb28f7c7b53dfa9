package fabricledger

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/certledger/certledger/network/profile"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
)

// dept is one department as this backend talks to the channel: its MSP ID
// and one connection per peer, each signing with the department's identity.
type dept struct {
	id    string
	mspID string
	peers []*peer

	batchMu sync.Mutex
	batcher *issueBatcher // started by the first issuance
	closed  bool
}

// peer is one gRPC connection to a peer and the Fabric Gateway client on it.
type peer struct {
	name      string
	conn      *grpc.ClientConn
	gw        *client.Gateway
	contract  *client.Contract // CertLedger's chaincode
	qscc      *client.Contract // the ledger query system chaincode
	downUntil atomic.Int64     // unix nanoseconds; 0 when the peer is thought up
}

// reconnectBackoff makes gRPC try a lost peer again within a second, not
// after the default two minutes, so a restarted peer is used again soon.
var reconnectBackoff = grpc.ConnectParams{
	Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: time.Second},
	MinConnectTimeout: 2 * time.Second,
}

// maxMessage is the largest answer taken from a peer. gRPC's default of
// 4 MiB is below a block holding anchored batches (about 1.5 MB each, with
// the orderer cutting blocks at up to 10 MB), which the block reads fetch.
const maxMessage = 64 << 20

// connect opens one connection per peer of d, all signing as d's client
// identity. Nothing is dialed yet: gRPC connects on first use.
func connect(p *profile.Profile, d *profile.Department, chaincode string) (*dept, error) {
	id, sign, err := d.ClientIdentity()
	if err != nil {
		return nil, fmt.Errorf("department %s: %w", d.ID, err)
	}
	out := &dept{id: d.ID, mspID: d.MSPID}
	for _, e := range d.Peers {
		conn, err := e.Dial(grpc.WithConnectParams(reconnectBackoff), grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMessage)))
		if err != nil {
			out.close()
			return nil, fmt.Errorf("peer %s: %w", e.Name, err)
		}
		gw, err := client.Connect(id, client.WithSign(sign), client.WithClientConnection(conn))
		if err != nil {
			conn.Close()
			out.close()
			return nil, fmt.Errorf("peer %s: %w", e.Name, err)
		}
		net := gw.GetNetwork(p.Channel)
		out.peers = append(out.peers, &peer{name: e.Name, conn: conn, gw: gw,
			contract: net.GetContract(chaincode), qscc: net.GetContract("qscc")})
	}
	if len(out.peers) == 0 {
		return nil, fmt.Errorf("department %s has no peers in the connection profile", d.ID)
	}
	return out, nil
}

// candidates lists d's peers to try, in profile order, those believed up
// first: a peer marked down is still tried last, since it may be back.
func (d *dept) candidates(now time.Time) []*peer {
	if len(d.peers) == 1 {
		return d.peers
	}
	up := make([]*peer, 0, len(d.peers))
	var down []*peer
	for _, p := range d.peers {
		if p.downUntil.Load() > now.UnixNano() {
			down = append(down, p)
		} else {
			up = append(up, p)
		}
	}
	return append(up, down...)
}

func (p *peer) markDown(now time.Time, d time.Duration) { p.downUntil.Store(now.Add(d).UnixNano()) }
func (p *peer) markUp()                                 { p.downUntil.Store(0) }

func (d *dept) close() {
	d.stopBatcher()
	for _, p := range d.peers {
		p.gw.Close()
		p.conn.Close()
	}
}
