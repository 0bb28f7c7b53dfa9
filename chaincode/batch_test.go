package chaincode

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
)

// batchFixture issues business licences as samr on a provisioned memLedger.
type batchFixture struct {
	t   *testing.T
	l   *memLedger
	key ed25519.PrivateKey
	reg credential.Registry
}

func newBatchFixture(t *testing.T) *batchFixture {
	l, key := provisioned(t)
	reg, err := GetRegistry(l.tx("", t0, "", nil))
	if err != nil {
		t.Fatal(err)
	}
	return &batchFixture{t: t, l: l, key: key, reg: reg}
}

// request returns a signed licence request; idem and seq are optional.
func (f *batchFixture) request(company, idem string, seq uint64) credential.IssueRequest {
	samr, _ := f.reg.Department(demo.Market)
	licence, _ := f.reg.Type("business-licence")
	doc, err := credential.Issue(credential.IssueParams{Type: licence, Issuer: samr, IssuedAt: t0,
		Holder: credential.Holder{Name: company, IDType: credential.IDUSCC, IDNumber: "91110000802100433B"},
		Fields: map[string]string{"companyName": company, "entityType": "有限责任公司", "legalRepresentative": "王五",
			"establishedOn": "2020-01-01", "address": "上海市", "registeredCapital": "50", "businessScope": "软件开发"},
	}, samr.Keys[0].ID, f.key)
	if err != nil {
		f.t.Fatal(err)
	}
	req := credential.IssueRequest{Document: *doc, HolderRef: strings.Repeat("ab", 32), StatusSequence: seq}
	if idem != "" {
		req.IdempotencyKey, req.RequestHash = idem, "hash-"+hex.EncodeToString([]byte(company))
	}
	return req
}

func (f *batchFixture) tx(txID string, reqs ...credential.IssueRequest) *memTx {
	b, err := json.Marshal(reqs)
	if err != nil {
		f.t.Fatal(err)
	}
	return f.l.tx(txID, t0.Add(time.Minute), "SamrMSP", map[string][]byte{TransientRequests: b})
}

func TestIssueBatch(t *testing.T) {
	cases := []struct {
		name string
		reqs func(f *batchFixture) []credential.IssueRequest
		// want is each item's error code, "" for issued, "replayed" for a replay.
		want []credential.Code
	}{
		{"distinct requests are all issued", func(f *batchFixture) []credential.IssueRequest {
			return []credential.IssueRequest{f.request("甲公司", "a", 1), f.request("乙公司", "b", 2), f.request("丙公司", "", 0)}
		}, []credential.Code{"", "", ""}},
		{"a repeated idempotency key with the same request is a replay of the earlier item", func(f *batchFixture) []credential.IssueRequest {
			r := f.request("甲公司", "same", 1)
			again := f.request("甲公司", "same", 2)
			return []credential.IssueRequest{r, again}
		}, []credential.Code{"", "replayed"}},
		{"a repeated idempotency key with another request is a conflict", func(f *batchFixture) []credential.IssueRequest {
			return []credential.IssueRequest{f.request("甲公司", "same", 1), f.request("乙公司", "same", 2)}
		}, []credential.Code{"", credential.CodeConflict}},
		{"a status position taken earlier in the batch is a conflict", func(f *batchFixture) []credential.IssueRequest {
			return []credential.IssueRequest{f.request("甲公司", "", 7), f.request("乙公司", "", 7)}
		}, []credential.Code{"", credential.CodeConflict}},
		{"a repeated identifier is a conflict", func(f *batchFixture) []credential.IssueRequest {
			r := f.request("甲公司", "", 0)
			return []credential.IssueRequest{r, r}
		}, []credential.Code{"", credential.CodeConflict}},
		{"an invalid item is refused alone", func(f *batchFixture) []credential.IssueRequest {
			bad := f.request("乙公司", "", 0)
			bad.HolderRef = "not hex"
			return []credential.IssueRequest{f.request("甲公司", "", 0), bad, f.request("丙公司", "", 0)}
		}, []credential.Code{"", credential.CodeInvalid, ""}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newBatchFixture(t)
			reqs := c.reqs(f)
			txID := strings.Repeat("b", 64)
			tx := f.tx(txID, reqs...)
			res, err := IssueBatch(tx)
			if err != nil {
				t.Fatal(err)
			}
			if len(res) != len(reqs) {
				t.Fatalf("%d results for %d requests", len(res), len(reqs))
			}
			var recorded []string
			for i, r := range res {
				switch want := c.want[i]; want {
				case "", "replayed":
					if r.Err() != nil || r.Result == nil {
						t.Fatalf("item %d: %+v %v, want a result", i, r, r.Err())
					}
					if r.Result.Replayed != (want == "replayed") {
						t.Fatalf("item %d: replayed %v, want %s", i, r.Result.Replayed, want)
					}
					if want == "" {
						recorded = append(recorded, r.Result.Record.ID)
						if r.Result.Record.IssueTxID != txID || r.Result.Record.Revision != 1 {
							t.Fatalf("item %d: record %+v", i, r.Result.Record)
						}
					}
				default:
					if r.Result != nil || credential.ErrorCode(r.Err()) != want {
						t.Fatalf("item %d: %+v, want error %s", i, r, want)
					}
					// A refused item writes nothing, not even a key of its own.
					if id := reqs[i].Document.ID; id != reqs[0].Document.ID && strings.Contains(tx.trace(), id) {
						t.Fatalf("refused item %d wrote:\n%s", i, tx.trace())
					}
				}
			}
			tx.commit()
			for _, id := range recorded {
				if _, err := GetRecord(f.l.tx("", t0, "", nil), id); err != nil {
					t.Fatalf("recorded %s is not readable after commit: %v", id, err)
				}
			}
			events := eventsOf(t, tx, EventBatchName)
			if len(events) != 1 {
				t.Fatalf("%d batch events, want 1:\n%s", len(events), tx.trace())
			}
			var changes []ChangeEvent
			if err := json.Unmarshal(events[0], &changes); err != nil {
				t.Fatal(err)
			}
			if len(changes) != len(recorded) {
				t.Fatalf("event lists %d changes, want %d", len(changes), len(recorded))
			}
			for i, ch := range changes {
				if ch.ID != recorded[i] || ch.Record == nil || ch.Record.ID != recorded[i] || ch.Change.Action != credential.ActionIssue {
					t.Fatalf("event change %d: %+v", i, ch)
				}
			}
			if n := len(eventsOf(t, tx, EventName)); n != 0 {
				t.Fatalf("a batch set %d single-change events", n)
			}
		})
	}
}

