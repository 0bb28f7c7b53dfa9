package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/gateway/atrest"
	"github.com/certledger/certledger/gateway/batchfile"
	bolt "go.etcd.io/bbolt"
)

// stateFixture fills one sealed state file under a KEK and checks it back
// under another.
type stateFixture struct {
	name string
	// fill writes data under kek and returns sealed bytes found in the
	// file, which must not stay in it after a rotation.
	fill func(t *testing.T, dir string, kek atrest.KEK) (sealed [][]byte)
	// check reads everything fill wrote, with kek.
	check func(t *testing.T, dir string, kek atrest.KEK)
	// open opens the store under kek and closes it again.
	open func(dir string, kek atrest.KEK) error
}

var webhookFixture = stateFixture{
	name: WebhooksFile,
	fill: func(t *testing.T, dir string, kek atrest.KEK) [][]byte {
		w, err := openWebhookStore(dir, kek)
		if err != nil {
			t.Fatal(err)
		}
		defer w.close()
		var sealed [][]byte
		for _, id := range []string{"wh_a", "wh_b"} {
			if err := w.create(webhookSub{ID: id, Dept: "mca", URL: "https://example.org/" + id, Events: []string{"issued"}}, "secret-of-"+id); err != nil {
				t.Fatal(err)
			}
			s, err := w.sub(id)
			if err != nil {
				t.Fatal(err)
			}
			sealed = append(sealed, s.Sealed)
		}
		items := []queued{{sub: "wh_a", d: webhookDelivery{MessageID: "m1", Event: "issued", State: deliveryPending}},
			{sub: "wh_a", d: webhookDelivery{MessageID: "m2", Event: "issued", State: deliveryPending}}}
		if err := w.enqueue(credential.FeedPosition{Block: 7, TxID: "tx7"}, items, 100); err != nil {
			t.Fatal(err)
		}
		return sealed
	},
	check: func(t *testing.T, dir string, kek atrest.KEK) {
		w, err := openWebhookStore(dir, kek)
		if err != nil {
			t.Fatal(err)
		}
		defer w.close()
		for _, id := range []string{"wh_a", "wh_b"} {
			s, err := w.sub(id)
			if err != nil {
				t.Fatal(err)
			}
			if secret, err := w.secret(s); err != nil || secret != "secret-of-"+id {
				t.Fatalf("secret of %s: %q, %v", id, secret, err)
			}
		}
		if pos, ok, err := w.position(); err != nil || !ok || pos.Block != 7 || pos.TxID != "tx7" {
			t.Fatalf("feed position: %+v %v %v", pos, ok, err)
		}
		ds, err := w.deliveries("wh_a", 10)
		if n := len(ds); err != nil || n < 2 || ds[n-1].MessageID != "m1" || ds[n-2].MessageID != "m2" || ds[n-2].Seq != 2 {
			t.Fatalf("deliveries: %+v, %v", ds, err)
		}
		// The queue's sequence survives, so new deliveries get new IDs.
		if nd, err := w.redeliver("wh_a", 1, time.Now(), 100); err != nil || nd.Seq != ds[0].Seq+1 {
			t.Fatalf("redeliver after rotation: seq %d after %d, %v", nd.Seq, ds[0].Seq, err)
		}
	},
	open: func(dir string, kek atrest.KEK) error {
		w, err := openWebhookStore(dir, kek)
		if err == nil {
			w.close()
		}
		return err
	},
}

var batchRows = []batchfile.Row{
	{Number: 2, Key: "r1", Body: batchfile.Body{Holder: &credential.Holder{Name: "张三", IDNumber: "110101199003074514"}}},
	{Number: 3, Key: "r2", Body: batchfile.Body{Holder: &credential.Holder{Name: "李四", IDNumber: "11010119900307451X"}}},
	{Number: 4, Key: "r3", Body: batchfile.Body{Holder: &credential.Holder{Name: "王五", IDNumber: "110101199003070011"}}},
}

