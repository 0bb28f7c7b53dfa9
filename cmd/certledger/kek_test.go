package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/certledger/certledger/gateway"
	"github.com/certledger/certledger/gateway/atrest"
	"github.com/certledger/certledger/gateway/keystore"
	"github.com/certledger/certledger/gateway/ledger/embedded"
	"github.com/certledger/certledger/gateway/provision"
	"github.com/certledger/certledger/network/scenario"
)

// serveProcess is `certledger serve` run as a user runs it.
type serveProcess struct {
	URL    string
	Stdout string // what it printed until it announced its address
	cmd    *exec.Cmd
	done   chan struct{}
}

// kekEnv is the environment without a key-encryption key or demo setting
// inherited from the machine running the tests.
func kekEnv() []string {
	return append(os.Environ(), "CERTLEDGER_KEK=", "CERTLEDGER_KEK_FILE=", "CERTLEDGER_DEMO=", "CERTLEDGER_GATEWAY=")
}

// startServe starts serve on a free port and waits for its announcement.
func startServe(t *testing.T, args ...string) *serveProcess {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = kekEnv()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serveProcess{cmd: cmd, done: make(chan struct{})}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		cmd.Wait()
		close(p.done)
	}()
	timeout := time.After(60 * time.Second)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("serve %q exited during start-up: %s\n%s", args, p.Stdout, stderr.String())
			}
			p.Stdout += line + "\n"
			if addr, found := strings.CutPrefix(line, "CertLedger gateway on "); found {
				p.URL = "http://" + strings.Fields(addr)[0]
				go func() {
					for range lines {
					}
				}()
				t.Cleanup(p.stop)
				return p
			}
		case <-timeout:
			cmd.Process.Kill()
			t.Fatalf("serve %q did not start: %s\n%s", args, p.Stdout, stderr.String())
		}
	}
}

func (p *serveProcess) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// runServeToExit runs serve that is expected to refuse to start.
func runServeToExit(t *testing.T, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = kekEnv()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	res := cliResult{Stdout: out.String(), Stderr: errb.String()}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ctx.Err() != nil {
		t.Fatalf("serve %q did not refuse to start: %v\n%s", args, err, res.Stderr)
	}
	res.Code = ee.ExitCode()
	return res
}

// mustHoldNone fails for each text found in the file at path.
func mustHoldNone(t *testing.T, path string, texts ...[]byte) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range texts {
		if bytes.Contains(raw, s) {
			t.Errorf("%s holds %q in clear", filepath.Base(path), s)
		}
	}
}

// seedForms are the signing seeds of the keystore in dir as they could
// show in a file: raw and in base64.
func seedForms(t *testing.T, dir string, kek atrest.KEK) [][]byte {
	t.Helper()
	ks, err := keystore.Open(dir, kek)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, dept := range []string{"gov", "samr", "edu", "hrss"} {
		for _, k := range ks.SigningKeys(dept) {
			out = append(out, k.Private.Seed(), []byte(base64.StdEncoding.EncodeToString(k.Private.Seed())))
		}
	}
	if len(out) == 0 {
		t.Fatal("the keystore holds no signing key: the search would prove nothing")
	}
	return append(out, ks.Secrets().HolderKey, []byte(base64.StdEncoding.EncodeToString(ks.Secrets().HolderKey)))
}

