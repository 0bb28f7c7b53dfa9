package fabricledger

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/protoadapt"
)

// len counts the cached transactions.
func (c *blockCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}

func TestBlockNumber(t *testing.T) {
	for _, n := range []uint64{0, 1, 127, 128, 1 << 40} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			b := &common.Block{
				Header:   &common.BlockHeader{Number: n, PreviousHash: []byte("prev"), DataHash: []byte("data")},
				Data:     &common.BlockData{Data: [][]byte{[]byte("tx1"), []byte("tx2")}},
				Metadata: &common.BlockMetadata{Metadata: [][]byte{{1}, {2}}},
			}
			raw, err := proto.Marshal(b)
			if err != nil {
				t.Fatal(err)
			}
			got, err := blockNumber(raw)
			if err != nil || got != n {
				t.Fatalf("blockNumber = %d, %v; want %d", got, err, n)
			}
		})
	}
	if _, err := blockNumber([]byte{0x0a, 0x05, 0x08}); err == nil {
		t.Fatal("a truncated block decoded")
	}
}

func TestBlockCacheEvictsOldest(t *testing.T) {
	c := newBlockCache(3)
	for i := range 5 {
		c.put(fmt.Sprint("tx", i), uint64(i))
	}
	if c.len() != 3 {
		t.Fatalf("len = %d, want 3", c.len())
	}
	for i := range 5 {
		n, ok := c.get(fmt.Sprint("tx", i))
		if want := i >= 2; ok != want || (ok && n != uint64(i)) {
			t.Fatalf("tx%d: %d %v, want present=%v", i, n, ok, want)
		}
	}
	c.put("tx4", 40) // an update keeps the size
	if n, _ := c.get("tx4"); n != 40 || c.len() != 3 {
		t.Fatalf("update: %d, len %d", n, c.len())
	}
	c.put("", 1)
	if _, ok := c.get(""); ok {
		t.Fatal("an empty transaction ID was cached")
	}
}

// gatewayError builds an error as the Fabric Gateway returns it: a gRPC
// status with one detail per peer, wrapped as the client wraps it.
func gatewayError(t *testing.T, c codes.Code, msg string, details ...string) error {
	t.Helper()
	st := status.New(c, msg)
	var ds []protoadapt.MessageV1
	for _, d := range details {
		ds = append(ds, protoadapt.MessageV1Of(&gateway.ErrorDetail{Address: "127.0.0.1:7110", MspId: "SamrMSP", Message: d}))
	}
	if len(ds) > 0 {
		var err error
		if st, err = st.WithDetails(ds...); err != nil {
			t.Fatal(err)
		}
	}
	return fmt.Errorf("endorse: %w", st.Err())
}

// chaincodeResponse is the text a peer's gateway makes of a chaincode's
// error response (responseStatus in Fabric's internal/pkg/gateway): the
// contract API answers a transaction's error with status 500 and the
// error's text.
func chaincodeResponse(err error) string {
	return fmt.Sprintf("chaincode response %d, %s", 500, err.Error())
}

