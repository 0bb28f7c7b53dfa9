package fabricledger

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log/slog"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	gwpb "github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	pb "github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
)

// fakeGateway is a peer's Fabric Gateway service whose answers a test
// sets: each RPC calls the test's function, or succeeds when it is nil.
// It counts the calls and remembers the transaction IDs submitted.
type fakeGateway struct {
	gwpb.UnimplementedGatewayServer

	mu        sync.Mutex
	evaluate  func(n int) error
	endorse   func(n int) error
	submit    func(n int) error
	status    func(ctx context.Context, n int) (pb.TxValidationCode, error)
	calls     map[string]int
	submitted []string
}

func (f *fakeGateway) count(rpc string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[rpc]++
	return f.calls[rpc]
}

func (f *fakeGateway) called(rpc string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[rpc]
}

func (f *fakeGateway) Evaluate(ctx context.Context, _ *gwpb.EvaluateRequest) (*gwpb.EvaluateResponse, error) {
	n := f.count("evaluate")
	if f.evaluate != nil {
		if err := f.evaluate(n); err != nil {
			return nil, err
		}
	}
	return &gwpb.EvaluateResponse{Result: &pb.Response{Status: 200, Payload: []byte(`"ok"`)}}, nil
}

func (f *fakeGateway) Endorse(_ context.Context, req *gwpb.EndorseRequest) (*gwpb.EndorseResponse, error) {
	n := f.count("endorse")
	if f.endorse != nil {
		if err := f.endorse(n); err != nil {
			return nil, err
		}
	}
	return &gwpb.EndorseResponse{PreparedTransaction: preparedTransaction(req.GetChannelId(), []byte(`"done"`))}, nil
}

func (f *fakeGateway) Submit(_ context.Context, req *gwpb.SubmitRequest) (*gwpb.SubmitResponse, error) {
	n := f.count("submit")
	f.mu.Lock()
	f.submitted = append(f.submitted, req.GetTransactionId())
	f.mu.Unlock()
	if f.submit != nil {
		if err := f.submit(n); err != nil {
			return nil, err
		}
	}
	return &gwpb.SubmitResponse{}, nil
}

func (f *fakeGateway) CommitStatus(ctx context.Context, _ *gwpb.SignedCommitStatusRequest) (*gwpb.CommitStatusResponse, error) {
	n := f.count("status")
	code := pb.TxValidationCode_VALID
	if f.status != nil {
		var err error
		if code, err = f.status(ctx, n); err != nil {
			return nil, err
		}
	}
	return &gwpb.CommitStatusResponse{Result: code, BlockNumber: 7}, nil
}

// preparedTransaction is the smallest envelope the Fabric Gateway client
// accepts as an endorsed transaction: a channel header and one action
// carrying the chaincode's result.
func preparedTransaction(channel string, result []byte) *common.Envelope {
	must := func(m proto.Message) []byte {
		b, err := proto.Marshal(m)
		if err != nil {
			panic(err)
		}
		return b
	}
	action := must(&pb.ChaincodeActionPayload{Action: &pb.ChaincodeEndorsedAction{
		ProposalResponsePayload: must(&pb.ProposalResponsePayload{
			Extension: must(&pb.ChaincodeAction{Response: &pb.Response{Status: 200, Payload: result}}),
		}),
	}})
	payload := &common.Payload{
		Header: &common.Header{ChannelHeader: must(&common.ChannelHeader{ChannelId: channel})},
		Data:   must(&pb.Transaction{Actions: []*pb.TransactionAction{{Payload: action}}}),
	}
	return &common.Envelope{Payload: must(payload)}
}

// fakeLedger is a Ledger with one department whose one peer is a
// fakeGateway served on a local port.
func fakeLedger(t *testing.T, fg *fakeGateway, o Options) (*Ledger, *dept) {
	t.Helper()
	fg.calls = map[string]int{}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	gwpb.RegisterGatewayServer(srv, fg)
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)

	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	id, sign := testIdentity(t)
	gw, err := client.Connect(id, client.WithSign(sign), client.WithClientConnection(conn))
	if err != nil {
		t.Fatal(err)
	}
	net := gw.GetNetwork("certledger")
	p := &peer{name: "peer0.test", conn: conn, gw: gw, contract: net.GetContract("certledger"), qscc: net.GetContract("qscc")}
	d := &dept{id: "test", mspID: "TestMSP", peers: []*peer{p}}
	t.Cleanup(d.close)
	o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	o = o.WithDefaults()
	l := &Ledger{opts: o, log: o.Logger, blocks: newBlockCache(10), records: newRecordCache(-1),
		depts: []*dept{d}, byMSP: map[string]*dept{d.mspID: d}, gov: d}
	return l, d
}

// testIdentity is a self-signed client identity: the fake checks no
// signature.
func testIdentity(t *testing.T) (*identity.X509Identity, identity.Sign) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "client"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	id, err := identity.NewX509Identity("TestMSP", cert)
	if err != nil {
		t.Fatal(err)
	}
	sign, err := identity.NewPrivateKeySign(key)
	if err != nil {
		t.Fatal(err)
	}
	return id, sign
}
