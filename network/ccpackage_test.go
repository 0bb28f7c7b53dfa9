package network

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"regexp"
	"testing"
)

func TestPackageIsDeterministic(t *testing.T) {
	l := layout{t.TempDir()}
	if err := generateChaincodeTLS(l); err != nil {
		t.Fatal(err)
	}
	n := newTopology(Options{BasePort: 7000, Consensus: Raft}).Chaincodes[0]
	id1, err := writePackage(l, n)
	if err != nil {
		t.Fatal(err)
	}
	id2, err := writePackage(l, n)
	if err != nil {
		t.Fatal(err)
	}
	if id1 != id2 {
		t.Fatalf("package IDs differ: %s, %s", id1, id2)
	}
	if !regexp.MustCompile(`^certledger_1\.0:[0-9a-f]{64}$`).MatchString(id1) {
		t.Fatalf("package ID %q", id1)
	}
	pkg, err := os.ReadFile(l.packageFile(*n.CC))
	if err != nil {
		t.Fatal(err)
	}
	files := untar(t, pkg)
	var meta map[string]string
	if err := json.Unmarshal(files["metadata.json"], &meta); err != nil || meta["type"] != "ccaas" || meta["label"] != "certledger_1.0" {
		t.Fatalf("metadata.json = %s (%v)", files["metadata.json"], err)
	}
	var conn ccaasConnection
	if err := json.Unmarshal(untar(t, files["code.tar.gz"])["connection.json"], &conn); err != nil {
		t.Fatal(err)
	}
	if conn.Address != n.address() || !conn.TLSRequired || conn.RootCert == "" {
		t.Fatalf("connection.json = %+v", conn)
	}
}

func untar(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	out := map[string][]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out[h.Name], _ = io.ReadAll(tr)
	}
}

func TestChaincodeTLSKeyIsPrivate(t *testing.T) {
	l := layout{t.TempDir()}
	if err := generateChaincodeTLS(l); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(l.chaincodeTLS("server.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("server.key mode %v (%v)", st.Mode(), err)
	}
}
