package fabricledger

import (
	"context"
	"errors"
	"strings"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// chaincodeMarker starts the Fabric Gateway's text for an error the
// chaincode itself returned ("chaincode response 500, <message>", built by
// the peer's gateway). Fabric passes the chaincode's answer on only as this
// text, so finding the marker is unavoidable; what follows it is the
// contract's JSON (chaincode.EncodeError), and nothing else of a transport
// error reaches a client.
const chaincodeMarker = "chaincode response "

// contractError returns the contract's *credential.Error carried by a
// Fabric Gateway error, looking at the status message and at every
// endorser's detail.
func contractError(err error) (*credential.Error, bool) {
	st, ok := grpcStatus(err)
	if !ok {
		return nil, false
	}
	texts := []string{st.Message()}
	for _, d := range st.Details() {
		if ed, ok := d.(*gateway.ErrorDetail); ok {
			texts = append(texts, ed.GetMessage())
		}
	}
	for _, t := range texts {
		_, rest, found := strings.Cut(t, chaincodeMarker)
		if !found {
			continue
		}
		if _, answer, found := strings.Cut(rest, ", "); found {
			if e, ok := chaincode.DecodeError(answer); ok {
				return e, true
			}
		}
	}
	return nil, false
}

// grpcStatus finds the gRPC status in err's chain: the client's typed
// errors (EndorseError, ...) carry it, plain evaluate errors are one.
func grpcStatus(err error) (*status.Status, bool) {
	var se interface{ GRPCStatus() *status.Status }
	if errors.As(err, &se) {
		return se.GRPCStatus(), true
	}
	return nil, false
}

// code returns err's gRPC code, or codes.Unknown.
func code(err error) codes.Code {
	if st, ok := grpcStatus(err); ok {
		return st.Code()
	}
	return codes.Unknown
}

// peerUnreachable reports whether err means the peer we called did not
// answer (refused, reset, or silent until our deadline): another peer of the
// same department may.
func peerUnreachable(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	st, ok := grpcStatus(err)
	if !ok {
		return false
	}
	switch st.Code() {
	case codes.Unavailable, codes.DeadlineExceeded:
		// With per-node details, the peer answered and reports that the
		// orderers or other peers failed it: that is no reason to leave it.
		return len(st.Details()) == 0
	}
	return false
}

// transient reports failures that pass when the network settles: no
// endorsers found yet, a peer, orderer or chaincode not answering, or a
// peer's own failure to run the chaincode (Aborted: the Fabric Gateway's
// code for a peer-made 500, such as a chaincode server that is down; the
// chaincode's answers are Unknown).
func transient(err error) bool {
	switch code(err) {
	case codes.FailedPrecondition, codes.Unavailable, codes.DeadlineExceeded, codes.Aborted:
		return true
	}
	return false
}

// internalError is what a client sees of a failure that is not the
// contract's: the details go to the log with the transaction ID.
func internalError(what, txID string) *credential.Error {
	if txID != "" {
		return credential.Errorf(credential.ReasonLedgerFailure, "the ledger could not %s (transaction %s)", what, txID)
	}
	return credential.Errorf(credential.ReasonLedgerFailure, "the ledger could not %s", what)
}

// unavailableError is what a client sees when the network did not take or
// confirm a call in time: a 503 it may retry (an issuance with the same
// idempotency key is never recorded twice). The details go to the log.
func unavailableError(what, txID string) *credential.Error {
	if txID != "" {
		return credential.Errorf(credential.ReasonLedgerUnavailable, "the ledger could not %s in time (transaction %s); try again", what, txID)
	}
	return credential.Errorf(credential.ReasonLedgerUnavailable, "the ledger could not %s in time; try again", what)
}

// describe renders err with the per-node details of its gRPC status, for
// the log only.
func describe(err error) string {
	if err == nil {
		return ""
	}
	st, ok := grpcStatus(err)
	if !ok {
		return err.Error()
	}
	var b strings.Builder
	b.WriteString(st.Code().String() + ": " + st.Message())
	for _, d := range st.Details() {
		if ed, ok := d.(*gateway.ErrorDetail); ok {
			b.WriteString("; " + ed.GetAddress() + " (" + ed.GetMspId() + "): " + ed.GetMessage())
		}
	}
	return b.String()
}
