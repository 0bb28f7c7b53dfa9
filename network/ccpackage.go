package network

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// ccaasConnection is the connection.json a CCaaS package carries: where the
// peer dials the chaincode server, and the CA that signed its certificate.
type ccaasConnection struct {
	Address     string `json:"address"`
	DialTimeout string `json:"dial_timeout"`
	TLSRequired bool   `json:"tls_required"`
	RootCert    string `json:"root_cert"`
}

func (l layout) packageFile(cc chaincode) string {
	return filepath.Join(l.chaincodeDir(cc.Name), cc.label()+".tar.gz")
}

// writePackage writes the chaincode package of a chaincode server node and
// returns its package ID. The package is byte-for-byte deterministic (fixed
// timestamps, no gzip name), so writing it again on a later Up yields the
// same package ID as the one already installed and approved.
func writePackage(l layout, n node) (string, error) {
	ca, err := os.ReadFile(l.chaincodeTLS("ca.crt"))
	if err != nil {
		return "", err
	}
	conn, err := json.MarshalIndent(ccaasConnection{
		Address: n.address(), DialTimeout: "10s", TLSRequired: true, RootCert: string(ca),
	}, "", "  ")
	if err != nil {
		return "", err
	}
	code, err := tarGz(map[string][]byte{"connection.json": conn})
	if err != nil {
		return "", err
	}
	meta, err := json.Marshal(map[string]string{"type": "ccaas", "label": n.CC.label()})
	if err != nil {
		return "", err
	}
	pkg, err := tarGz(map[string][]byte{"metadata.json": meta, "code.tar.gz": code})
	if err != nil {
		return "", err
	}
	if err := writeFileAtomic(l.packageFile(*n.CC), pkg, 0o644); err != nil {
		return "", err
	}
	return packageID(n.CC.label(), pkg), nil
}

// packageID is Fabric's package ID: label and SHA-256 of the package bytes.
func packageID(label string, pkg []byte) string {
	return fmt.Sprintf("%s:%x", label, sha256.Sum256(pkg))
}

// tarGz archives files in name order with fixed metadata.
func tarGz(files map[string][]byte) ([]byte, error) {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, name := range sortedKeys(files) {
		hdr := &tar.Header{Name: name, Mode: 0o644, Size: int64(len(files[name])),
			ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg, Format: tar.FormatUSTAR}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(files[name]); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
