package network

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// joinOrderer joins an orderer to the channel through its admin endpoint,
// authenticating as the orderer organization's administrator. Joining an
// orderer that already has the channel is not an error.
// The admin listener may open a moment after /healthz answers, hence the
// retry.
func joinOrderer(ctx context.Context, f Fabric, l layout, n node) error {
	adminTLS := filepath.Join(l.ordererAdminDir(), "tls")
	return retry(ctx, 30*time.Second, func() error {
		out, err := runTool(ctx, nil, f.Bin("osnadmin"), "channel", "join",
			"--channelID", DefaultChannel, "--config-block", l.genesisBlock(),
			"-o", n.auxAddress(), "--ca-file", l.ordererTLSCA(),
			"--client-cert", filepath.Join(adminTLS, "client.crt"),
			"--client-key", filepath.Join(adminTLS, "client.key"))
		switch {
		case err != nil:
			return err
		case strings.Contains(out, "Status: 201"), strings.Contains(out, "already exists"):
			return nil
		default:
			return fmt.Errorf("network: %s: joining channel: %s", n.Name, strings.TrimSpace(out))
		}
	})
}

// joinPeer joins a peer to the channel from the genesis block, as its
// department's administrator; a peer already on the channel is left alone.
func joinPeer(ctx context.Context, f Fabric, l layout, n node) error {
	return retry(ctx, 30*time.Second, func() error {
		_, err := runTool(ctx, adminEnv(l, n.Dept, n), f.Bin("peer"), "channel", "join", "-b", l.genesisBlock())
		if err != nil && strings.Contains(err.Error(), "already exists") {
			return nil
		}
		return err
	})
}
