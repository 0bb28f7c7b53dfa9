package atrest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// DemoFileName is the KEK a demo gateway generates in its own data folder.
// A key beside the data it protects protects nothing against whoever copies
// the folder; it only lets the demo run without setup.
const DemoFileName = "demo.kek"

// LoadOrCreateDemo returns the demo KEK of the data folder dir, generating
// it (mode 0600) when there is none; created says which.
func LoadOrCreateDemo(dir string) (k KEK, created bool, err error) {
	path := filepath.Join(dir, DemoFileName)
	k, err = LoadFile(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return k, false, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return KEK{}, false, fmt.Errorf("demo key-encryption key: %w", err)
	}
	k = Generate()
	if err := WriteFile(path, k); err != nil {
		return KEK{}, false, err
	}
	return k, true, nil
}
