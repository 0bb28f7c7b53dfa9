// Package fabricledger is the "fabric" ledger backend: credential.Ledger on a
// Fabric channel through the Fabric Gateway, configured by a connection profile
// (package network/profile). Calls are signed as their department and sent to
// its peers with failover; issuances are batched and Record is answered from an
// event-fed cache (docs/architecture.md, "Ledger backends", covers failures).
//
// Opening the network that `certledger network up` made (network/fabrictest
// runs this against a real network; an Example could not run without one):
//
//	p, err := profile.Load("./certledger-network")
//	if err != nil {
//		return err
//	}
//	ledger, err := fabricledger.Open(ctx, p, fabricledger.Options{})
//	if err != nil {
//		return err
//	}
//	defer ledger.Close()
//	rec, err := ledger.Record(ctx, id) // rec.IssueTxID, rec.BlockNumber name its issuance
//
// The contract's errors arrive as JSON inside the Fabric Gateway's gRPC status
// (chaincode.EncodeError) and are decoded back into credential.Error.
package fabricledger
