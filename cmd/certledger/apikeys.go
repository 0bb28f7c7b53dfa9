package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/certledger/certledger/gateway/apiclient"
)

func init() {
	commands["api-keys"] = command{run: runAPIKeys, summary: "list, create or revoke a department's API keys through a gateway"}
}

const apiKeysUsage = "usage: certledger api-keys list|create|revoke [flags] (revoke takes the key's id: ak_…)"

// apiKeysOptions is the configuration of `certledger api-keys`.
type apiKeysOptions struct {
	Gateway, Key, Dept string
	Label, Expires     string
	JSON               bool
}

func runAPIKeys(args []string) error {
	if len(args) == 0 {
		return usageError{errors.New(apiKeysUsage)}
	}
	sub := args[0]
	if sub != "list" && sub != "create" && sub != "revoke" {
		return usageError{fmt.Errorf("unknown subcommand %q; %s", sub, apiKeysUsage)}
	}
	fs := flag.NewFlagSet("api-keys "+sub, flag.ContinueOnError)
	var o apiKeysOptions
	fs.StringVar(&o.Gateway, "gateway", os.Getenv("CERTLEDGER_GATEWAY"), "the gateway's URL (env CERTLEDGER_GATEWAY)")
	fs.StringVar(&o.Key, "key", os.Getenv("CERTLEDGER_API_KEY"), "API key to act with: the department's own or governance's (env CERTLEDGER_API_KEY, which keeps it out of the process list)")
	fs.StringVar(&o.Dept, "dept", "", "department whose keys these are (default: the one --key belongs to)")
	if sub == "create" {
		fs.StringVar(&o.Label, "label", "", "what the key is for; public, so name a use, not a person")
		fs.StringVar(&o.Expires, "expires", "", "when the key stops working: an RFC 3339 time, or a duration from now such as 720h (default: never)")
	}
	if sub == "list" {
		fs.BoolVar(&o.JSON, "json", false, "print the keys as JSON instead of a table")
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	want := 0
	if sub == "revoke" {
		want = 1
	}
	switch {
	case fs.NArg() != want && sub == "revoke":
		return usageError{errors.New("usage: certledger api-keys revoke [flags] ak_…")}
	case fs.NArg() != want:
		return usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	case o.Gateway == "":
		return usageError{errors.New("give the gateway with --gateway URL or CERTLEDGER_GATEWAY")}
	case o.Key == "":
		return usageError{errors.New("give an API key with CERTLEDGER_API_KEY or --key")}
	}
	var expires time.Time
	if o.Expires != "" {
		var err error
		if expires, err = parseExpiry(o.Expires, time.Now()); err != nil {
			return usageError{err}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := &apiclient.Client{BaseURL: o.Gateway, APIKey: o.Key}
	dept := o.Dept
	if dept == "" {
		d, err := c.Department(ctx)
		if err != nil {
			return err
		}
		dept = d
	}
	switch sub {
	case "list":
		keys, err := c.ListAPIKeys(ctx, dept)
		if err != nil {
			return err
		}
		if o.JSON {
			enc := json.NewEncoder(os.Stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(keys)
		}
		return apiclient.WriteTable(os.Stdout, keys)
	case "create":
		k, err := c.CreateAPIKey(ctx, dept, apiclient.NewKey{Label: o.Label, ExpiresAt: expires})
		if err != nil {
			return err
		}
		// The key alone on standard output, for KEY=$(certledger api-keys create ...).
		fmt.Println(k.Secret)
		fmt.Fprintf(os.Stderr, "created %s (%s) for %s; this is the only time the key is shown\n", k.Key.ID, k.Key.Prefix, k.Key.Department)
		return nil
	default:
		k, err := c.RevokeAPIKey(ctx, dept, fs.Arg(0))
		if err != nil {
			return err
		}
		fmt.Printf("revoked %s of %s at %s by %s\n", k.ID, k.Department, k.RevokedAt.UTC().Format(time.RFC3339), k.RevokedBy)
		return nil
	}
}

// parseExpiry reads --expires: an RFC 3339 time or a duration after now.
func parseExpiry(v string, now time.Time) (time.Time, error) {
	v = strings.TrimSpace(v)
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return now.Add(d), nil
	}
	return time.Time{}, fmt.Errorf("--expires %q is neither an RFC 3339 time (2027-01-02T15:04:05Z) nor a positive duration (720h)", v)
}