// The README's first command, `serve --demo` with nothing else, makes its
// own KEK, says so, and leaves no personal data or secret in clear.
func TestDemoServeEncryptsAtRest(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	p := startServe(t, "--demo", "--data", dir)
	kekPath := filepath.Join(dir, atrest.DemoFileName)
	mustContain(t, "serve's output", p.Stdout, "Demo key-encryption key", "generated in "+kekPath, "--kek-file")
	if fi, err := os.Stat(kekPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("demo KEK: %v", err)
	}
	kek, err := atrest.LoadFile(kekPath)
	if err != nil {
		t.Fatal(err)
	}
	r := scenario.NewClient(p.URL, time.Minute).Request(t, "POST", "/api/v1/credentials", readDemoKeys(t, dir)["edu"], map[string]any{
		"type":   "diploma",
		"holder": map[string]any{"name": "陈小梅", "idType": "resident_id", "idNumber": "350102199003071525"},
		"fields": map[string]any{"school": "福建师范大学", "major": "汉语言文学", "level": "本科", "graduatedOn": "2025-06-30", "certificateNumber": "103941202505000777"},
	})
	if r.Status != http.StatusCreated {
		t.Fatalf("issue: %d %s", r.Status, r.Body)
	}
	p.stop()
	personal := [][]byte{[]byte("350102199003071525"), []byte("陈小梅"), []byte("汉语言文学"), []byte("103941202505000777")}
	secrets := seedForms(t, dir, kek)
	for _, name := range []string{keystore.FileName, embedded.FileName} {
		mustHoldNone(t, filepath.Join(dir, name), append(personal, secrets...)...)
	}

	again := startServe(t, "--demo", "--data", dir)
	mustContain(t, "serve's output on the second start", again.Stdout, "Demo key-encryption key "+kek.ID()+": "+kekPath)
	if strings.Contains(again.Stdout, "generated") {
		t.Fatalf("the second start generated another KEK:\n%s", again.Stdout)
	}
	again.stop()

	res := runServeToExit(t, "--data", dir)
	if res.Code != 2 {
		t.Fatalf("serve without --demo or a KEK: exit %d", res.Code)
	}
	mustContain(t, "stderr", res.Stderr, "no key-encryption key", "kek generate", "--kek-file "+kekPath)

	other := filepath.Join(t.TempDir(), "other.kek")
	if res := runCLI(t, "kek", "generate", "-o", other); res.Code != 0 {
		t.Fatalf("kek generate: %d %s", res.Code, res.Stderr)
	}
	res = runServeToExit(t, "--data", dir, "--kek-file", other)
	if res.Code != 1 {
		t.Fatalf("serve with another KEK: exit %d", res.Code)
	}
	mustContain(t, "stderr", res.Stderr, keystore.FileName+" is encrypted with the key-encryption key "+kek.ID())
}

func readDemoKeys(t *testing.T, dir string) map[string]string {
	t.Helper()
	keys, err := provision.ReadDemoKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for d, k := range keys {
		out[d] = k.APIKey
	}
	return out
}

func TestKEKGenerate(t *testing.T) {
	res := runCLI(t, "kek", "generate")
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	if _, err := atrest.Parse(res.Stdout); err != nil {
		t.Fatalf("the printed key does not parse: %v", err)
	}
	path := filepath.Join(t.TempDir(), "kek.b64")
	if res := runCLI(t, "kek", "generate", "-o", path); res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	k, err := atrest.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if res := runCLI(t, "kek", "generate", "-o", path); res.Code != 1 {
		t.Fatalf("generate over an existing file: exit %d", res.Code)
	}
	if again, _ := atrest.LoadFile(path); again.ID() != k.ID() {
		t.Fatal("generate replaced an existing key file")
	}
	for _, args := range [][]string{{"kek"}, {"kek", "spin"}, {"kek", "generate", "extra"}} {
		if res := runCLI(t, args...); res.Code != 2 {
			t.Errorf("%q: exit %d, want 2", args, res.Code)
		}
	}
}

func newKEKFile(t *testing.T) (string, atrest.KEK) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kek.b64")
	k := atrest.Generate()
	if err := atrest.WriteFile(path, k); err != nil {
		t.Fatal(err)
	}
	return path, k
}

