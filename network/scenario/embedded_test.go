package scenario

import (
	"path/filepath"
	"testing"
)

// TestEmbedded runs the scenario against `certledger serve --demo` on the
// embedded ledger in a fresh data folder.
func TestEmbedded(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end scenario: skipped with -short")
	}
	srv := &Server{Bin: Binary(t), DataDir: filepath.Join(t.TempDir(), "data")}
	srv.Start(t)
	t.Cleanup(srv.Close)
	Run(t, srv)
}
