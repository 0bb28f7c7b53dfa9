package network

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// deploy takes a chaincode through the Fabric lifecycle: install the
// package on every peer, approve the definition as every department,
// commit it. Steps already done (a later Up) are skipped or tolerated.
func deploy(ctx context.Context, f Fabric, l layout, t topology, srv node, packageID string, progress func(string, ...any)) error {
	cc := *srv.CC
	if committed(ctx, f, l, t, cc) {
		progress("  %s: already committed at sequence %d", cc.Name, cc.Sequence)
		return nil
	}
	start := time.Now()
	if err := parallel(t.Peers, func(p node) error { return install(ctx, f, l, p, cc, packageID) }); err != nil {
		return err
	}
	progress("  %s: installed on %d peers in %s", cc.Name, len(t.Peers), since(start))
	var firstPeers []node
	for _, d := range t.Departments {
		firstPeers = append(firstPeers, t.peersOf(d)[0])
	}
	start = time.Now()
	err := parallel(firstPeers, func(p node) error { return approve(ctx, f, l, t, p, cc, packageID) })
	if err != nil {
		return err
	}
	progress("  %s: approved by %d departments in %s", cc.Name, len(firstPeers), since(start))
	start = time.Now()
	if err := commit(ctx, f, l, t, firstPeers, cc); err != nil {
		return err
	}
	progress("  %s: committed in %s", cc.Name, since(start))
	return nil
}

func since(t time.Time) time.Duration { return time.Since(t).Round(100 * time.Millisecond) }

// parallel runs fn for every node at once and returns the first error.
func parallel(nodes []node, fn func(node) error) error {
	errs := make([]error, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn(n)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// committed reports whether the definition is committed at cc.Sequence.
func committed(ctx context.Context, f Fabric, l layout, t topology, cc chaincode) bool {
	p := t.Peers[0]
	var def struct {
		Sequence int `json:"sequence"`
	}
	return queryJSON(ctx, f, l, p, &def, "querycommitted", "--channelID", DefaultChannel, "--name", cc.Name) == nil &&
		def.Sequence == cc.Sequence
}

// approved reports whether p's department approved the definition at
// cc.Sequence for packageID.
func approved(ctx context.Context, f Fabric, l layout, p node, cc chaincode, packageID string) bool {
	var def struct {
		Sequence int `json:"sequence"`
		Source   struct {
			Type struct {
				LocalPackage struct {
					PackageID string `json:"package_id"`
				}
			}
		} `json:"source"`
	}
	err := queryJSON(ctx, f, l, p, &def, "queryapproved", "--channelID", DefaultChannel, "--name", cc.Name,
		"--sequence", strconv.Itoa(cc.Sequence))
	return err == nil && def.Sequence == cc.Sequence && def.Source.Type.LocalPackage.PackageID == packageID
}

// installed reports whether packageID is installed on p.
func installed(ctx context.Context, f Fabric, l layout, p node, packageID string) bool {
	var list struct {
		Chaincodes []struct {
			PackageID string `json:"package_id"`
		} `json:"installed_chaincodes"`
	}
	if queryJSON(ctx, f, l, p, &list, "queryinstalled") != nil {
		return false
	}
	for _, c := range list.Chaincodes {
		if c.PackageID == packageID {
			return true
		}
	}
	return false
}

// queryJSON runs a peer lifecycle query on p as its department's
// administrator and decodes its JSON output (the protobuf answer as Go's
// encoding/json writes it) into v.
func queryJSON(ctx context.Context, f Fabric, l layout, p node, v any, query string, args ...string) error {
	args = append([]string{"lifecycle", "chaincode", query, "--output", "json"}, args...)
	out, err := runTool(ctx, adminEnv(l, p.Dept, p), f.Bin("peer"), args...)
	if err != nil {
		return err
	}
	return json.Unmarshal([]byte(out), v)
}

func install(ctx context.Context, f Fabric, l layout, p node, cc chaincode, packageID string) error {
	return retry(ctx, 30*time.Second, func() error {
		_, err := runTool(ctx, adminEnv(l, p.Dept, p), f.Bin("peer"), "lifecycle", "chaincode", "install", l.packageFile(cc))
		if err != nil && installed(ctx, f, l, p, packageID) {
			return nil // installed by an earlier Up
		}
		return err
	})
}

// definitionArgs are the flags that define the chaincode; approvals and the
// commit must agree on them.
func definitionArgs(l layout, t topology, cc chaincode) []string {
	args := []string{
		"--channelID", DefaultChannel, "--name", cc.Name, "--version", cc.Version,
		"--sequence", strconv.Itoa(cc.Sequence), "--signature-policy", endorsementPolicy(t),
	}
	if cc.Collections {
		args = append(args, "--collections-config", l.collectionsFile())
	}
	return args
}

// ordererArgs direct a lifecycle transaction to an orderer over TLS. Each
// attempt picks the next orderer, so one being down or leaderless does not
// stall the deployment.
func ordererArgs(l layout, t topology, attempt int) []string {
	o := t.Orderers[attempt%len(t.Orderers)]
	return []string{"-o", o.address(), "--tls", "--cafile", l.ordererTLSCA()}
}

func approve(ctx context.Context, f Fabric, l layout, t topology, p node, cc chaincode, packageID string) error {
	attempt := 0
	return retry(ctx, 60*time.Second, func() error {
		args := append([]string{"lifecycle", "chaincode", "approveformyorg", "--package-id", packageID},
			definitionArgs(l, t, cc)...)
		args = append(args, ordererArgs(l, t, attempt)...)
		attempt++
		_, err := runTool(ctx, adminEnv(l, p.Dept, p), f.Bin("peer"), args...)
		switch {
		case err == nil:
			return nil
		case approved(ctx, f, l, p, cc, packageID):
			return nil // approved by an earlier, interrupted Up
		case committed(ctx, f, l, t, cc):
			return nil // committed meanwhile: the earlier check raced a slow peer
		}
		return err
	})
}

// commit needs endorsements from a majority of departments (the channel's
// LifecycleEndorsement policy); it asks one peer of every department.
func commit(ctx context.Context, f Fabric, l layout, t topology, peers []node, cc chaincode) error {
	attempt := 0
	return retry(ctx, 60*time.Second, func() error {
		args := append([]string{"lifecycle", "chaincode", "commit"}, definitionArgs(l, t, cc)...)
		args = append(args, ordererArgs(l, t, attempt)...)
		for _, p := range peers {
			args = append(args, "--peerAddresses", p.address(), "--tlsRootCertFiles", l.deptTLSCA(p.Dept))
		}
		attempt++
		p := peers[0]
		_, err := runTool(ctx, adminEnv(l, p.Dept, p), f.Bin("peer"), args...)
		if err != nil && committed(ctx, f, l, t, cc) {
			return nil // committed by an earlier attempt whose reply was lost
		}
		if err != nil {
			return fmt.Errorf("network: committing %s: %w", cc.Name, err)
		}
		return nil
	})
}
