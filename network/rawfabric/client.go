package rawfabric

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/certledger/certledger/network/profile"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Client is a Fabric Gateway client of one department's first peer, as
// the department's client identity: the peer and identity CertLedger's
// gateway uses for it, or a department that bypasses the gateway and calls
// the chaincode itself.
type Client struct {
	conn    *grpc.ClientConn
	gw      *client.Gateway
	channel *client.Network
	profile *profile.Profile
}

// Dial connects to dept's first peer. gRPC dials on first use.
func Dial(p *profile.Profile, dept string) (*Client, error) { return DialPeer(p, dept, 0) }

// DialPeer connects to dept's peer number i, in profile order, as the
// department's client identity.
func DialPeer(p *profile.Profile, dept string, i int) (*Client, error) {
	d, ok := p.Department(dept)
	if !ok {
		return nil, fmt.Errorf("no department %s in the profile", dept)
	}
	if i < 0 || i >= len(d.Peers) {
		return nil, fmt.Errorf("department %s has no peer %d", dept, i)
	}
	id, sign, err := d.ClientIdentity()
	if err != nil {
		return nil, err
	}
	conn, err := d.Peers[i].Dial()
	if err != nil {
		return nil, err
	}
	gw, err := client.Connect(id, client.WithSign(sign), client.WithClientConnection(conn))
	if err != nil {
		conn.Close()
		return nil, err
	}
	return &Client{conn: conn, gw: gw, channel: gw.GetNetwork(p.Channel), profile: p}, nil
}

// Contract is CertLedger's contract on the channel.
func (c *Client) Contract() *client.Contract { return c.channel.GetContract(c.profile.Chaincode) }

// Close closes the connection.
func (c *Client) Close() {
	c.gw.Close()
	c.conn.Close()
}

// notReadyFor is how long RetryNotReady waits for a network to be ready.
const notReadyFor = 30 * time.Second

// RetryNotReady runs fn until it does not fail with FailedPrecondition, as
// a submit does until gossip has found every organization after a start,
// or until a while has passed.
func RetryNotReady(ctx context.Context, fn func() error) error {
	deadline := time.Now().Add(notReadyFor)
	for {
		err := fn()
		if err == nil || status.Code(errors.Unwrap(err)) != codes.FailedPrecondition || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// Network is the channel as this client's identity, for what the contract
// does not answer: blocks, system chaincodes.
func (c *Client) Network() *client.Network { return c.channel }