var batchFixture = stateFixture{
	name: BatchesFile,
	fill: func(t *testing.T, dir string, kek atrest.KEK) [][]byte {
		b, err := openBatchStore(dir, kek)
		if err != nil {
			t.Fatal(err)
		}
		defer b.close()
		job := &batchJob{ID: "bt_1", Dept: "mca", Type: "licence", Status: batchRunning, Total: 4}
		if err := b.create(job, batchRows, []batchfile.Problem{{Row: 5, Detail: "bad row"}}); err != nil {
			t.Fatal(err)
		}
		job.Done = 1
		if err := b.record(job, []int{0}, []batchResult{{Row: 2, Key: "r1", ID: "cred-1"}},
			[]loggedRow{{0, importedRow{Key: "idem-r1", ID: "cred-1", RequestHash: "req-r1"}}}); err != nil {
			t.Fatal(err)
		}
		if err := b.mergeImported(); err != nil { // into the department's record
			t.Fatal(err)
		}
		if err := b.record(job, nil, nil, []loggedRow{{1, importedRow{Key: "idem-r2", ID: "cred-2", RequestHash: "req-r2"}}}); err != nil {
			t.Fatal(err) // in the job's log only
		}
		var sealed [][]byte
		err = b.db.View(func(tx *bolt.Tx) error {
			return eachValue(tx, func(path [][]byte, _, v []byte) error {
				if string(path[0]) != string(importedBucket) && string(path[0]) != string(importLogBucket) { // imported rows are not sealed
					sealed = append(sealed, bytes.Clone(v))
				}
				return nil
			})
		})
		if err != nil || len(sealed) != 6 { // job, three rows, two results
			t.Fatalf("%d sealed values, %v", len(sealed), err)
		}
		return sealed
	},
	check: func(t *testing.T, dir string, kek atrest.KEK) {
		b, err := openBatchStore(dir, kek)
		if err != nil {
			t.Fatal(err)
		}
		defer b.close()
		jobs, err := b.unfinished()
		if err != nil || len(jobs) != 1 || jobs[0].ID != "bt_1" || jobs[0].Done != 1 || jobs[0].Total != 4 {
			t.Fatalf("unfinished: %+v, %v", jobs, err)
		}
		var got []batchfile.Row
		if err := b.pending("bt_1", func(_ []int, rows []batchfile.Row) error { got = append(got, rows...); return nil }); err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(batchRows[1:])
		if have, _ := json.Marshal(got); !bytes.Equal(have, want) {
			t.Fatalf("pending rows:\n%s\nwant\n%s", have, want)
		}
		rs, err := b.results("bt_1")
		if err != nil || len(rs) != 2 || rs[0].ID != "cred-1" || rs[1].Error == nil || rs[1].Error.Detail != "bad row" {
			t.Fatalf("results: %+v, %v", rs, err)
		}
		// The job's log (row 2's) goes into the record as the job resumes.
		if err := b.mergeImported(); err != nil {
			t.Fatal(err)
		}
		found, ok, err := b.imported("mca", []string{"idem-r1", "idem-r2"})
		if err != nil || !ok[0] || !ok[1] || found[0] != (importedRow{Key: "idem-r1", ID: "cred-1", RequestHash: "req-r1"}) || found[1].ID != "cred-2" {
			t.Fatalf("imported rows: %+v %v, %v", found, ok, err)
		}
	},
	open: func(dir string, kek atrest.KEK) error {
		b, err := openBatchStore(dir, kek)
		if err == nil {
			b.close()
		}
		return err
	},
}

