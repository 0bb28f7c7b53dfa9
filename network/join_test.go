package network_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"github.com/certledger/certledger/network/portplan"
	"github.com/certledger/certledger/network/profile"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/network"
	"github.com/certledger/certledger/network/nettest"
	"github.com/hyperledger/fabric-gateway/pkg/client"
)

// TestAddDepartment adds a department to a running network and checks it on the network itself (channel
// configuration, peer height, upgraded definitions, its own collection), through a gateway (onboarding, an
// issuance that verifies), through a direct issuance endorsed by its own peer, and after down and up.
func TestAddDepartment(t *testing.T) {
	nettest.RequireFabric(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	o, _ := startNetwork(t, ctx, network.Raft, portplan.AddDepartment)
	before := committedDefinition(t, ctx, o.Dir, "gov", network.ChaincodeName)

	start := time.Now()
	p, err := network.AddDepartment(ctx, o.Dir, network.NewDepartment{ID: "mps", MSPID: "MpsMSP",
		NameEn: "Public Security Bureau", NameZh: "公安局", Peers: 1}, nettest.Log(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("department added in %s", time.Since(start).Round(100*time.Millisecond))

	orgs, err := network.ChannelOrganizations(ctx, o.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(orgs, "MpsMSP") || len(orgs) != 5 {
		t.Fatalf("channel organizations %v, want the four departments and MpsMSP", orgs)
	}
	waitSameHeight(t, ctx, o.Dir, "mps", "gov")

	for _, cc := range []string{network.ChaincodeName, network.KVChaincodeName} {
		after := committedDefinition(t, ctx, o.Dir, "mps", cc)
		if before.sequence == 0 || after.sequence != before.sequence+1 {
			t.Errorf("%s: sequence %d after the join, %d before", cc, after.sequence, before.sequence)
		}
		if !strings.Contains(after.policy, "MpsMSP") {
			t.Errorf("%s: endorsement policy does not name MpsMSP: %q", cc, after.policy)
		}
	}
	if def := committedDefinition(t, ctx, o.Dir, "gov", network.ChaincodeName); !strings.Contains(def.raw, "credentialDocuments_MpsMSP") {
		t.Errorf("no collection credentialDocuments_MpsMSP in the definition:\n%s", def.raw)
	}

	pd, ok := p.Department("mps")
	if !ok || pd.MSPID != "MpsMSP" || len(pd.Peers) != 1 || pd.IssuerPublicKey == "" {
		t.Fatalf("profile entry of mps: %+v", pd)
	}
	mps, uscc := onboardThroughGateway(t, o.Dir, p, "mps", "公安局", "Public Security Bureau")
	raw := queryRetry(t, ctx, o.Dir, "mps", `{"Args":["GetRegistry"]}`, "MpsMSP")
	if !strings.Contains(raw, "residence-permit") {
		t.Fatalf("registry through peer0.mps lacks the new type: %.300s", raw)
	}
	issueAsNewDepartment(t, p, mps, uscc)

	if err := network.Down(o.Dir, false); err != nil {
		t.Fatal(err)
	}
	if _, err := network.Up(ctx, o); err != nil {
		t.Fatal(err)
	}
	if _, ok := requireHealthy(t, ctx, o.Dir)["peer0.mps"]; !ok {
		t.Fatal("status after down and up lacks peer0.mps")
	}
	if got := committedDefinition(t, ctx, o.Dir, "mps", network.ChaincodeName); got.sequence != before.sequence+1 {
		t.Errorf("sequence %d after down and up", got.sequence)
	}
	queryRetry(t, ctx, o.Dir, "mps", `{"Args":["GetRegistry"]}`, "MpsMSP")
}

type definition struct {
	sequence int
	policy   string // the decoded validation parameter (endorsement policy)
	raw      string
}

var (
	sequencePattern = regexp.MustCompile(`"sequence":\s*"?(\d+)`)
	policyPattern   = regexp.MustCompile(`"validation_?[pP]arameter":\s*"([^"]*)"`)
)

// committedDefinition reads a chaincode's committed definition through a
// department's peer.
func committedDefinition(t *testing.T, ctx context.Context, dir, dept, cc string) definition {
	t.Helper()
	out, err := network.PeerCLI(ctx, dir, dept, "lifecycle", "chaincode", "querycommitted",
		"--channelID", network.DefaultChannel, "--name", cc, "-O", "json")
	if err != nil {
		t.Fatal(err)
	}
	d := definition{raw: out}
	if m := sequencePattern.FindStringSubmatch(out); m != nil {
		d.sequence, _ = strconv.Atoi(m[1])
	}
	if m := policyPattern.FindStringSubmatch(out); m != nil {
		b, _ := base64.StdEncoding.DecodeString(m[1])
		d.policy = string(b)
	}
	if d.sequence == 0 || d.policy == "" {
		t.Fatalf("cannot read the definition of %s:\n%s", cc, out)
	}
	return d
}

var heightPattern = regexp.MustCompile(`"height":\s*(\d+)`)

func height(t *testing.T, ctx context.Context, dir, dept string) int {
	t.Helper()
	out, err := network.PeerCLI(ctx, dir, dept, "channel", "getinfo", "-c", network.DefaultChannel)
	if err != nil {
		t.Fatal(err)
	}
	m := heightPattern.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no height in %q", out)
	}
	h, _ := strconv.Atoi(m[1])
	return h
}

// waitSameHeight waits until dept's peer has caught up with other's.
func waitSameHeight(t *testing.T, ctx context.Context, dir, dept, other string) {
	t.Helper()
	nettest.Eventually(t, 30*time.Second, "peer of "+dept+" at "+other+"'s height", func() error {
		got, want := height(t, ctx, dir, dept), height(t, ctx, dir, other)
		if got < want || got <= 1 {
			return fmt.Errorf("peer of %s at height %d, %s at %d", dept, got, other, want)
		}
		t.Logf("peer of %s at height %d, %s at %d", dept, got, other, want)
		return nil
	})
}

// queryRetry queries the certledger chaincode through dept's peer with the
// peer CLI until the answer contains want (the peer may be a block behind).
func queryRetry(t *testing.T, ctx context.Context, dir, dept, args, want string) string {
	t.Helper()
	var out string
	nettest.Eventually(t, 15*time.Second, "query "+args+" through "+dept, func() error {
		var err error
		out, err = network.PeerCLI(ctx, dir, dept, "chaincode", "query", "-C", network.DefaultChannel, "-n", network.ChaincodeName, "-c", args)
		if err == nil && !strings.Contains(out, want) {
			return fmt.Errorf("answer lacks %q: %.300s", want, out)
		}
		return err
	})
	return out
}

// issueAsNewDepartment issues a credential as the new department through
// its own peer's gateway and reads its document back from its collection.
func issueAsNewDepartment(t *testing.T, p *profile.Profile, issuer credential.Department, uscc string) {
	t.Helper()
	c := nettest.Connect(t, p, issuer.ID).Contract()
	raw, err := c.EvaluateTransaction("GetRegistry")
	if err != nil {
		t.Fatal(err)
	}
	var reg credential.Registry
	if err := json.Unmarshal(raw, &reg); err != nil {
		t.Fatal(err)
	}
	ty, ok := reg.Type("residence-permit")
	if !ok {
		t.Fatal("registry lacks residence-permit")
	}
	pd, _ := p.Department(issuer.ID)
	key, err := network.LoadIssuerKey(pd.IssuerKey)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := credential.Issue(credential.IssueParams{Type: ty, Issuer: issuer, IssuedAt: time.Now(),
		Holder: credential.Holder{Name: "某公司", IDType: credential.IDUSCC, IDNumber: "91110000802100433B"},
		Fields: map[string]string{"address": "上海市"},
	}, pd.IssuerKeyID, key)
	if err != nil {
		t.Fatal(err)
	}
	req, err := json.Marshal(credential.IssueRequest{Document: *doc, HolderRef: strings.Repeat("cd", 32)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Submit("Issue", client.WithTransient(map[string][]byte{"request": req})); err != nil {
		t.Fatalf("%s issues: %v", issuer.ID, err)
	}
	got, err := c.EvaluateTransaction("GetDocument", doc.ID)
	if err != nil || !strings.Contains(string(got), "91110000802100433B") {
		t.Fatalf("%s reads its document from its collection: %v\n%.200s", issuer.ID, err, got)
	}
}
