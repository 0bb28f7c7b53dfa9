package network

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/certledger/certledger/network/profile"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
	"unicode"

	cb "github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"
)

// NewDepartment is a department joining a running network.
type NewDepartment struct {
	ID     string // short name: peer names, folders and the registry's department ID (e.g. mps)
	MSPID  string // its organization's MSP ID (e.g. MpsMSP)
	NameEn string
	NameZh string
	Peers  int // peers it runs; at least 1
}

var (
	departmentIDPattern = regexp.MustCompile(`^[a-z][a-z0-9]{1,15}$`)
	mspIDPattern        = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]{1,39}$`)
)

func (nd NewDepartment) validate() error {
	switch {
	case !departmentIDPattern.MatchString(nd.ID):
		return fmt.Errorf("network: department ID %q: want 2 to 16 lower-case letters and digits, starting with a letter", nd.ID)
	case !mspIDPattern.MatchString(nd.MSPID):
		return fmt.Errorf("network: MSP ID %q: want 2 to 40 letters and digits, starting with a letter", nd.MSPID)
	case nd.MSPID == ordererMSPID:
		return fmt.Errorf("network: MSP ID %s belongs to the ordering service", nd.MSPID)
	case nd.Peers < 1:
		return fmt.Errorf("network: a department needs at least one peer, not %d", nd.Peers)
	}
	// The names end up in YAML comments of the generated configuration.
	for _, name := range []string{nd.NameEn, nd.NameZh} {
		if strings.IndexFunc(name, unicode.IsControl) >= 0 {
			return fmt.Errorf("network: department name %q holds control characters", name)
		}
	}
	return nil
}

// AddDepartment brings a new department onto the running network in dir:
// its crypto material, the channel configuration update adding its
// organization (signed by a majority of the existing departments' admins),
// its peers started and joined, both chaincode definitions upgraded to a
// new sequence whose endorsement policy names it and whose collections give
// it credentialDocuments_<MSP ID>, and the connection profile with its
// identities and issuer key. The department is recorded in the network's
// state first, so that running AddDepartment again, or Up, completes an
// interrupted join, and later Ups keep it.
func AddDepartment(ctx context.Context, dir string, nd NewDepartment, progress io.Writer) (*profile.Profile, error) {
	if err := nd.validate(); err != nil {
		return nil, err
	}
	if progress == nil {
		progress = io.Discard
	}
	start := time.Now()
	o, err := Options{Dir: dir, Progress: progress}.withDefaultDir()
	if err != nil {
		return nil, err
	}
	// Refuse a folder without a network before a possibly long build.
	if !exists(layout{o.Dir}.stateFile()) {
		return nil, fmt.Errorf("network: no network in %s; run `certledger network up` first", o.Dir)
	}
	f, err := Build(ctx, progress)
	if err != nil {
		return nil, err
	}
	unlock, err := lockNetwork(o.Dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	o, found, err := resolveOptions(o)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("network: no network in %s; run `certledger network up` first", o.Dir)
	}
	t := newTopology(o)
	resuming := false
	for i, d := range o.joined {
		if d.ID == nd.ID && d.MSPID == nd.MSPID {
			resuming = true
			nd.Peers = o.joined[i].Peers
		}
	}
	if !resuming {
		for _, d := range t.Departments {
			if d.ID == nd.ID || d.MSPID == nd.MSPID {
				return nil, fmt.Errorf("network: department %s (%s) is already on the channel", d.ID, d.MSPID)
			}
		}
		if len(t.Peers)+nd.Peers > maxPeers {
			return nil, fmt.Errorf("network: the port plan has room for %d peers; the network has %d, %s asks for %d",
				maxPeers, len(t.Peers), nd.ID, nd.Peers)
		}
		name := nd.NameEn
		if name == "" {
			name = nd.ID
		}
		o.joined = append(o.joined, department{ID: nd.ID, Name: name, NameZh: nd.NameZh, MSPID: nd.MSPID, Peers: nd.Peers})
		if err := writeState(layout{o.Dir}, o); err != nil {
			return nil, err
		}
	}
	u := &upper{ctx: ctx, o: o, f: f, l: layout{o.Dir}, t: newTopology(o), start: start}
	p, err := u.run()
	if err != nil {
		return nil, fmt.Errorf("%w\n(the department is recorded; run the command again, or `network up`, to complete its join)", err)
	}
	u.progress("department %s (%s) joined with peers: %d; chaincodes at sequence %d; profile %s",
		nd.ID, nd.MSPID, nd.Peers, u.t.Chaincodes[0].CC.Sequence, u.l.profileFile())
	return p, nil
}

// addToChannel makes sure a department's organization is in the channel
// configuration, submitting the configuration update that adds it when it
// is not. The update changes the Application group, whose modification
// policy is the channel's Admins (MAJORITY Admins): a majority of the
// departments already on the channel sign it, the last one as it submits.
func addToChannel(ctx context.Context, f Fabric, l layout, t topology, d *department, c configData, progress func(string, ...any)) error {
	var before []*department
	for _, e := range t.Departments {
		if e == d {
			break
		}
		before = append(before, e)
	}
	signers := before[:len(before)/2+1]
	submitter := signers[len(signers)-1]
	work := l.path("channel", "add-"+d.ID)
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	file := func(name string) string { return filepath.Join(work, name) }
	// Once the update is in a block, later Ups need not ask the orderers,
	// which right after a restart may take seconds to elect a Raft leader.
	done := file("added")
	if exists(done) {
		return nil
	}
	attempt := 0
	fetch := func() (*cb.Config, error) {
		var cfg *cb.Config
		err := retry(ctx, 30*time.Second, func() error {
			args := append([]string{"channel", "fetch", "config", file("config_block.pb"), "-c", DefaultChannel},
				ordererArgs(l, t, attempt)...)
			attempt++
			if _, err := runTool(ctx, adminEnv(l, submitter, t.peersOf(submitter)[0]), f.Bin("peer"), args...); err != nil {
				return err
			}
			var err error
			cfg, err = readConfigBlock(file("config_block.pb"))
			return err
		})
		return cfg, err
	}
	cfg, err := fetch()
	if err != nil {
		return err
	}
	if hasOrg(cfg, d.MSPID) {
		return writeFileAtomic(done, nil, 0o644)
	}
	start := time.Now()
	if err := writeConfigUpdate(ctx, f, l, cfg, d, c, work); err != nil {
		return err
	}
	env := file("update_envelope.pb")
	for _, s := range signers[:len(signers)-1] {
		if _, err := runTool(ctx, adminEnv(l, s, t.peersOf(s)[0]), f.Bin("peer"), "channel", "signconfigtx", "-f", env); err != nil {
			return fmt.Errorf("network: %s signing the update adding %s: %w", s.ID, d.MSPID, err)
		}
	}
	err = retry(ctx, 60*time.Second, func() error {
		args := append([]string{"channel", "update", "-f", env, "-c", DefaultChannel}, ordererArgs(l, t, attempt)...)
		attempt++
		_, err := runTool(ctx, adminEnv(l, submitter, t.peersOf(submitter)[0]), f.Bin("peer"), args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("network: submitting the channel update adding %s: %w", d.MSPID, err)
	}
	// The orderer accepted the update; wait until it is in a block, so the
	// new peers find their organization when they read the channel.
	err = waitFor(ctx, 30*time.Second, "channel update adding "+d.MSPID, func() error {
		cfg, err := fetch()
		switch {
		case err != nil:
			return err
		case !hasOrg(cfg, d.MSPID):
			return fmt.Errorf("%s not in the channel configuration yet", d.MSPID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	var names []string
	for _, s := range signers {
		names = append(names, s.MSPID)
	}
	progress("  %s added to channel %s, signed by %s (%d of %d departments) in %s",
		d.MSPID, DefaultChannel, strings.Join(names, ", "), len(signers), len(before), since(start))
	return writeFileAtomic(done, nil, 0o644)
}

// writeConfigUpdate writes update_envelope.pb into work: the configuration
// update from cfg to cfg plus the department's organization, as configtxgen
// defines it from configtx.yaml (MSP with node OUs, Readers, Writers,
// Admins and Endorsement policies, anchor peers), in an unsigned envelope.
func writeConfigUpdate(ctx context.Context, f Fabric, l layout, cfg *cb.Config, d *department, c configData, work string) error {
	file := func(name string) string { return filepath.Join(work, name) }
	if err := renderTemplate("configtx.yaml", filepath.Join(l.configDir(), "configtx.yaml"), c); err != nil {
		return err
	}
	org, err := toolStdout(ctx, f.Bin("configtxgen"), "-configPath", l.configDir(), "-printOrg", d.MSPID)
	if err != nil {
		return err
	}
	raw, err := proto.Marshal(cfg)
	if err != nil {
		return err
	}
	if err := os.WriteFile(file("config.pb"), raw, 0o644); err != nil {
		return err
	}
	lator := f.Bin("configtxlator")
	if _, err := runTool(ctx, nil, lator, "proto_decode", "--type", "common.Config",
		"--input", file("config.pb"), "--output", file("config.json")); err != nil {
		return err
	}
	modified, err := withOrg(file("config.json"), d.MSPID, org)
	if err != nil {
		return err
	}
	if err := os.WriteFile(file("modified_config.json"), modified, 0o644); err != nil {
		return err
	}
	// Both sides go through the same JSON encoding, so the update holds
	// only the real difference.
	for _, name := range []string{"config", "modified_config"} {
		if _, err := runTool(ctx, nil, lator, "proto_encode", "--type", "common.Config",
			"--input", file(name+".json"), "--output", file(name+".pb")); err != nil {
			return err
		}
	}
	if _, err := runTool(ctx, nil, lator, "compute_update", "--channel_id", DefaultChannel,
		"--original", file("config.pb"), "--updated", file("modified_config.pb"), "--output", file("update.pb")); err != nil {
		return err
	}
	update, err := os.ReadFile(file("update.pb"))
	if err != nil {
		return err
	}
	env, err := configUpdateEnvelope(update)
	if err != nil {
		return err
	}
	return writeFileAtomic(file("update_envelope.pb"), env, 0o644)
}

// withOrg adds an organization group (configtxgen -printOrg's JSON) under
// channel_group.groups.Application.groups of a decoded channel config.
func withOrg(configJSON, mspID string, org []byte) ([]byte, error) {
	b, err := os.ReadFile(configJSON)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // 64-bit values stay exact
	var cfg map[string]any
	if err := dec.Decode(&cfg); err != nil {
		return nil, fmt.Errorf("network: %s: %w", configJSON, err)
	}
	var orgGroup any
	if err := json.Unmarshal(org, &orgGroup); err != nil {
		return nil, fmt.Errorf("network: configtxgen -printOrg %s: %w", mspID, err)
	}
	groups, ok := dig(cfg, "channel_group", "groups", "Application", "groups")
	if !ok {
		return nil, fmt.Errorf("network: %s has no Application organizations", configJSON)
	}
	groups[mspID] = orgGroup
	return json.Marshal(cfg)
}

// dig follows keys through nested JSON objects.
func dig(m map[string]any, keys ...string) (map[string]any, bool) {
	for _, k := range keys {
		next, ok := m[k].(map[string]any)
		if !ok {
			return nil, false
		}
		m = next
	}
	return m, true
}

// configUpdateEnvelope wraps a marshalled ConfigUpdate in the unsigned
// CONFIG_UPDATE envelope that signconfigtx signs and update submits.
func configUpdateEnvelope(update []byte) ([]byte, error) {
	ch, err := proto.Marshal(&cb.ChannelHeader{Type: int32(cb.HeaderType_CONFIG_UPDATE), ChannelId: DefaultChannel})
	if err != nil {
		return nil, err
	}
	data, err := proto.Marshal(&cb.ConfigUpdateEnvelope{ConfigUpdate: update})
	if err != nil {
		return nil, err
	}
	payload, err := proto.Marshal(&cb.Payload{Header: &cb.Header{ChannelHeader: ch}, Data: data})
	if err != nil {
		return nil, err
	}
	return proto.Marshal(&cb.Envelope{Payload: payload})
}

// readConfigBlock returns the channel configuration in a config block.
func readConfigBlock(path string) (*cb.Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var blk cb.Block
	if err := proto.Unmarshal(b, &blk); err != nil {
		return nil, fmt.Errorf("network: %s: %w", path, err)
	}
	if blk.Data == nil || len(blk.Data.Data) == 0 {
		return nil, fmt.Errorf("network: %s holds no transaction", path)
	}
	var env cb.Envelope
	var payload cb.Payload
	var ce cb.ConfigEnvelope
	if err := proto.Unmarshal(blk.Data.Data[0], &env); err != nil {
		return nil, fmt.Errorf("network: %s: %w", path, err)
	}
	if err := proto.Unmarshal(env.Payload, &payload); err != nil {
		return nil, fmt.Errorf("network: %s: %w", path, err)
	}
	if err := proto.Unmarshal(payload.Data, &ce); err != nil {
		return nil, fmt.Errorf("network: %s: %w", path, err)
	}
	if ce.Config == nil || ce.Config.ChannelGroup == nil {
		return nil, fmt.Errorf("network: %s is not a config block", path)
	}
	return ce.Config, nil
}

// hasOrg reports whether an application organization is in a channel
// configuration.
func hasOrg(cfg *cb.Config, mspID string) bool {
	app := cfg.GetChannelGroup().GetGroups()["Application"]
	_, ok := app.GetGroups()[mspID]
	return ok
}

// ChannelOrganizations lists the application organizations (MSP IDs) in the
// channel configuration of the network in dir, as the ordering service
// has it.
func ChannelOrganizations(ctx context.Context, dir string) ([]string, error) {
	_, t, l, err := existing(dir)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "certledger-config")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	d := t.Departments[0]
	block := filepath.Join(tmp, "config_block.pb")
	args := append([]string{"channel", "fetch", "config", block, "-c", DefaultChannel}, ordererArgs(l, t, 0)...)
	if _, err := runTool(ctx, adminEnv(l, d, t.peersOf(d)[0]), LocateFabric().Bin("peer"), args...); err != nil {
		return nil, err
	}
	cfg, err := readConfigBlock(block)
	if err != nil {
		return nil, err
	}
	var out []string
	for name := range cfg.GetChannelGroup().GetGroups()["Application"].GetGroups() {
		out = append(out, name)
	}
	return out, nil
}

// toolStdout runs a Fabric command and returns its standard output alone
// (its log lines go to standard error).
func toolStdout(ctx context.Context, bin string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = cleanEnv()
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return nil, newToolError(bin, args, err, errOut.String())
	}
	return out.Bytes(), nil
}
