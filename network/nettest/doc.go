// Package nettest is what the tests that run a real Fabric network share, as
// net/http/httptest is for HTTP servers: whether they run at all
// (RequireFabric), a base port from the port plan (BasePort), raw Fabric
// clients closed with the test (Connect, ConnectKV), and polling for what a
// network does in its own time (Eventually). Its subpackage cputime
// measures CPU time for benchmarks.
package nettest
