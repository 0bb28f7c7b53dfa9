package verifier_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
	"github.com/certledger/certledger/credential/verifier"
)

type fixture struct {
	reg    credential.Registry
	govKey ed25519.PrivateKey
	samr   ed25519.PrivateKey
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	f := fixture{}
	_, f.govKey, _ = ed25519.GenerateKey(nil)
	_, f.samr, _ = ed25519.GenerateKey(nil)
	f.reg = credential.Registry{Departments: demo.Departments(), Types: demo.Types()}
	for i, d := range f.reg.Departments {
		key := f.samr
		if d.ID == demo.Governance {
			key = f.govKey
		}
		f.reg.Departments[i].Keys = []credential.Key{{ID: d.ID + "-k1", PublicKey: base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey)),
			ValidFrom: time.Unix(0, 0), Status: credential.KeyActive}}
	}
	return f
}

func (f fixture) list(t *testing.T, seq uint64, issued time.Time) []byte {
	t.Helper()
	tl, err := credential.NewTrustList(f.reg, demo.Governance, seq, issued, issued.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	b, err := tl.Sign(demo.Governance+"-k1", f.govKey)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (f fixture) licence(t *testing.T) *credential.Document {
	t.Helper()
	dept, _ := f.reg.Department(demo.Market)
	typ, _ := f.reg.Type("business-licence")
	d, err := credential.Issue(credential.IssueParams{Type: typ, Issuer: dept, IssuedAt: time.Now(),
		Holder: credential.Holder{Name: "测试有限公司", IDType: "uscc", IDNumber: "91350100M000100Y43"},
		Fields: map[string]string{"companyName": "测试有限公司", "entityType": "有限责任公司", "legalRepresentative": "张三",
			"establishedOn": "2020-03-15", "address": "福州"}}, dept.ID+"-k1", f.samr)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestTrustOnFirstUseRefusesRollback(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "trust.jws")
	now := time.Now()
	write := func(b []byte) {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	older, newer := f.list(t, 1, now.Add(-time.Hour)), f.list(t, 2, now)
	write(newer)
	tl, notes, err := verifier.LoadTrustList(path, verifier.TrustOptions{})
	if err != nil || tl.Sequence != 2 || len(notes) != 1 || !strings.Contains(notes[0], "first use") {
		t.Fatalf("%v %v", notes, err)
	}
	if _, notes, err := verifier.LoadTrustList(path, verifier.TrustOptions{}); err != nil || len(notes) != 0 {
		t.Fatalf("second use: %v %v", notes, err)
	}
	write(older)
	if _, _, err := verifier.LoadTrustList(path, verifier.TrustOptions{}); err == nil || !strings.Contains(err.Error(), "rollback") {
		t.Fatalf("an older list was accepted: %v", err)
	}
	// A list signed by another governance key does not verify with the
	// recorded anchors.
	other := newFixture(t)
	write(other.list(t, 3, now))
	if _, _, err := verifier.LoadTrustList(path, verifier.TrustOptions{}); err == nil {
		t.Fatal("a foreign list was accepted")
	}
}

func TestReadAndOffline(t *testing.T) {
	f := newFixture(t)
	gov, _ := f.reg.Department(demo.Governance)
	tl, err := credential.ParseTrustList(f.list(t, 1, time.Now()), gov.Keys)
	if err != nil {
		t.Fatal(err)
	}
	d := f.licence(t)
	p, _ := d.Present([]string{"companyName"})
	compact, err := credential.EncodeCompact(p)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		input    string
		kind     verifier.Kind
		status   credential.Status
		withheld bool
	}{
		{"compact", compact, verifier.KindCompact, credential.StatusUnknown, true},
		{"compact with spaces", "\n  " + compact + "\n", verifier.KindCompact, credential.StatusUnknown, true},
		{"document", string(mustJSON(t, d)), verifier.KindDocument, credential.StatusUnknown, false},
		{"wrapped presentation", `{"presentation": ` + string(mustJSON(t, p)) + `}`, verifier.KindPresentation, credential.StatusUnknown, true},
		{"payload member", `{"payload": "` + compact + `"}`, verifier.KindCompact, credential.StatusUnknown, true},
		{"identifier", d.ID, verifier.KindReference, credential.StatusUnknown, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in, err := verifier.Read([]byte(tc.input))
			if err != nil || in.Kind != tc.kind {
				t.Fatalf("%v %v", in.Kind, err)
			}
			r, err := verifier.Offline(in, tl, time.Now(), time.UTC)
			if err != nil || r.Status != tc.status || r.Valid || (len(r.Withheld) > 0) != tc.withheld {
				t.Fatalf("%+v %v", r, err)
			}
		})
	}
	t.Run("signed with an unregistered key", func(t *testing.T) {
		_, rogue, _ := ed25519.GenerateKey(nil)
		forged := *d
		if err := forged.Sign(d.Proof.KeyID, rogue); err != nil {
			t.Fatal(err)
		}
		r, err := verifier.Offline(verifier.Input{Kind: verifier.KindDocument, Document: &forged}, tl, time.Now(), time.UTC)
		if err != nil || r.Status != credential.StatusForged || r.Checks[1].Name != credential.CheckSignature || r.Checks[1].OK {
			t.Fatalf("%+v %v", r, err)
		}
	})
	for _, bad := range []string{"", "hello", "{}", `{"proof": 1}`, "CL1:!!!", "\x89PNG\r\n\x1a\nnot really"} {
		in, err := verifier.Read([]byte(bad))
		if err == nil {
			if _, err = verifier.Offline(in, tl, time.Now(), time.UTC); err == nil {
				t.Errorf("%q was accepted", bad)
			}
		}
	}
}

// FuzzRead feeds arbitrary bytes to the input recognizer: it must never
// panic, and what it accepts must be one of the kinds.
func FuzzRead(f *testing.F) {
	f.Add([]byte("CL1:6BFOXN*TS0BI$ZD4N9"))
	f.Add([]byte(`{"presentation": {"format": "certledger/v1", "proof": {}}}`))
	f.Add([]byte("https://verify.example/v/1.2.156.3005.2.11100000MB02000124001.11100000MB02000124.ABC.001.X?t=abc"))
	f.Add([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := verifier.Read(data)
		if err != nil {
			return
		}
		switch in.Kind {
		case verifier.KindDocument, verifier.KindPresentation:
			if in.Document == nil {
				t.Fatal("document kind without a document")
			}
		case verifier.KindCompact, verifier.KindReference:
			if in.Text == "" {
				t.Fatal("text kind without text")
			}
		default:
			t.Fatalf("kind %q", in.Kind)
		}
	})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
