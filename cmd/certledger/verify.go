package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/verifier"
)

func init() {
	commands["verify"] = command{run: runVerify, summary: "verify a credential, presentation, QR text or QR image, offline or through a gateway"}
}

// verifyOptions is the configuration of `certledger verify`.
type verifyOptions struct {
	Offline    bool
	TrustList  string
	Anchor     string
	AnchorFile string
	Gateway    string
	Input      string
	// TimeZone states the times of an offline report (online, the
	// gateway's own zone does).
	TimeZone *time.Location
}

// notValid exits 1: the input was read but is not (or not yet known to be)
// a valid credential.
type notValid struct{ error }

func (notValid) ExitCode() int { return 1 }

// unconfirmed exits 3: offline, the credential is authentic (integrity and
// signature hold against the trust list) but its status needs the ledger.
// Scripts can tell it from a forgery (1) without parsing the report.
type unconfirmed struct{ error }

func (unconfirmed) ExitCode() int { return 3 }

// errReported is the error of a not-valid credential whose report was
// already printed.
var errReported = errors.New("the credential is not valid")

func runVerify(args []string) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	var o verifyOptions
	fs.BoolVar(&o.Offline, "offline", false, "verify against the cached trust list only, without network")
	fs.StringVar(&o.TrustList, "trust-list", os.Getenv("CERTLEDGER_TRUST_LIST"), "cached trust list file (certledger trust-list export; env CERTLEDGER_TRUST_LIST)")
	fs.StringVar(&o.Anchor, "anchor", "", "the governance department's Ed25519 public key (base64), obtained out of band; without it the first trust list seen is trusted and its keys recorded in <trust list>"+verifier.AnchorSuffix)
	fs.StringVar(&o.AnchorFile, "anchor-file", "", "where trust on first use records the governance keys (default <trust list>"+verifier.AnchorSuffix+")")
	fs.StringVar(&o.Gateway, "gateway", os.Getenv("CERTLEDGER_GATEWAY"), "gateway base URL for online verification (env CERTLEDGER_GATEWAY)")
	if err := timeZoneFlag(fs, &o.TimeZone, "offline reports state times in it; online, the gateway states them in its own"); err != nil {
		return err
	}
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: certledger verify [--offline --trust-list FILE [--anchor KEY]] [--gateway URL] INPUT\n\n"+
			"INPUT is a credential or presentation JSON file, a file holding QR text (a verification URL or a CL1: payload),\n"+
			"a PNG or JPEG image of a QR code, or - for standard input. Exit status: 0 valid, 1 not valid (forged, altered,\n"+
			"revoked...), 2 usage or unreadable INPUT (missing, or not a credential, presentation or QR code),\n"+
			"3 authentic but not confirmed (offline answers never confirm status: that needs the ledger).\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if fs.NArg() != 1 {
		return usageError{errors.New("give exactly one INPUT (see -h)")}
	}
	o.Input = fs.Arg(0)
	switch {
	case o.Offline && o.TrustList == "":
		return usageError{errors.New("--offline needs --trust-list FILE (certledger trust-list export)")}
	case !o.Offline && o.Gateway == "":
		return usageError{errors.New("give --gateway URL to verify online, or --offline --trust-list FILE")}
	}
	data, err := readInput(o.Input)
	if err != nil {
		return usageError{err}
	}
	in, err := verifier.Read(data)
	if err != nil {
		// Input that is no credential, presentation or QR code says nothing
		// about any credential: 2, as for a missing file, and never the 1 of
		// a credential that was read and found not valid.
		return usageError{fmt.Errorf("%s: %w", o.Input, err)}
	}

	var rep verifier.Report
	if o.Offline {
		tl, notes, err := verifier.LoadTrustList(o.TrustList, verifier.TrustOptions{Anchor: o.Anchor, AnchorFile: o.AnchorFile})
		if err != nil {
			return notValid{fmt.Errorf("trust list %s: %w", o.TrustList, err)}
		}
		if rep, err = verifier.Offline(in, tl, time.Now(), o.TimeZone); err != nil {
			return notValid{err}
		}
		rep.Notes = append(notes, rep.Notes...)
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if rep, err = verifier.Online(ctx, &http.Client{Timeout: 30 * time.Second}, o.Gateway, in); err != nil {
			return notValid{err}
		}
	}
	rep.WriteText(os.Stdout)
	switch {
	case rep.Valid:
		return nil
	case authenticOffline(rep):
		return unconfirmed{errors.New("authentic, but its status is unknown until verified online")}
	}
	return notValid{errReported}
}

// authenticOffline reports whether an offline answer found the credential
// genuine: status unknown, with integrity and signature checked and good.
func authenticOffline(rep verifier.Report) bool {
	if rep.Online || rep.Status != credential.StatusUnknown {
		return false
	}
	seen := 0
	for _, c := range rep.Checks {
		switch c.Name {
		case credential.CheckIntegrity, credential.CheckSignature, credential.CheckIssuer, credential.CheckValidity:
			if !c.OK {
				return false
			}
			seen++
		}
	}
	return seen == 4
}

// readInput reads the INPUT file, or standard input for "-".
func readInput(path string) ([]byte, error) {
	var r io.Reader
	if path == "-" {
		r = os.Stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, verifier.MaxInputSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > verifier.MaxInputSize {
		return nil, fmt.Errorf("%s is larger than %d MiB", path, verifier.MaxInputSize>>20)
	}
	return data, nil
}
