package embedded

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
	"github.com/certledger/certledger/gateway/atrest"
	bolt "go.etcd.io/bbolt"
)

// The folder in testdata/format1 (see its README): a ledger of format 1,
// written by the release before private values were sealed.
const format1Entries = 10

var format1PersonalData = []string{"91350100M000100Y43", "11010519491231002X", "李四", "福州数字未来科技有限公司", "计算机科学与技术"}

// format1Folder copies the format 1 folder into a new temporary folder.
func format1Folder(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	src, err := os.Open(filepath.Join("testdata", "format1", "ledger.db.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	zr, err := gzip.NewReader(src)
	if err != nil {
		t.Fatal(err)
	}
	db, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	tip, err := os.ReadFile(filepath.Join("testdata", "format1", TipFileName))
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{FileName: db, TipFileName: tip} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func rawLedger(t *testing.T, dir string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// mustHoldNone fails for every text of personal data found in the file
// bytes raw, in UTF-8 as the documents' JSON holds it.
func mustHoldNone(t *testing.T, raw []byte, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if n := bytes.Count(raw, []byte(s)); n > 0 {
			t.Errorf("ledger.db holds %q in clear %d times", s, n)
		}
	}
}

// storedPrivate returns the private bucket of the closed ledger in dir as
// stored.
func storedPrivate(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, FileName), 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := map[string][]byte{}
	_ = db.View(func(btx *bolt.Tx) error {
		return btx.Bucket(bucketPrivate).ForEach(func(k, v []byte) error {
			out[string(k)] = bytes.Clone(v)
			return nil
		})
	})
	return out
}

// personDiploma is a diploma of a person, with a resident ID number.
func (f *fixture) personDiploma(name, idNumber string) *credential.Document {
	f.t.Helper()
	d := f.depts[demo.Education]
	doc, err := credential.Issue(credential.IssueParams{
		Type: f.types["diploma"], Issuer: d,
		Holder: credential.Holder{Name: name, IDType: credential.IDResidentCard, IDNumber: idNumber},
		Fields: map[string]string{"school": "福建师范大学", "major": "汉语言文学", "level": "本科",
			"graduatedOn": "2025-06-30", "certificateNumber": "103941202505000777"},
		IssuedAt: f.clock.Now(),
	}, d.Keys[0].ID, f.keys[demo.Education])
	if err != nil {
		f.t.Fatal(err)
	}
	return doc
}

func TestLedgerFileHoldsNoPersonalData(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	doc := f.personDiploma("陈小梅", "350102199003071525")
	rec := f.issue(doc)
	f.issue(f.licence("福州海峡数据有限公司"))
	if _, err := f.ledger.ChangeStatus(ctx, f.msp(demo.Education), rec.ID, credential.StatusChange{Action: credential.ActionSuspend, Reason: "核查"}); err != nil {
		t.Fatal(err)
	}
	got, err := f.ledger.Document(ctx, "", rec.ID)
	if err != nil || got.Holder().IDNumber != "350102199003071525" {
		t.Fatalf("the document does not read back: %v", err)
	}
	if err := f.ledger.Close(); err != nil {
		t.Fatal(err)
	}
	raw := rawLedger(t, f.dir)
	mustHoldNone(t, raw, "350102199003071525", "陈小梅", "汉语言文学", "103941202505000777", "福州海峡数据有限公司", "91110000802100433B", `"idNumber"`)
	// The public record is in clear, as on every Fabric peer.
	if !bytes.Contains(raw, []byte(rec.ID)) {
		t.Fatal("the public record is not in the file: the search would find nothing anyway")
	}
	for k, v := range storedPrivate(t, f.dir) {
		if bytes.Contains(v, []byte(`"`)) && bytes.HasPrefix(v, []byte("{")) {
			t.Errorf("private value %s is stored as JSON", k)
		}
	}
}

func TestOpenRefusesAnotherKEK(t *testing.T) {
	dir, _, _ := issued(t)
	before := rawLedger(t, dir)
	other := atrest.Generate()
	_, err := Open(dir, other)
	var wrong *atrest.WrongKEKError
	if !errors.As(err, &wrong) || wrong.Sealed != testKEK.ID() || wrong.Given != other.ID() {
		t.Fatalf("Open with another KEK: %v, want a *WrongKEKError naming %s and %s", err, testKEK.ID(), other.ID())
	}
	for _, want := range []string{filepath.Join(dir, FileName), testKEK.ID(), other.ID(), "--kek-file"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if _, verr := Verify(dir, other); !errors.As(verr, &wrong) {
		t.Fatalf("Verify with another KEK: %v", verr)
	}
	if !bytes.Equal(before, rawLedger(t, dir)) {
		t.Fatal("a refused Open changed ledger.db")
	}
	if _, err := Open(dir, atrest.KEK{}); err == nil || !strings.Contains(err.Error(), "kek generate") {
		t.Fatalf("Open without a KEK: %v, want a refusal saying how to make one", err)
	}
}

func TestAlteredOrMovedPrivateValueIsRefused(t *testing.T) {
	tests := []struct {
		name   string
		change func(b *bolt.Bucket, keys []string) error
	}{
		{"a byte of a sealed document flipped", func(b *bolt.Bucket, keys []string) error {
			v := bytes.Clone(b.Get([]byte(keys[0])))
			v[len(v)/2] ^= 1
			return b.Put([]byte(keys[0]), v)
		}},
		{"two sealed documents swapped", func(b *bolt.Bucket, keys []string) error {
			v0, v1 := bytes.Clone(b.Get([]byte(keys[0]))), bytes.Clone(b.Get([]byte(keys[1])))
			return errors.Join(b.Put([]byte(keys[0]), v1), b.Put([]byte(keys[1]), v0))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, _, _ := issued(t)
			edit(t, dir, func(btx *bolt.Tx) error {
				b := btx.Bucket(bucketPrivate)
				var keys []string
				_ = b.ForEach(func(k, _ []byte) error { keys = append(keys, string(k)); return nil })
				return tt.change(b, keys)
			})
			_, err := Open(dir, testKEK)
			var ce *ChainError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), "does not decrypt") {
				t.Fatalf("Open: %v, want a *ChainError saying a private value does not decrypt", err)
			}
		})
	}
}

// format1Credentials reads the identifiers of the format 1 folder's
// credentials: the business licence (suspended), then the diploma.
func format1Credentials(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "format1", "credentials.json"))
	if err != nil {
		t.Fatal(err)
	}
	var creds []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(raw, &creds); err != nil || len(creds) != 2 {
		t.Fatalf("credentials.json: %v", err)
	}
	return []string{creds[0].ID, creds[1].ID}
}

