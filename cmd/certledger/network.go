package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/certledger/certledger/network"
)

func init() {
	commands["network"] = command{run: runNetwork,
		summary: "run the Hyperledger Fabric network: build|up|down|status|logs|stop|start|add-department|index-holders"}
}

const networkUsage = `usage: certledger network <subcommand> [flags]

  build                 build the Fabric ` + network.FabricVersion + ` binaries into the cache
  up                    create or resume the network and deploy the chaincodes
  down [--purge]        stop the network's processes (--purge also deletes its folder)
  status [--json]       show every node's health and memory
  logs [-n N] [-f] NODE show a node's log (orderer0, peer0.gov, cc-certledger, ...)
  stop [--kill] NODE    stop one node (--kill: SIGKILL, a crash)
  start NODE            start one stopped node
  add-department [--id mps --msp MpsMSP --name-zh 公安局 --name-en "Public Security Bureau" --peers 1]
                        add a department to the running network's channel
  index-holders         list the credentials issued before the holder index in it
                        (as the governance department; once, after upgrading the contract)

Flags take their defaults from the environment: CERTLEDGER_NETWORK_DIR,
CERTLEDGER_CONSENSUS, CERTLEDGER_BASE_PORT, CERTLEDGER_BATCH_TIMEOUT.
Fabric binaries are cached in $CERTLEDGER_CACHE (default: user cache dir).`

func runNetwork(args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(os.Stderr, networkUsage)
		return flag.ErrHelp
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	sub, rest := args[0], args[1:]
	switch sub {
	case "build":
		_, err := network.Build(ctx, os.Stdout)
		return err
	case "up":
		return networkUp(ctx, rest)
	case "down":
		return networkDown(rest)
	case "status":
		return networkStatus(ctx, rest)
	case "logs":
		return networkLogs(ctx, rest)
	case "stop", "start":
		return networkNode(ctx, sub, rest)
	case "add-department":
		return networkAddDepartment(ctx, rest)
	case "index-holders":
		return networkIndexHolders(ctx, rest)
	}
	fmt.Fprintln(os.Stderr, networkUsage)
	return usageError{fmt.Errorf("unknown subcommand %q", sub)}
}

func newNetworkFlags(name string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("network "+name, flag.ContinueOnError)
	dir := fs.String("dir", envOr("CERTLEDGER_NETWORK_DIR", network.DefaultDir), "network folder")
	return fs, dir
}

func parseNetworkFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	return nil
}

func networkUp(ctx context.Context, args []string) error {
	fs, dir := newNetworkFlags("up")
	consensus := fs.String("consensus", os.Getenv("CERTLEDGER_CONSENSUS"),
		"raft (3 orderers, default) or bft (4 orderers); fixed when the network is created")
	basePort := fs.Int("base-port", networkEnvInt("CERTLEDGER_BASE_PORT"),
		"first port of the port plan (default "+strconv.Itoa(network.DefaultBasePort)+")")
	batch := fs.Duration("batch-timeout", networkEnvDuration("CERTLEDGER_BATCH_TIMEOUT"),
		"orderer batch timeout (default "+network.DefaultBatchTimeout.String()+")")
	maxMsg := fs.Int("max-message-count", 0, "transactions per block at most (default "+
		strconv.Itoa(network.DefaultMaxMessageCount)+")")
	if err := parseNetworkFlags(fs, args); err != nil {
		return err
	}
	start := time.Now()
	p, err := network.Up(ctx, network.Options{
		Dir: *dir, Consensus: network.Consensus(*consensus), BasePort: *basePort,
		BatchTimeout: *batch, MaxMessageCount: *maxMsg, Progress: os.Stdout,
	})
	if err != nil {
		return err
	}
	fmt.Printf("up in %s: channel %s, chaincodes %s and %s, %d departments\n",
		time.Since(start).Round(100*time.Millisecond), p.Channel, p.Chaincode, network.KVChaincodeName, len(p.Departments))
	return nil
}

func networkEnvInt(name string) int {
	n, _ := strconv.Atoi(os.Getenv(name))
	return n
}

func networkEnvDuration(name string) time.Duration {
	d, _ := time.ParseDuration(os.Getenv(name))
	return d
}

func networkDown(args []string) error {
	fs, dir := newNetworkFlags("down")
	purge := fs.Bool("purge", false, "also delete the network folder (crypto material, ledgers, keys)")
	if err := parseNetworkFlags(fs, args); err != nil {
		return err
	}
	return network.Down(*dir, *purge)
}

func networkStatus(ctx context.Context, args []string) error {
	fs, dir := newNetworkFlags("status")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseNetworkFlags(fs, args); err != nil {
		return err
	}
	nodes, err := network.Status(ctx, *dir)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(nodes); err != nil {
			return err
		}
	} else {
		printStatus(nodes)
	}
	unhealthy := 0
	for _, n := range nodes {
		if !n.Healthy {
			unhealthy++
		}
	}
	if unhealthy > 0 {
		return fmt.Errorf("%d of %d nodes unhealthy", unhealthy, len(nodes))
	}
	return nil
}

func printStatus(nodes []network.NodeStatus) {
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NODE\tKIND\tADDRESS\tPID\tHEALTH\tRSS MB\tPEAK MB")
	for _, n := range nodes {
		health, pid, rss, peak := "ok", "-", "-", "-"
		if !n.Healthy {
			health = "DOWN: " + n.Detail
		}
		if n.Running {
			pid = strconv.Itoa(n.PID)
			rss, peak = fmt.Sprintf("%.0f", float64(n.RSSKB)/1024), fmt.Sprintf("%.0f", float64(n.PeakRSSKB)/1024)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", n.Name, n.Kind, n.Address, pid, health, rss, peak)
	}
	w.Flush()
}

func networkLogs(ctx context.Context, args []string) error {
	fs, dir := newNetworkFlags("logs")
	tail := fs.Int("n", 100, "last lines to show (0: all)")
	follow := fs.Bool("f", false, "keep printing new lines")
	if err := parseNetworkFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{errors.New("logs wants one node name (see certledger network status)")}
	}
	return network.Logs(ctx, *dir, fs.Arg(0), *tail, *follow, os.Stdout)
}

func networkNode(ctx context.Context, sub string, args []string) error {
	fs, dir := newNetworkFlags(sub)
	kill := false
	if sub == "stop" {
		fs.BoolVar(&kill, "kill", false, "SIGKILL at once instead of a graceful stop")
	}
	if err := parseNetworkFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{fmt.Errorf("%s wants one node name (see certledger network status)", sub)}
	}
	if sub == "stop" {
		return network.StopNode(*dir, fs.Arg(0), kill)
	}
	return network.StartNode(ctx, *dir, fs.Arg(0))
}