func TestIssueBatchRefusesMalformedBatches(t *testing.T) {
	f := newBatchFixture(t)
	many := make([]json.RawMessage, MaxBatchItems+1)
	for i := range many {
		many[i] = json.RawMessage(`{}`)
	}
	tooMany, _ := json.Marshal(many)
	cases := []struct {
		name      string
		transient map[string][]byte
	}{
		{"no transient data", nil},
		{"not JSON", map[string][]byte{TransientRequests: []byte("{")}},
		{"an object, not an array", map[string][]byte{TransientRequests: []byte(`{"document":{}}`)}},
		{"empty", map[string][]byte{TransientRequests: []byte(`[]`)}},
		{"too many items", map[string][]byte{TransientRequests: tooMany}},
		{"too large", map[string][]byte{TransientRequests: []byte("[" + strings.Repeat(" ", MaxBatchSize) + "]")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tx := f.l.tx(strings.Repeat("c", 64), t0, "SamrMSP", c.transient)
			_, err := IssueBatch(tx)
			if credential.ErrorCode(err) != credential.CodeInvalid {
				t.Fatalf("got %v, want invalid", err)
			}
			if tx.trace() != "" {
				t.Fatalf("a refused batch wrote:\n%s", tx.trace())
			}
		})
	}
	t.Run("a caller that is no department", func(t *testing.T) {
		b, _ := json.Marshal([]credential.IssueRequest{f.request("甲公司", "", 0)})
		tx := f.l.tx(strings.Repeat("d", 64), t0.Add(time.Minute), "StrangerMSP", map[string][]byte{TransientRequests: b})
		res, err := IssueBatch(tx)
		if err != nil || len(res) != 1 || credential.ErrorCode(res[0].Err()) != credential.CodeForbidden || tx.trace() != "" {
			t.Fatalf("got %+v, %v; wrote %q", res, err, tx.trace())
		}
	})
}

// Endorsers must write the same bytes in the same order (see
// TestIssueIsDeterministic): a batch replays each item's writes in order.
func TestIssueBatchIsDeterministic(t *testing.T) {
	f := newBatchFixture(t)
	reqs := []credential.IssueRequest{f.request("甲公司", "a", 1), f.request("乙公司", "b", 2), f.request("丙公司", "c", 3)}
	b, _ := json.Marshal(reqs)
	var first string
	for i := range 20 {
		tx := f.l.clone().tx(strings.Repeat("e", 64), t0.Add(time.Minute), "SamrMSP", map[string][]byte{TransientRequests: b})
		if _, err := IssueBatch(tx); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = tx.trace()
			continue
		}
		if got := tx.trace(); got != first {
			t.Fatalf("run %d wrote differently:\n%s\n--- first run ---\n%s", i, got, first)
		}
	}
}

// eventsOf returns the payloads of the events named name that tx set.
func eventsOf(t *testing.T, tx *memTx, name string) [][]byte {
	t.Helper()
	var out [][]byte
	for _, op := range tx.ops {
		if p, ok := strings.CutPrefix(op, "event "+name+"="); ok {
			out = append(out, []byte(p))
		}
	}
	return out
}
