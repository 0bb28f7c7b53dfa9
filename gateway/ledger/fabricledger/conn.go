package fabricledger

import (
	"crypto/x509"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/certledger/certledger/network/profile"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials"
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

// connect opens one connection per peer of d, all signing as d's client
// identity. Nothing is dialed yet: gRPC connects on first use.
func connect(p *profile.Profile, d *profile.Department, chaincode string) (*dept, error) {
	id, sign, err := clientIdentity(d)
	if err != nil {
		return nil, fmt.Errorf("department %s: %w", d.ID, err)
	}
	out := &dept{id: d.ID, mspID: d.MSPID}
	for _, e := range d.Peers {
		conn, err := dial(e)
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

func clientIdentity(d *profile.Department) (*identity.X509Identity, identity.Sign, error) {
	certPEM, err := os.ReadFile(d.Client.Cert)
	if err != nil {
		return nil, nil, err
	}
	cert, err := identity.CertificateFromPEM(certPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", d.Client.Cert, err)
	}
	mspID := d.Client.MSPID
	if mspID == "" {
		mspID = d.MSPID
	}
	id, err := identity.NewX509Identity(mspID, cert)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err := os.ReadFile(d.Client.Key)
	if err != nil {
		return nil, nil, err
	}
	key, err := identity.PrivateKeyFromPEM(keyPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", d.Client.Key, err)
	}
	sign, err := identity.NewPrivateKeySign(key)
	if err != nil {
		return nil, nil, err
	}
	return id, sign, nil
}

func dial(e profile.Endpoint) (*grpc.ClientConn, error) {
	ca, err := os.ReadFile(e.TLSRootCert)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, fmt.Errorf("%s holds no PEM certificate", e.TLSRootCert)
	}
	return grpc.NewClient(e.Address,
		grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(pool, e.ServerNameOverride)),
		grpc.WithConnectParams(reconnectBackoff))
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