// The contract's errors cross Fabric as JSON inside the gRPC status: each
// case encodes one as the adapter does, wraps it as the Fabric Gateway
// does for an evaluation or an endorsement, and decodes it.
func TestContractErrorRoundTrip(t *testing.T) {
	taken := credential.StatusSequenceTaken("samr", 131073).(*credential.Error)
	notFound := credential.Errorf(credential.ReasonCredentialNotFound, "credential X is not on the ledger")
	notIssuer := credential.Errorf(credential.ReasonNotIssuer, "only the issuing department can change credential X")
	reused := credential.Errorf(credential.ReasonIdempotencyKeyReused, "the idempotency key was already used for a different request")
	for _, tc := range []struct {
		name string
		err  error
		want *credential.Error
	}{
		{"evaluate", gatewayError(t, codes.Unknown, "evaluate call to endorser returned error: "+chaincodeResponse(chaincode.EncodeError(notFound))),
			notFound},
		{"evaluate, every peer tried", gatewayError(t, codes.Unknown, "failed to evaluate transaction, see attached details for more info",
			chaincodeResponse(chaincode.EncodeError(notFound))), notFound},
		{"endorse detail", gatewayError(t, codes.Aborted, "failed to endorse transaction, see attached details for more info",
			chaincodeResponse(chaincode.EncodeError(notIssuer))), notIssuer},
		{"status sequence taken, with its number", gatewayError(t, codes.Aborted, "failed to endorse transaction, see attached details for more info",
			"connection refused", chaincodeResponse(chaincode.EncodeError(taken))), taken},
		{"idempotency key reused", gatewayError(t, codes.Aborted, "failed to endorse transaction, see attached details for more info",
			chaincodeResponse(chaincode.EncodeError(reused))), reused},
		{"a failure of the contract", gatewayError(t, codes.Unknown, "evaluate call to endorser returned error: "+
			chaincodeResponse(chaincode.EncodeError(errors.New("chaincode: read rec~X: boom")))),
			&credential.Error{Code: credential.CodeInternal, Reason: credential.ReasonInternal, Message: "the contract failed",
				Cause: errors.New("chaincode: read rec~X: boom")}},
		{"the contract API's own refusal", gatewayError(t, codes.Unknown, "evaluate call to endorser returned error: "+
			chaincodeResponse(errors.New("Function Nope not found in contract certledger"))), nil},
		{"peer failure, not the contract", gatewayError(t, codes.Aborted, "failed to endorse transaction, see attached details for more info",
			"error in simulation: failed to distribute private collection: invalid: peer gone"), nil},
		{"unavailable", gatewayError(t, codes.Unavailable, "connection error: invalid: certificate"), nil},
		{"not gRPC", errors.New(chaincodeResponse(chaincode.EncodeError(notFound))), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := contractError(tc.err)
			if ok != (tc.want != nil) {
				t.Fatalf("contractError = %+v, %v; want %+v", got, ok, tc.want)
			}
			if !ok {
				return
			}
			if got.Error() != tc.want.Error() {
				t.Fatalf("contractError = %q, want %q", got.Error(), tc.want.Error())
			}
			want := *tc.want
			got.Cause, want.Cause = nil, nil
			if *got != want {
				t.Fatalf("contractError = %+v, want %+v", *got, want)
			}
		})
	}
}

func TestPeerUnreachable(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		err  error
		want bool
	}{
		{"refused", context.Background(), gatewayError(t, codes.Unavailable, "connection refused"), true},
		{"silent", context.Background(), gatewayError(t, codes.DeadlineExceeded, "deadline exceeded"), true},
		{"orderers down, peer answered", context.Background(),
			gatewayError(t, codes.Unavailable, "no orderers could successfully process transaction", "connection refused"), false},
		{"our own deadline", cancelled, gatewayError(t, codes.DeadlineExceeded, "deadline exceeded"), false},
		{"contract error", context.Background(), gatewayError(t, codes.Unknown, chaincodeResponse(chaincode.EncodeError(credential.Errorf(credential.ReasonInvalidRequest, "x")))), false},
		{"not ready", context.Background(), gatewayError(t, codes.FailedPrecondition, "no combination of peers"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := peerUnreachable(tc.ctx, tc.err); got != tc.want {
				t.Fatalf("peerUnreachable = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCandidatesPutDownPeersLast(t *testing.T) {
	a, b, c := &peer{name: "a"}, &peer{name: "b"}, &peer{name: "c"}
	d := &dept{peers: []*peer{a, b, c}}
	now := time.Now()
	names := func() string {
		s := ""
		for _, p := range d.candidates(now) {
			s += p.name
		}
		return s
	}
	if got := names(); got != "abc" {
		t.Fatalf("all up: %s", got)
	}
	a.markDown(now, time.Second)
	if got := names(); got != "bca" {
		t.Fatalf("a down: %s", got)
	}
	now = now.Add(2 * time.Second) // a's time out is over: tried first again
	if got := names(); got != "abc" {
		t.Fatalf("a back: %s", got)
	}
	b.markDown(now, time.Second)
	b.markUp()
	if got := names(); got != "abc" {
		t.Fatalf("b answered again: %s", got)
	}
}

func TestInternalErrorHidesDetails(t *testing.T) {
	e := internalError("record the change", "abc123")
	if e.Code != credential.CodeInternal || e.Reason != credential.ReasonLedgerFailure || e.Message != "the ledger could not record the change (transaction abc123)" {
		t.Fatalf("%+v", e)
	}
}

var _ credential.Ledger = (*Ledger)(nil)
