// Package rawfabric calls a channel's chaincodes directly as one department,
// through its first peer's Fabric Gateway and with its client identity,
// bypassing CertLedger's gateway: the raw Fabric baseline the benchmarks
// compare with (KV, KVLoad), and the tests' independent view of the ledger.
package rawfabric