func TestFormat1FolderIsSealedOnOpen(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, dir string)
	}{
		{"format recorded", func(*testing.T, string) {}},
		{"from before the format record", func(t *testing.T, dir string) {
			edit(t, dir, func(btx *bolt.Tx) error { return btx.DeleteBucket(bucketMeta) })
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			dir := format1Folder(t)
			tt.prepare(t, dir)
			raw := rawLedger(t, dir)
			for _, s := range format1PersonalData {
				if !bytes.Contains(raw, []byte(s)) {
					t.Fatalf("the format 1 folder does not hold %q: the test would prove nothing", s)
				}
			}
			tipBefore, _ := os.ReadFile(filepath.Join(dir, TipFileName))
			l, err := Open(dir, testKEK)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			// One more: the governance transaction that lists the
			// records in the holder index.
			if n, err := l.VerifyChain(); err != nil || n != format1Entries+1 {
				t.Fatalf("VerifyChain: %d, %v; want %d entries", n, err, format1Entries+1)
			}
			ids := format1Credentials(t)
			for i, want := range []string{"91350100M000100Y43", "11010519491231002X"} {
				doc, err := l.Document(ctx, "", ids[i])
				if err != nil || doc.Holder().IDNumber != want {
					t.Fatalf("document %s after sealing: holder %q, %v; want %s", ids[i], doc.Holder().IDNumber, err, want)
				}
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			mustHoldNone(t, rawLedger(t, dir), format1PersonalData...)
			if got := storedFormat(t, dir); got != "4" {
				t.Fatalf("format record %q after sealing and indexing", got)
			}
			// Sealing leaves the log as it was; only the index's one
			// transaction moves the tip.
			if tipAfter, _ := os.ReadFile(filepath.Join(dir, TipFileName)); bytes.Equal(tipBefore, tipAfter) {
				t.Fatal("ledger.tip did not move past the holder index's transaction")
			}
			if _, err := os.Stat(filepath.Join(dir, FileName+RewriteSuffix)); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("the rewrite's file is left behind: %v", err)
			}
			// The log goes on from where format 1 left it.
			if l, err = Open(dir, testKEK); err != nil {
				t.Fatal(err)
			}
			rec, err := l.ChangeStatus(ctx, demo.Departments()[1].MSPID, ids[0], credential.StatusChange{Action: credential.ActionReinstate})
			if err != nil || rec.Status != credential.StatusValid {
				t.Fatalf("reinstating after sealing: %+v, %v", rec, err)
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			if n, err := Verify(dir, testKEK); err != nil || n != format1Entries+2 {
				t.Fatalf("Verify: %d, %v; want %d entries", n, err, format1Entries+2)
			}
		})
	}
}
