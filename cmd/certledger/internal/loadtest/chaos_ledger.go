package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/network/profile"
	"github.com/certledger/certledger/network/rawfabric"
	fabric "github.com/hyperledger/fabric-gateway/pkg/client"
)

// ledgerCheck is what the ledger holds of the run, read straight from the
// issuing department's peers through the Fabric Gateway client.
type ledgerCheck struct {
	records      int      // the department's credentials (its status lists)
	ours         int      // of them, this run's
	found        int      // acknowledged and on the ledger with the acknowledged document
	lost         []string // acknowledged, but missing or another document on the ledger
	duplicates   int      // records beyond the first of one logical issuance
	dupIssuances int      // logical issuances with more than one record
	unacked      int      // this run's records that no client saw acknowledged
	read         time.Duration
}

// ledgerDoc is what the check keeps of one credential on the ledger.
type ledgerDoc struct {
	id, digest string
	n          int // logical issuance; 0 when not this run's
}

// checkLedger lists every credential of dept from its status lists, reads
// each one's document, and counts them by logical issuance (the holder
// name holds its number): every acknowledged credential must be there with
// the acknowledged digest, and no logical issuance may have two.
func checkLedger(ctx context.Context, p *profile.Profile, dept, run string, acks []ack) (ledgerCheck, error) {
	start := time.Now()
	var out ledgerCheck
	pd, ok := p.Department(dept)
	if !ok {
		return out, fmt.Errorf("no department %s in the profile", dept)
	}
	var contracts []*fabric.Contract
	for i := range pd.Peers {
		c, err := rawfabric.DialPeer(p, dept, i)
		if err != nil {
			return out, err
		}
		defer c.Close()
		contracts = append(contracts, c.Contract())
	}
	ev := func(fn string, args ...string) ([]byte, error) { return evaluateAny(ctx, contracts, fn, args...) }
	raw, err := ev(chaincode.FnGetRegistry)
	if err != nil {
		return out, err
	}
	var reg credential.Registry
	if err := json.Unmarshal(raw, &reg); err != nil {
		return out, err
	}
	deptID := ""
	for _, d := range reg.Departments {
		if d.MSPID == pd.MSPID {
			deptID = d.ID
		}
	}
	if deptID == "" {
		return out, fmt.Errorf("no department with MSP %s in the registry", pd.MSPID)
	}
	ids, err := statusListed(ev, deptID)
	if err != nil {
		return out, err
	}
	docs, err := readDocs(ctx, contracts, ids, run)
	if err != nil {
		return out, err
	}
	out = checkAcknowledged(docs, acks)
	out.read = time.Since(start)
	return out, nil
}

// statusListed lists the credentials in dept's status lists: every
// credential the gateway issued has a position in one. Lists fill in
// order, so the first empty list past list 0 ends the search.
func statusListed(ev func(string, ...string) ([]byte, error), deptID string) ([]string, error) {
	var ids []string
	for list := 0; list <= chaincode.MaxStatusList; list++ {
		raw, err := ev(chaincode.FnGetStatusEntries, deptID, strconv.Itoa(list))
		if err != nil {
			return nil, err
		}
		var entries []credential.StatusEntry
		if err := json.Unmarshal(raw, &entries); err != nil {
			return nil, err
		}
		if len(entries) == 0 && list > 0 {
			break
		}
		for _, e := range entries {
			ids = append(ids, e.ID)
		}
	}
	return ids, nil
}

// readDocs reads the documents of ids from the department's private data,
// 16 at a time, spread over its peers.
func readDocs(ctx context.Context, contracts []*fabric.Contract, ids []string, run string) ([]ledgerDoc, error) {
	docs := make([]ledgerDoc, len(ids))
	var next int
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	for w := range 16 {
		k := w % len(contracts)
		mine := append(append([]*fabric.Contract{}, contracts[k:]...), contracts[:k]...)
		ev := func(fn string, args ...string) ([]byte, error) { return evaluateAny(ctx, mine, fn, args...) }
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				stop := firstErr != nil || ctx.Err() != nil
				mu.Unlock()
				if i >= len(ids) || stop {
					return
				}
				raw, err := ev(chaincode.FnGetDocument, ids[i])
				var doc credential.Document
				if err == nil {
					err = json.Unmarshal(raw, &doc)
				}
				if err != nil {
					mu.Lock()
					firstErr = fmt.Errorf("document %s: %w", ids[i], err)
					mu.Unlock()
					return
				}
				docs[i] = ledgerDoc{id: ids[i], digest: doc.Proof.Digest, n: issuanceOf(doc, run)}
			}
		}()
	}
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return docs, firstErr
}

// issuanceOf is the logical issuance a document of the run belongs to,
// from its holder name; 0 for any other document.
func issuanceOf(doc credential.Document, run string) int {
	c, _ := doc.Claim(credential.ClaimHolderName)
	rest, ok := strings.CutPrefix(c.Value, holderPrefix(run))
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n <= 0 {
		return 0
	}
	return n
}

// checkAcknowledged compares the ledger's documents with the acknowledgments.
func checkAcknowledged(docs []ledgerDoc, acks []ack) ledgerCheck {
	out := ledgerCheck{records: len(docs)}
	byID := make(map[string]ledgerDoc, len(docs))
	perIssuance := map[int]int{}
	for _, d := range docs {
		byID[d.id] = d
		if d.n > 0 {
			out.ours++
			perIssuance[d.n]++
		}
	}
	acked := make(map[int]bool, len(acks))
	for _, a := range acks {
		acked[a.n] = true
		if d, ok := byID[a.id]; ok && d.digest == a.digest && d.n == a.n {
			out.found++
		} else {
			out.lost = append(out.lost, a.id)
		}
	}
	for n, c := range perIssuance {
		if c > 1 {
			out.dupIssuances++
			out.duplicates += c - 1
		}
		if !acked[n] {
			out.unacked++
		}
	}
	return out
}

// evaluateAny evaluates fn on the first of the peers that answers, and
// tries them all again for up to a minute: a peer just started may still
// be catching up with blocks or private data.
func evaluateAny(ctx context.Context, contracts []*fabric.Contract, fn string, args ...string) ([]byte, error) {
	deadline := time.Now().Add(time.Minute)
	for {
		var err error
		for _, c := range contracts {
			var out []byte
			if out, err = c.EvaluateWithContext(ctx, fn, fabric.WithArguments(args...)); err == nil {
				return out, nil
			}
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			return nil, fmt.Errorf("%s %v: %w", fn, args, err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}
