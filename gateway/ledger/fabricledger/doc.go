// Package fabricledger is the "fabric" ledger backend: credential.Ledger on a
// Fabric channel through the Fabric Gateway, configured by a connection profile
// (package network/profile). Calls are signed as their department and sent to
// its peers with failover; issuances are batched and Record is answered from an
// event-fed cache (docs/architecture.md, "Ledger backends", covers failures).
package fabricledger
