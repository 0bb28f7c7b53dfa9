package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/certledger/certledger/gateway"
	"github.com/certledger/certledger/gateway/atrest"
	"github.com/certledger/certledger/gateway/keystore"
	"github.com/certledger/certledger/gateway/ledger/embedded"
)

func init() {
	commands["kek"] = command{run: runKEK, summary: "make a key-encryption key, or rotate the one a data folder is encrypted with"}
}

const kekUsage = `usage:
  certledger kek generate [-o FILE]
  certledger kek rotate --data DIR --kek-file OLD --new-kek-file NEW`

func runKEK(args []string) error {
	if len(args) == 0 {
		return usageError{errors.New(kekUsage)}
	}
	switch args[0] {
	case "generate":
		return runKEKGenerate(args[1:])
	case "rotate":
		return runKEKRotate(args[1:])
	}
	return usageError{fmt.Errorf("unknown kek command %q\n%s", args[0], kekUsage)}
}

func runKEKGenerate(args []string) error {
	fs := flag.NewFlagSet("kek generate", flag.ContinueOnError)
	out := fs.String("o", "-", "write the key to this new file (mode 0600) instead of standard output")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	k := atrest.Generate()
	if *out == "-" {
		fmt.Println(k.Text())
		return nil
	}
	if err := atrest.WriteFile(*out, k); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "key-encryption key %s written to %s\n", k.ID(), *out)
	return nil
}

// rotationJournal records a rotation under way (rotationJournalName).
type rotationJournal struct {
	From    string    `json:"from"`
	To      string    `json:"to"`
	Started time.Time `json:"started"`
}

func parseJournal(b []byte) (rotationJournal, error) {
	var j rotationJournal
	if err := json.Unmarshal(b, &j); err != nil || j.From == "" || j.To == "" {
		return j, errors.New("not a rotation journal: remove it only if no `certledger kek rotate` was interrupted on this folder")
	}
	return j, nil
}

