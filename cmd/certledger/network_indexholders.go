package main

import (
	"context"
	"fmt"
	"time"

	"github.com/certledger/certledger/gateway/ledger/fabricledger"
	"github.com/certledger/certledger/network/profile"
)

// networkIndexHolders lists in the contract's holder and department indexes the credentials
// of a channel that were issued before the contract kept one, so holders
// find them (docs/decisions/0012). It runs IndexHolders transactions as the
// governance department until every record has been scanned; run again, it
// finds nothing to list and orders nothing.
func networkIndexHolders(ctx context.Context, args []string) error {
	fs, dir := newNetworkFlags("index-holders")
	if err := parseNetworkFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError{fmt.Errorf("index-holders takes flags only, not %q", fs.Arg(0))}
	}
	p, err := profile.Load(*dir)
	if err != nil {
		return fmt.Errorf("read the connection profile of %s: %w", *dir, err)
	}
	gov := ""
	for _, d := range p.Departments {
		if d.Governance {
			gov = d.MSPID
			break
		}
	}
	if gov == "" {
		return fmt.Errorf("the connection profile of %s holds no governance department's identity: index-holders runs as governance", *dir)
	}
	l, err := fabricledger.Open(ctx, p, fabricledger.Options{RecordCacheSize: -1})
	if err != nil {
		return err
	}
	defer l.Close()
	start := time.Now()
	after, scanned, indexed := "", 0, 0
	for {
		pr, err := l.IndexHolders(ctx, gov, after)
		if err != nil {
			return fmt.Errorf("after %d records (resume is automatic: run it again): %w", scanned, err)
		}
		scanned, indexed = scanned+pr.Scanned, indexed+pr.Indexed
		if pr.Next == "" {
			break
		}
		after = pr.Next
	}
	fmt.Printf("holder index and register: %d records scanned, %d entries written, in %s\n", scanned, indexed, time.Since(start).Round(100*time.Millisecond))
	return nil
}
