package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/certledger/certledger/gateway/atrest"
)

// kekSource is where a command that opens a data folder takes the
// key-encryption key from. The key's text is read from the environment
// only, never from a flag, which would show it in the process list.
type kekSource struct {
	File string // --kek-file, or CERTLEDGER_KEK_FILE
	Text string // CERTLEDGER_KEK
}

func addKEKFlag(fs *flag.FlagSet, src *kekSource) {
	src.Text = os.Getenv(atrest.EnvKEK)
	fs.StringVar(&src.File, "kek-file", os.Getenv(atrest.EnvKEKFile),
		"file holding the key-encryption key (base64) that encrypts keystore.json and the ledger's private data (env "+
			atrest.EnvKEKFile+", or the key's text in "+atrest.EnvKEK+"; see certledger kek)")
}

// load returns the KEK given; given is false when there is none.
func (s kekSource) load() (k atrest.KEK, given bool, err error) {
	switch {
	case s.File != "" && s.Text != "":
		return k, false, usageError{fmt.Errorf("give the key-encryption key once: --kek-file (or %s) or %s, not both", atrest.EnvKEKFile, atrest.EnvKEK)}
	case s.File != "":
		k, err = atrest.LoadFile(s.File)
	case s.Text != "":
		if k, err = atrest.Parse(s.Text); err != nil {
			err = fmt.Errorf("%s: %w", atrest.EnvKEK, err)
		}
	default:
		return k, false, nil
	}
	if err != nil {
		return k, false, usageError{err}
	}
	return k, true, nil
}

// dataKEK returns the KEK of the data folder dir: the one given or, for a
// demo, the folder's own demo KEK, generated if needed; note then says so
// for the operator. It refuses a folder whose KEK rotation did not finish.
func dataKEK(src kekSource, dir string, demo bool) (k atrest.KEK, note string, err error) {
	k, given, err := src.load()
	if err != nil {
		return k, "", err
	}
	if err := checkNoRotation(dir); err != nil {
		return k, "", err
	}
	if given {
		return k, "", nil
	}
	demoPath := filepath.Join(dir, atrest.DemoFileName)
	if !demo {
		hint := ""
		if _, err := os.Stat(demoPath); err == nil {
			hint = fmt.Sprintf(" (this folder was made with --demo: its demo key is --kek-file %s)", demoPath)
		}
		return k, "", usageError{fmt.Errorf("no key-encryption key: keystore.json and the ledger's private data are encrypted with one; %s%s", atrest.GenerateHint, hint)}
	}
	k, created, err := atrest.LoadOrCreateDemo(dir)
	if err != nil {
		return k, "", err
	}
	if created {
		return k, fmt.Sprintf("Demo key-encryption key %s generated in %s: it encrypts keystore.json and the ledger's private data, "+
			"but beside them it protects nothing; outside a demo keep the KEK elsewhere and pass --kek-file", k.ID(), demoPath), nil
	}
	return k, fmt.Sprintf("Demo key-encryption key %s: %s", k.ID(), demoPath), nil
}

// rotationJournalName is written in the data folder while `kek rotate`
// runs and removed when it is done: while it exists the folder's files may
// be under either KEK, and no gateway starts on it.
const rotationJournalName = "kek-rotation.json"

func checkNoRotation(dir string) error {
	b, err := os.ReadFile(filepath.Join(dir, rotationJournalName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	j, err := parseJournal(b)
	if err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(dir, rotationJournalName), err)
	}
	return fmt.Errorf("the rotation of the key-encryption key of %s from %s to %s did not finish: run `certledger kek rotate --data %s "+
		"--kek-file OLD --new-kek-file NEW` again with those two keys to finish it", dir, j.From, j.To, dir)
}
