package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/gateway"
	"github.com/certledger/certledger/gateway/keystore"
	"github.com/certledger/certledger/gateway/ledger/embedded"
)

func init() {
	commands["trust-list"] = command{run: runTrustList, summary: "export the governance-signed trust list offline verifiers cache"}
}

// trustListOptions is the configuration of `certledger trust-list export`.
type trustListOptions struct {
	Gateway  string
	Data     string
	KEK      kekSource
	Out      string
	Validity time.Duration
}

func runTrustList(args []string) error {
	if len(args) == 0 || args[0] != "export" {
		return usageError{errors.New("usage: certledger trust-list export [--gateway URL | --data DIR] [-o FILE]")}
	}
	fs := flag.NewFlagSet("trust-list export", flag.ContinueOnError)
	var o trustListOptions
	fs.StringVar(&o.Gateway, "gateway", os.Getenv("CERTLEDGER_GATEWAY"), "fetch the list from this gateway's /api/v1/trust-list (env CERTLEDGER_GATEWAY)")
	fs.StringVar(&o.Data, "data", "", "sign the list here from the embedded ledger and keystore in this data folder (the gateway must be stopped: the ledger file is locked while it runs)")
	addKEKFlag(fs, &o.KEK)
	fs.StringVar(&o.Out, "o", "-", "output file (- for standard output)")
	fs.DurationVar(&o.Validity, "validity", gateway.DefaultTrustListTTL, "with --data: how long the list stays current")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	case (o.Gateway == "") == (o.Data == ""):
		return usageError{errors.New("give exactly one of --gateway URL or --data DIR")}
	case o.Validity <= 0:
		return usageError{errors.New("--validity must be positive")}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var (
		list []byte
		err  error
	)
	if o.Gateway != "" {
		list, err = fetchTrustList(ctx, o.Gateway)
	} else {
		list, err = signLocalTrustList(ctx, o.Data, o.KEK, o.Validity)
	}
	if err != nil {
		return err
	}
	// Read back what is about to be written, anchored on its own
	// governance keys: the export then at least is a well-formed list
	// whose signature matches a key it lists.
	tl, err := selfAnchored(list)
	if err != nil {
		return fmt.Errorf("the exported list does not verify: %w", err)
	}
	if o.Out == "-" {
		_, err = os.Stdout.Write(append(list, '\n'))
	} else {
		err = keystore.WriteFileAtomic(o.Out, append(list, '\n'), 0o644)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "trust list #%d signed by %s at %s, current until %s: %d departments, %d credential types\n",
		tl.Sequence, tl.Issuer, tl.IssuedAt.Format(time.RFC3339), tl.NextUpdate.Format(time.RFC3339), len(tl.Registry.Departments), len(tl.Registry.Types))
	return nil
}

// selfAnchored parses a list with the governance keys it carries itself
// as anchors (trust on first use).
func selfAnchored(list []byte) (*credential.TrustList, error) {
	parts := strings.Split(strings.TrimSpace(string(list)), ".")
	if len(parts) != 3 {
		return nil, errors.New("not a JWS in compact serialization")
	}
	var unverified credential.TrustList
	if err := decodeB64JSON(parts[1], &unverified); err != nil {
		return nil, fmt.Errorf("trust list content: %w", err)
	}
	return credential.ParseTrustList(list, unverified.GovernanceKeys())
}

func fetchTrustList(ctx context.Context, base string) ([]byte, error) {
	u := strings.TrimRight(base, "/") + "/api/v1/trust-list"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, usageError{fmt.Errorf("--gateway: %w", err)}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, credential.MaxTrustListSize+1))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", u, problemText(resp.StatusCode, body))
	}
	return body, nil
}

func signLocalTrustList(ctx context.Context, dir string, src kekSource, validity time.Duration) ([]byte, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, usageError{fmt.Errorf("--data: %w", err)}
	}
	kek, _, err := dataKEK(src, dir, false)
	if err != nil {
		return nil, err
	}
	ks, err := keystore.Open(dir, kek)
	if err != nil {
		return nil, err
	}
	l, err := embedded.Open(dir, kek, embedded.WithLockTimeout(2*time.Second))
	if err != nil {
		return nil, fmt.Errorf("open the embedded ledger in %s (is a gateway running on it?): %w", dir, err)
	}
	defer l.Close()
	reg, err := l.Registry(ctx)
	if err != nil {
		return nil, err
	}
	return gateway.SignTrustList(reg, ks, time.Now(), validity)
}
