package network

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// joinOrderer joins an orderer to the channel through its channel
// participation API (what osnadmin channel join calls), authenticating as
// the orderer organization's administrator. Joining an orderer that already
// has the channel is not an error. The admin listener may open a moment
// after /healthz answers, hence the retry.
func joinOrderer(ctx context.Context, l layout, n node) error {
	client, err := ordererAdminClient(l)
	if err != nil {
		return err
	}
	block, err := os.ReadFile(l.genesisBlock())
	if err != nil {
		return err
	}
	return retry(ctx, 30*time.Second, func() error {
		status, body, err := postConfigBlock(ctx, client, "https://"+n.auxAddress()+"/participation/v1/channels", block)
		switch {
		case err != nil:
			return err
		// 405: the channel exists, so only GET and DELETE are allowed on it.
		case status == http.StatusCreated, status == http.StatusMethodNotAllowed:
			return nil
		default:
			return fmt.Errorf("network: %s: joining channel: %d %s", n.Name, status, strings.TrimSpace(string(body)))
		}
	})
}

// ordererAdminClient is an HTTPS client with the orderer administrator's
// TLS client certificate, trusting the orderers' TLS CA.
func ordererAdminClient(l layout) (*http.Client, error) {
	adminTLS := filepath.Join(l.ordererAdminDir(), "tls")
	cert, err := tls.LoadX509KeyPair(filepath.Join(adminTLS, "client.crt"), filepath.Join(adminTLS, "client.key"))
	if err != nil {
		return nil, err
	}
	ca, err := os.ReadFile(l.ordererTLSCA())
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(ca) {
		return nil, fmt.Errorf("network: no certificate in %s", l.ordererTLSCA())
	}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
	}}, nil
}

// postConfigBlock sends a channel's genesis block as the participation
// API's join request: a multipart form with the block as "config-block".
func postConfigBlock(ctx context.Context, client *http.Client, url string, block []byte) (int, []byte, error) {
	var form bytes.Buffer
	w := multipart.NewWriter(&form)
	part, err := w.CreateFormFile("config-block", "config.block")
	if err != nil {
		return 0, nil, err
	}
	if _, err := part.Write(block); err != nil {
		return 0, nil, err
	}
	if err := w.Close(); err != nil {
		return 0, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, &form)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, body, err
}

// joinPeer joins a peer to the channel from the genesis block, as its
// department's administrator; a peer already on the channel is left alone.
func joinPeer(ctx context.Context, f Fabric, l layout, n node) error {
	return retry(ctx, 30*time.Second, func() error {
		_, err := runTool(ctx, adminEnv(l, n.Dept, n), f.Bin("peer"), "channel", "join", "-b", l.genesisBlock())
		if err != nil && onChannel(ctx, f, l, n) {
			return nil // joined before, or by an attempt whose reply was lost
		}
		return err
	})
}

// onChannel reports whether the peer has the channel: peer channel getinfo
// succeeds only then.
func onChannel(ctx context.Context, f Fabric, l layout, n node) bool {
	_, err := runTool(ctx, adminEnv(l, n.Dept, n), f.Bin("peer"), "channel", "getinfo", "-c", DefaultChannel)
	return err == nil
}