// runKEKRotate seals the data folder's keystore.json, ledger.db and the
// gateway's sealed state files (gateway.SealedStateFiles) under a new KEK.
// Each file is rewritten whole and renamed into place, so each is wholly
// under one KEK; the journal keeps gateways off the folder until all are
// under the new one. A run interrupted by a crash is finished by
// running it again with the same keys (each file already under the new
// KEK is left as it is), or undone by running it with the keys swapped.
func runKEKRotate(args []string) error {
	fs := flag.NewFlagSet("kek rotate", flag.ContinueOnError)
	var (
		dir     string
		oldSrc  kekSource
		newFile string
	)
	fs.StringVar(&dir, "data", envOr("CERTLEDGER_DATA", "./certledger-data"), "the data folder; its gateway must be stopped (env CERTLEDGER_DATA)")
	addKEKFlag(fs, &oldSrc)
	fs.StringVar(&newFile, "new-kek-file", "", "file holding the new key-encryption key (make one with certledger kek generate -o FILE)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	from, given, err := oldSrc.load()
	if err != nil {
		return err
	}
	if !given {
		return usageError{errors.New("give the current key-encryption key with --kek-file (or " + atrest.EnvKEKFile + " or " + atrest.EnvKEK + ")")}
	}
	if newFile == "" {
		return usageError{errors.New("give the new key-encryption key with --new-kek-file; " + atrest.GenerateHint)}
	}
	to, err := atrest.LoadFile(newFile)
	if err != nil {
		return usageError{err}
	}
	if from.ID() == to.ID() {
		return usageError{fmt.Errorf("the new key-encryption key is the current one (%s)", to.ID())}
	}
	ledgerPath, storePath := filepath.Join(dir, embedded.FileName), filepath.Join(dir, keystore.FileName)
	hasLedger, hasStore := exists(ledgerPath), exists(storePath)
	var stateFiles []string
	for _, name := range gateway.SealedStateFiles() {
		if exists(filepath.Join(dir, name)) {
			stateFiles = append(stateFiles, name)
		}
	}
	if !hasLedger && !hasStore && len(stateFiles) == 0 {
		return usageError{fmt.Errorf("%s holds none of %s, %s, %s: nothing to rotate", dir, keystore.FileName, embedded.FileName, strings.Join(gateway.SealedStateFiles(), ", "))}
	}
	if err := checkJournal(dir, from, to); err != nil {
		return err
	}
	if err := checkRotatable(dir, hasLedger, hasStore, stateFiles, from, to); err != nil {
		return err
	}
	if err := startRotation(dir, from, to); err != nil {
		return err
	}
	var rotated []string
	report := func(name string, changed bool) {
		rotated = append(rotated, name)
		if changed {
			fmt.Printf("%s: encrypted with %s\n", name, to.ID())
		} else {
			fmt.Printf("%s: already encrypted with %s\n", name, to.ID())
		}
	}
	if hasLedger {
		changed, err := embedded.Rekey(dir, from, to, embedded.WithLockTimeout(2*time.Second))
		if err != nil {
			return fmt.Errorf("%s: %w (run the rotation again to finish it)", embedded.FileName, err)
		}
		report(embedded.FileName, changed)
	}
	if hasStore {
		changed, err := keystore.Rekey(dir, from, to)
		if err != nil {
			return fmt.Errorf("%s: %w (run the rotation again to finish it)", keystore.FileName, err)
		}
		report(keystore.FileName, changed)
	}
	for _, name := range stateFiles {
		changed, err := gateway.RekeyStateFile(dir, name, from, to)
		if err != nil {
			return fmt.Errorf("%s: %w (run the rotation again to finish it)", name, err)
		}
		report(name, changed)
	}
	if err := os.Remove(filepath.Join(dir, rotationJournalName)); err != nil {
		return err
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	fmt.Printf("The data folder's sealed files (%s) are encrypted with the key-encryption key %s: start the gateway with --kek-file %s.\n"+
		"Keep the old key (%s) as long as you keep backups made before this rotation, then destroy it.\n", strings.Join(rotated, ", "), to.ID(), newFile, from.ID())
	return nil
}

// checkRotatable checks, before anything is written, that each file is
// under one of the two keys and that no gateway holds the ledger or a
// state file: they are read read-only, which waits for their locks.
func checkRotatable(dir string, hasLedger, hasStore bool, stateFiles []string, from, to atrest.KEK) error {
	underEither := func(name string, err error) error {
		var wrong *atrest.WrongKEKError
		if err == nil || errors.As(err, &wrong) && wrong.Sealed == to.ID() {
			return nil
		}
		return fmt.Errorf("%s: %w (nothing was changed)", name, err)
	}
	if hasLedger {
		_, err := embedded.Verify(dir, from)
		if err := underEither(embedded.FileName, err); err != nil {
			return err
		}
	}
	if hasStore {
		_, err := keystore.Open(dir, from)
		if err := underEither(keystore.FileName, err); err != nil {
			return err
		}
	}
	for _, name := range stateFiles {
		if err := gateway.CheckStateFileKEK(dir, name, from, to); err != nil {
			return fmt.Errorf("%s: %w (nothing was changed)", name, err)
		}
	}
	return nil
}

// checkJournal lets a run take over the journal of an interrupted rotation
// only with the same two keys, either way round.
func checkJournal(dir string, from, to atrest.KEK) error {
	path := filepath.Join(dir, rotationJournalName)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	j, err := parseJournal(b)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if (j.From != from.ID() || j.To != to.ID()) && (j.From != to.ID() || j.To != from.ID()) {
		return fmt.Errorf("an unfinished rotation of %s from %s to %s: finish it with those two keys first", dir, j.From, j.To)
	}
	return nil
}

// startRotation writes the journal.
func startRotation(dir string, from, to atrest.KEK) error {
	b, err := json.Marshal(rotationJournal{From: from.ID(), To: to.ID(), Started: time.Now().UTC()})
	if err != nil {
		return err
	}
	return keystore.WriteFileAtomic(filepath.Join(dir, rotationJournalName), append(b, '\n'), 0o600)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
