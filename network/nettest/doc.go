// Package nettest is what the tests and benchmarks that run a real Fabric
// network share, as net/http/httptest is for HTTP servers: the plan of the
// ports their networks take (Use), the decision whether they run at all
// (RequireFabric), a client of a network's Fabric Gateway (Dial), the raw
// key-value load that is the baseline CertLedger's figures are compared
// with (KVLoad), and polling for what a network does in its own time
// (Eventually). Its subpackage cputime measures CPU time for benchmarks.
package nettest