func TestKEKRotate(t *testing.T) {
	g := startGateway(t)
	issued := g.issueLicence(t, "福州旋转测试有限公司")
	g.stop()
	dir, oldFile := g.Dir, demoKEKFile(g.Dir)
	newFile, newKEK := newKEKFile(t)
	trustList := func(kekFile string) cliResult {
		return runCLI(t, "trust-list", "export", "--data", dir, "--kek-file", kekFile)
	}

	res := runCLI(t, "kek", "rotate", "--data", dir, "--kek-file", oldFile, "--new-kek-file", newFile)
	if res.Code != 0 {
		t.Fatalf("rotate: exit %d: %s", res.Code, res.Stderr)
	}
	mustContain(t, "rotate's output", res.Stdout, embedded.FileName+": encrypted with "+newKEK.ID(), keystore.FileName+": encrypted with "+newKEK.ID(), "--kek-file "+newFile)
	if _, err := os.Stat(filepath.Join(dir, rotationJournalName)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the journal is left behind: %v", err)
	}
	if res := trustList(oldFile); res.Code != 1 || !strings.Contains(res.Stderr, "encrypted with the key-encryption key "+newKEK.ID()) {
		t.Fatalf("trust-list with the old KEK: exit %d: %s", res.Code, res.Stderr)
	}
	if res := trustList(newFile); res.Code != 0 {
		t.Fatalf("trust-list with the new KEK: exit %d: %s", res.Code, res.Stderr)
	}
	l, err := embedded.Open(dir, newKEK)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := l.Document(context.Background(), "", issued.ID)
	l.Close()
	if err != nil || doc.Holder().Name != "福州旋转测试有限公司" {
		t.Fatalf("the document after rotation: %v", err)
	}

	res = runCLI(t, "kek", "rotate", "--data", dir, "--kek-file", oldFile, "--new-kek-file", newFile)
	if res.Code != 0 {
		t.Fatalf("rotate again: exit %d: %s", res.Code, res.Stderr)
	}
	mustContain(t, "the second rotation's output", res.Stdout, embedded.FileName+": already encrypted", keystore.FileName+": already encrypted")

	outer := t
	t.Run("interrupted", func(t *testing.T) {
		thirdFile, third := newKEKFile(outer) // the next subtest uses it
		// A crash after the ledger was rewritten and before the keystore.
		if err := startRotation(dir, newKEK, third); err != nil {
			t.Fatal(err)
		}
		if _, err := embedded.Rekey(dir, newKEK, third); err != nil {
			t.Fatal(err)
		}
		for _, kekFile := range []string{newFile, thirdFile} {
			res := runServeToExit(t, "--data", dir, "--kek-file", kekFile)
			if res.Code != 1 || !strings.Contains(res.Stderr, "did not finish") || !strings.Contains(res.Stderr, "kek rotate") {
				t.Fatalf("serve on a half-rotated folder: exit %d: %s", res.Code, res.Stderr)
			}
		}
		if res := runCLI(t, "kek", "rotate", "--data", dir, "--kek-file", oldFile, "--new-kek-file", thirdFile); res.Code != 1 ||
			!strings.Contains(res.Stderr, "unfinished rotation") {
			t.Fatalf("rotate with other keys over an unfinished rotation: exit %d: %s", res.Code, res.Stderr)
		}
		res := runCLI(t, "kek", "rotate", "--data", dir, "--kek-file", newFile, "--new-kek-file", thirdFile)
		if res.Code != 0 {
			t.Fatalf("finishing the rotation: exit %d: %s", res.Code, res.Stderr)
		}
		mustContain(t, "the finishing rotation's output", res.Stdout, embedded.FileName+": already encrypted with "+third.ID(), keystore.FileName+": encrypted with "+third.ID())
		if res := trustList(thirdFile); res.Code != 0 {
			t.Fatalf("trust-list after finishing: exit %d: %s", res.Code, res.Stderr)
		}
		newFile = thirdFile
	})

	t.Run("refused before anything changes", func(t *testing.T) {
		nextFile, _ := newKEKFile(t)
		wrongFile, _ := newKEKFile(t)
		held, err := embedded.Open(dir, mustLoadKEK(t, newFile))
		if err != nil {
			t.Fatal(err)
		}
		res := runCLI(t, "kek", "rotate", "--data", dir, "--kek-file", newFile, "--new-kek-file", nextFile)
		held.Close()
		if res.Code != 1 || !strings.Contains(res.Stderr, "in use") || !strings.Contains(res.Stderr, "nothing was changed") {
			t.Fatalf("rotate while the ledger is open: exit %d: %s", res.Code, res.Stderr)
		}
		if res := runCLI(t, "kek", "rotate", "--data", dir, "--kek-file", wrongFile, "--new-kek-file", nextFile); res.Code != 1 ||
			!strings.Contains(res.Stderr, "nothing was changed") {
			t.Fatalf("rotate from a KEK the folder is not under: exit %d: %s", res.Code, res.Stderr)
		}
		if _, err := os.Stat(filepath.Join(dir, rotationJournalName)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("a refused rotation left a journal: %v", err)
		}
		if res := trustList(newFile); res.Code != 0 {
			t.Fatalf("after refused rotations: exit %d: %s", res.Code, res.Stderr)
		}
		for _, args := range [][]string{
			{"kek", "rotate", "--data", dir, "--new-kek-file", nextFile},
			{"kek", "rotate", "--data", dir, "--kek-file", newFile},
			{"kek", "rotate", "--data", dir, "--kek-file", newFile, "--new-kek-file", newFile},
			{"kek", "rotate", "--data", t.TempDir(), "--kek-file", newFile, "--new-kek-file", nextFile},
		} {
			if res := runCLI(t, args...); res.Code != 2 {
				t.Errorf("%q: exit %d, want 2: %s", args, res.Code, res.Stderr)
			}
		}
	})
}

