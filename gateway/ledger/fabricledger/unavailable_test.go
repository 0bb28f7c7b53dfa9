package fabricledger

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	pb "github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
)

// statusOf is the gRPC status error a peer's gateway returns, as a server
// handler returns it (gatewayError wraps it as the client does).
func statusOf(t *testing.T, c codes.Code, msg string, details ...string) error {
	return errors.Unwrap(gatewayError(t, c, msg, details...))
}

// failFirst fails the first n calls with err.
func failFirst(n int, err error) func(int) error {
	return func(call int) error {
		if call <= n {
			return err
		}
		return nil
	}
}

// Reads that fail while the network settles are tried again, and answer
// ReasonLedgerUnavailable (503, retry) once the retries run out; a failure
// that waiting does not fix stays ReasonLedgerFailure (500).
func TestEvaluateFailures(t *testing.T) {
	chaincodeDown := statusOf(t, codes.Aborted, "failed to evaluate transaction, see attached details for more info",
		"error sending: rpc error: code = Unavailable desc = connection refused")
	for _, tc := range []struct {
		name      string
		evaluate  func(int) error
		reason    credential.Reason // "" for success
		minCalls  int
		exactCall int
	}{
		{"chaincode server restarting", failFirst(2, chaincodeDown), "", 3, 3},
		{"chaincode server down longer than the retries", failFirst(1<<30, chaincodeDown), credential.ReasonLedgerUnavailable, 2, 0},
		{"no endorsers known yet", failFirst(1<<30, statusOf(t, codes.FailedPrecondition, "no combination of peers")), credential.ReasonLedgerUnavailable, 2, 0},
		{"a refusal waiting cannot fix", failFirst(1<<30, statusOf(t, codes.InvalidArgument, "failed to unpack transaction proposal")), credential.ReasonLedgerFailure, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fg := &fakeGateway{evaluate: tc.evaluate}
			l, d := fakeLedger(t, fg, Options{StartupRetry: 600 * time.Millisecond})
			out, err := l.evaluate(context.Background(), l.deptPeers(d), false, "GetRecord", "x")
			if credential.ErrorReason(err) != tc.reason && !(tc.reason == "" && err == nil) {
				t.Fatalf("evaluate = %q, %v; want reason %q", out, err, tc.reason)
			}
			if tc.reason == "" && string(out) != `"ok"` {
				t.Fatalf("evaluate answered %q", out)
			}
			if n := fg.called("evaluate"); n < tc.minCalls || (tc.exactCall > 0 && n != tc.exactCall) {
				t.Fatalf("%d evaluate calls", n)
			}
		})
	}
}

// Writes: an endorsement nobody gives is unavailable, not internal; a
// transaction whose commit status does not come is handed over again as
// the same signed transaction (never endorsed again, which would make a
// second one) and then answered unavailable; a commit status query that
// fails is asked again; a read conflict is endorsed again.
func TestSubmitFailures(t *testing.T) {
	waitForever := func(ctx context.Context, _ int) (pb.TxValidationCode, error) {
		<-ctx.Done()
		return 0, ctx.Err()
	}
	for _, tc := range []struct {
		name      string
		fg        *fakeGateway
		reason    credential.Reason
		endorsed  int // exact
		submitted int // at least
		sameTx    bool
	}{
		{"no endorsing peer answers", &fakeGateway{endorse: failFirst(1<<30, statusOf(t, codes.Unavailable, "failed to endorse transaction", "connection refused"))},
			credential.ReasonLedgerUnavailable, -1, 0, true},
		{"commit status never comes", &fakeGateway{status: waitForever}, credential.ReasonLedgerUnavailable, 1, 2, true},
		{"commit status query fails, then answers", &fakeGateway{status: func(_ context.Context, n int) (pb.TxValidationCode, error) {
			if n <= 2 {
				return 0, statusOf(t, codes.Unavailable, "connection reset")
			}
			return pb.TxValidationCode_VALID, nil
		}}, "", 1, 1, true},
		{"read conflict", &fakeGateway{status: func(_ context.Context, n int) (pb.TxValidationCode, error) {
			if n == 1 {
				return pb.TxValidationCode_MVCC_READ_CONFLICT, nil
			}
			return pb.TxValidationCode_VALID, nil
		}}, "", 2, 2, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, d := fakeLedger(t, tc.fg, Options{StartupRetry: 500 * time.Millisecond, CommitTimeout: time.Second,
				ResendAfter: 300 * time.Millisecond, ConflictBackoff: time.Millisecond})
			out, err := l.submit(context.Background(), d, submitCall{fn: "Issue"})
			if credential.ErrorReason(err) != tc.reason && !(tc.reason == "" && err == nil) {
				t.Fatalf("submit = %+v, %v; want reason %q", out, err, tc.reason)
			}
			if tc.reason == "" && (string(out.result) != `"done"` || out.block != 7) {
				t.Fatalf("submit = %+v", out)
			}
			fg := tc.fg
			if tc.endorsed >= 0 && fg.called("endorse") != tc.endorsed {
				t.Fatalf("endorsed %d times, want %d", fg.called("endorse"), tc.endorsed)
			}
			fg.mu.Lock()
			defer fg.mu.Unlock()
			if len(fg.submitted) < tc.submitted {
				t.Fatalf("submitted %v, want at least %d", fg.submitted, tc.submitted)
			}
			for _, tx := range fg.submitted {
				if tc.sameTx && tx != fg.submitted[0] {
					t.Fatalf("submitted other transactions %v: a transaction was endorsed again", fg.submitted)
				}
			}
			if !tc.sameTx && fg.submitted[0] == fg.submitted[1] {
				t.Fatalf("the conflicting transaction was submitted again, not endorsed again: %v", fg.submitted)
			}
		})
	}
}
