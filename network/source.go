package network

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// errNoSource is returned when the CertLedger source tree cannot be found.
var errNoSource = errors.New("source tree not found (set CERTLEDGER_SOURCE to the repository root)")

const moduleLine = "module github.com/certledger/certledger"

// sourceRoot finds the CertLedger repository root: $CERTLEDGER_SOURCE, the
// folder this package was compiled from, or the working directory or one of
// its parents.
func sourceRoot() (string, error) {
	var candidates []string
	if d := os.Getenv("CERTLEDGER_SOURCE"); d != "" {
		candidates = append(candidates, d)
	}
	if d, ok := compiledSourceDir(); ok {
		candidates = append(candidates, d)
	}
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			candidates = append(candidates, d)
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	for _, d := range candidates {
		if isSourceRoot(d) {
			return d, nil
		}
	}
	return "", errNoSource
}

func isSourceRoot(dir string) bool {
	f, err := os.Open(filepath.Join(dir, "go.mod"))
	if err != nil {
		return false
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if line := strings.TrimSpace(s.Text()); line != "" && !strings.HasPrefix(line, "//") {
			return line == moduleLine
		}
	}
	return false
}

// compiledSourceDir is the repository root this package was compiled from,
// when the binary was built without -trimpath from a checkout that still
// exists (go test, go run, go build in the repository).
func compiledSourceDir() (string, bool) {
	_, file, _, ok := runtime.Caller(0)
	if !ok || !filepath.IsAbs(file) {
		return "", false
	}
	return filepath.Dir(filepath.Dir(file)), true
}