func mustLoadKEK(t *testing.T, path string) atrest.KEK {
	t.Helper()
	k, err := atrest.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// A data folder written by the release before encryption at rest: serve
// seals both files on its first start and answers from them as before.
func TestServeSealsAnOldDataFolder(t *testing.T) {
	fixture := filepath.Join("..", "..", "gateway", "ledger", "embedded", "testdata", "format1")
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{keystore.FileName, "demo-keys.json", embedded.TipFileName, embedded.FileName + ".gz"} {
		raw, err := os.ReadFile(filepath.Join(fixture, name))
		if err != nil {
			t.Fatal(err)
		}
		if n, ok := strings.CutSuffix(name, ".gz"); ok {
			zr, err := gzip.NewReader(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			if raw, err = io.ReadAll(zr); err != nil {
				t.Fatal(err)
			}
			name = n
		}
		if err := os.WriteFile(filepath.Join(dir, name), raw, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var old struct {
		SigningKeys []struct {
			Seed string `json:"seed"`
		} `json:"signingKeys"`
		HolderKey string `json:"holderKey"`
	}
	raw, _ := os.ReadFile(filepath.Join(dir, keystore.FileName))
	if err := json.Unmarshal(raw, &old); err != nil || len(old.SigningKeys) == 0 {
		t.Fatalf("the old keystore: %v", err)
	}
	secrets := [][]byte{[]byte(old.HolderKey)}
	for _, k := range old.SigningKeys {
		secrets = append(secrets, []byte(k.Seed))
	}
	personal := [][]byte{[]byte("91350100M000100Y43"), []byte("11010519491231002X"), []byte("李四")}
	kekFile, _ := newKEKFile(t)

	p := startServe(t, "--data", dir, "--kek-file", kekFile)
	var creds []struct {
		VerifyURL string `json:"verifyUrl"`
	}
	raw, _ = os.ReadFile(filepath.Join(fixture, "credentials.json"))
	if err := json.Unmarshal(raw, &creds); err != nil || len(creds) != 2 {
		t.Fatalf("credentials.json: %v", err)
	}
	// The diploma's QR text: its token was made with the old keystore's
	// token key, its document is read from the sealed private data.
	r := scenario.NewClient(p.URL, time.Minute).Request(t, "POST", "/api/v1/verify", "", map[string]any{"qr": creds[1].VerifyURL})
	if r.Status != http.StatusOK || !bytes.Contains(r.Body, []byte("李四")) || !bytes.Contains(r.Body, []byte(`"valid":true`)) {
		t.Fatalf("verifying the old diploma: %d %s", r.Status, r.Body)
	}
	p.stop()
	mustHoldNone(t, filepath.Join(dir, keystore.FileName), secrets...)
	mustHoldNone(t, filepath.Join(dir, embedded.FileName), personal...)
}

// The gateway's sealed state files (webhook secrets, bulk imports) are
// rotated with the rest of the folder, and what they hold survives.
func TestKEKRotateStateFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	p := startServe(t, "--demo", "--data", dir)
	key := readDemoKeys(t, dir)["samr"]
	c := scenario.NewClient(p.URL, time.Minute)
	r := c.Request(t, "POST", "/api/v1/subscriptions", key, map[string]any{"url": "http://127.0.0.1:9/hook", "events": []string{"issued"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("subscribe: %d %s", r.Status, r.Body)
	}
	var sub struct{ ID string }
	r.JSON(t, &sub)
	csv := "key,holder.name,holder.idType,holder.idNumber,validFrom,validUntil,companyName,entityType,legalRepresentative,registeredCapital,establishedOn,address\n" +
		"r1,福州旋转导入有限公司,uscc,91350100M000100Y43,2024-01-01,2034-01-01,福州旋转导入有限公司,有限责任公司,张三,500,2020-03-15,福建省福州市鼓楼区五四路100号\n"
	r = c.Request(t, "POST", "/api/v1/batches?type=business-licence", key, csv, "Content-Type", "text/csv")
	if r.Status != http.StatusAccepted {
		t.Fatalf("import: %d %s", r.Status, r.Body)
	}
	var batch struct{ ID, Status string }
	r.JSON(t, &batch)
	for deadline := time.Now().Add(30 * time.Second); batch.Status != "done"; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the import did not finish: %+v", batch)
		}
		c.Request(t, "GET", "/api/v1/batches/"+batch.ID, key, nil).JSON(t, &batch)
	}
	p.stop()

	oldFile, oldKEK := filepath.Join(dir, atrest.DemoFileName), mustLoadKEK(t, filepath.Join(dir, atrest.DemoFileName))
	newFile, newKEK := newKEKFile(t)
	res := runCLI(t, "kek", "rotate", "--data", dir, "--kek-file", oldFile, "--new-kek-file", newFile)
	if res.Code != 0 {
		t.Fatalf("rotate: exit %d: %s", res.Code, res.Stderr)
	}
	mustContain(t, "rotate's output", res.Stdout, gateway.WebhooksFile+": encrypted with "+newKEK.ID(), gateway.BatchesFile+": encrypted with "+newKEK.ID())
	var wrong *atrest.WrongKEKError
	if err := gateway.CheckStateFileKEK(dir, gateway.WebhooksFile, oldKEK, atrest.Generate()); !errors.As(err, &wrong) || wrong.Sealed != newKEK.ID() {
		t.Fatalf("%s after rotation, checked against the old KEK: %v", gateway.WebhooksFile, err)
	}

	// A crash after webhooks.db was rewritten: running again finishes.
	thirdFile, third := newKEKFile(t)
	if err := startRotation(dir, newKEK, third); err != nil {
		t.Fatal(err)
	}
	if _, err := gateway.RekeyStateFile(dir, gateway.WebhooksFile, newKEK, third); err != nil {
		t.Fatal(err)
	}
	if res := runServeToExit(t, "--data", dir, "--kek-file", thirdFile); res.Code != 1 || !strings.Contains(res.Stderr, "did not finish") {
		t.Fatalf("serve on a half-rotated folder: exit %d: %s", res.Code, res.Stderr)
	}
	res = runCLI(t, "kek", "rotate", "--data", dir, "--kek-file", newFile, "--new-kek-file", thirdFile)
	if res.Code != 0 {
		t.Fatalf("finishing the rotation: exit %d: %s", res.Code, res.Stderr)
	}
	mustContain(t, "the finishing rotation's output", res.Stdout, gateway.WebhooksFile+": already encrypted with "+third.ID(),
		gateway.BatchesFile+": encrypted with "+third.ID(), keystore.FileName+": encrypted with "+third.ID())

	again := startServe(t, "--data", dir, "--kek-file", thirdFile)
	defer again.stop()
	c = scenario.NewClient(again.URL, time.Minute)
	if r := c.Request(t, "GET", "/api/v1/subscriptions/"+sub.ID, key, nil); r.Status != http.StatusOK {
		t.Fatalf("the subscription after rotation: %d %s", r.Status, r.Body)
	}
	r = c.Request(t, "GET", "/api/v1/batches/"+batch.ID+"/results", key, nil)
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"r1"`) {
		t.Fatalf("the import's results after rotation: %d %s", r.Status, r.Body)
	}
}
