package network

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"syscall"
	"testing"
)

func TestTransient(t *testing.T) {
	exit := func(t *testing.T) error {
		t.Helper()
		err := exec.Command("false").Run()
		if err == nil {
			t.Skip("false succeeded")
		}
		return err
	}(t)
	// What net/http returns when the admin endpoint is not listening yet.
	refused := &url.Error{Op: "Post", URL: "https://127.0.0.1:7053/participation/v1/channels",
		Err: &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}}
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"a command that printed a transient failure", newToolError("peer", []string{"channel", "fetch"}, exit,
			"Error: can't read the block: &{SERVICE_UNAVAILABLE}\n"), true},
		{"wrapped", fmt.Errorf("network: joining: %w", newToolError("peer", nil, exit, "no Raft leader")), true},
		{"a command that failed for good", newToolError("peer", nil, exit, "Error: proposal failed: access denied"), false},
		{"a node not listening yet", refused, true},
		{"the same words from elsewhere", errors.New("connection refused: no Raft leader"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := transient(tc.err); got != tc.want {
				t.Fatalf("transient(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}