func TestRekeyStateFiles(t *testing.T) {
	if got := SealedStateFiles(); len(got) != 2 || got[0] != WebhooksFile || got[1] != BatchesFile {
		t.Fatalf("SealedStateFiles: %q", got)
	}
	for _, fx := range []stateFixture{webhookFixture, batchFixture} {
		t.Run(fx.name, func(t *testing.T) {
			dir, a, b := t.TempDir(), atrest.Generate(), atrest.Generate()
			path := filepath.Join(dir, fx.name)
			sealed := fx.fill(t, dir, a)

			if err := CheckStateFileKEK(dir, fx.name, a, b); err != nil {
				t.Fatalf("check before rotating: %v", err)
			}
			if changed, err := RekeyStateFile(dir, fx.name, a, b); err != nil || !changed {
				t.Fatalf("rekey: changed %v, %v", changed, err)
			}
			fx.check(t, dir, b)
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range sealed {
				if bytes.Contains(raw, s) {
					t.Fatal("a value sealed under the old KEK is still in the file")
				}
			}
			var wrong *atrest.WrongKEKError
			if err := fx.open(dir, a); !errors.As(err, &wrong) || wrong.Sealed != b.ID() || wrong.Given != a.ID() {
				t.Fatalf("open with the old KEK: %v, want a WrongKEKError naming both", err)
			}
			if _, err := os.Stat(path + stateRewriteSuffix); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("the rewrite file is left: %v", err)
			}

			// Running again leaves it alone; swapping the keys undoes it.
			if changed, err := RekeyStateFile(dir, fx.name, a, b); err != nil || changed {
				t.Fatalf("rekey again: changed %v, %v", changed, err)
			}
			if changed, err := RekeyStateFile(dir, fx.name, b, a); err != nil || !changed {
				t.Fatalf("rekey back: changed %v, %v", changed, err)
			}
			fx.check(t, dir, a)

			c := atrest.Generate()
			for _, err := range []error{CheckStateFileKEK(dir, fx.name, c, b), func() error { _, err := RekeyStateFile(dir, fx.name, c, b); return err }()} {
				if !errors.As(err, &wrong) || wrong.Sealed != a.ID() {
					t.Fatalf("from a KEK the file is not under: %v", err)
				}
			}
			if err := fx.open(dir, a); err != nil {
				t.Fatalf("a refused rotation changed the file: %v", err)
			}
		})
	}
}

// A file written before the stores recorded their KEK is told apart by
// which KEK its values open under.
func TestRekeyStateFileUnrecorded(t *testing.T) {
	for _, fx := range []stateFixture{webhookFixture, batchFixture} {
		t.Run(fx.name, func(t *testing.T) {
			dir, a, b := t.TempDir(), atrest.Generate(), atrest.Generate()
			fx.fill(t, dir, a)
			forget := func() {
				db, err := bolt.Open(filepath.Join(dir, fx.name), 0o600, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				if err := db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(stateMetaBucket) }); err != nil {
					t.Fatal(err)
				}
			}
			forget()
			if err := fx.open(dir, b); err == nil || !strings.Contains(err.Error(), "not sealed with the key-encryption key "+b.ID()) {
				t.Fatalf("open an unrecorded file with another KEK: %v", err)
			}
			if changed, err := RekeyStateFile(dir, fx.name, a, b); err != nil || !changed {
				t.Fatalf("rekey: changed %v, %v", changed, err)
			}
			fx.check(t, dir, b)
			forget()
			if changed, err := RekeyStateFile(dir, fx.name, a, b); err != nil || changed {
				t.Fatalf("rekey of an unrecorded file already under the new KEK: changed %v, %v", changed, err)
			}
			var wrong *atrest.WrongKEKError
			if err := fx.open(dir, a); !errors.As(err, &wrong) || wrong.Sealed != b.ID() {
				t.Fatalf("the KEK was not recorded: %v", err)
			}
		})
	}
}

func TestRekeyStateFileInUse(t *testing.T) {
	dir, a, b := t.TempDir(), atrest.Generate(), atrest.Generate()
	w, err := openWebhookStore(dir, a)
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	if _, err := RekeyStateFile(dir, WebhooksFile, a, b); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("rekey while a gateway holds the file: %v", err)
	}
}
