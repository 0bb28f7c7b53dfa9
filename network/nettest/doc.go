// Package nettest is what the tests and benchmarks that run a real Fabric
// network share, as net/http/httptest is for HTTP servers: the plan of the
// ports their networks take, the decision whether they run at all, a
// client of a network's Fabric Gateway, and the raw key-value load that is
// the baseline CertLedger's figures are compared with.
package nettest
