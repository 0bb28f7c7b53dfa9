package fabrictest

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/network"
)

// TestLedgerIssueBatchOutcomes drives the fabric backend's batcher in this
// process (so `go test -race` watches it) with concurrent issuances of one
// department, some of which the contract refuses: a holder reference that
// is no HMAC, a second request reusing an idempotency key with other
// content, and a second credential on a taken status position. Each caller
// gets its own outcome with its reason, the refused ones write nothing, and
// the others share transactions.
func TestLedgerIssueBatchOutcomes(t *testing.T) {
	need(t)
	gateway(t) // the registry is provisioned by the serve process's --demo
	l := openLedger(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	reg, err := l.Registry(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pd, _ := profile.Department("samr")
	key, err := network.LoadIssuerKey(pd.IssuerKey)
	if err != nil {
		t.Fatal(err)
	}
	samr, _ := reg.Department("samr")
	licence, _ := reg.Type("business-licence")
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	request := func(i int, idem string) credential.IssueRequest {
		name := "批量测试公司" + strconv.Itoa(i)
		doc, err := credential.Issue(credential.IssueParams{Type: licence, Issuer: samr, IssuedAt: time.Now().UTC(),
			Holder: credential.Holder{Name: name, IDType: credential.IDUSCC, IDNumber: "91350100M000100Y43"},
			Fields: map[string]string{"companyName": name, "entityType": "有限责任公司", "legalRepresentative": "张三",
				"registeredCapital": "500", "establishedOn": "2020-03-15", "address": "福建省福州市", "businessScope": "软件开发"},
		}, pd.IssuerKeyID, key)
		if err != nil {
			t.Fatal(err)
		}
		req := credential.IssueRequest{Document: *doc, HolderRef: strings.Repeat("cd", 32)}
		if idem != "" {
			req.IdempotencyKey, req.RequestHash = idem+"-"+run, "h"+strconv.Itoa(i)
		}
		return req
	}
	const n = 24
	// A status position of this run, far from the lists the gateway draws in.
	seq := uint64(1)<<39 + uint64(time.Now().UnixNano())%(1<<38)
	reqs := make([]credential.IssueRequest, n)
	want := make([]credential.Reason, n) // "" for issued
	for i := range reqs {
		switch {
		case i%8 == 3:
			reqs[i], want[i] = request(i, ""), credential.ReasonInvalidField
			reqs[i].HolderRef = "not an HMAC"
		case i == 5 || i == 6: // one idempotency key, two contents: one wins
			reqs[i], want[i] = request(i, "rivals"), credential.ReasonIdempotencyKeyReused
		case i == 9 || i == 10: // one status position, two credentials: one wins
			reqs[i], want[i] = request(i, ""), credential.ReasonStatusSequenceTaken
			reqs[i].StatusSequence = seq
		default:
			reqs[i] = request(i, "")
		}
	}
	results := make([]credential.IssueResult, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = l.Issue(ctx, pd.MSPID, reqs[i])
		}()
	}
	wg.Wait()

	txs := map[string]bool{}
	won := map[credential.Reason]int{}
	for i := range reqs {
		switch want[i] {
		case "":
			if errs[i] != nil {
				t.Fatalf("issuance %d: %v", i, errs[i])
			}
			rec := results[i].Record
			if rec.ID != reqs[i].Document.ID || rec.BlockNumber == 0 || rec.Revision != 1 {
				t.Fatalf("issuance %d answered %+v", i, rec)
			}
			txs[rec.IssueTxID] = true
			if got := recordOf(t, l, rec.ID); got.IssueTxID != rec.IssueTxID || got.BlockNumber != rec.BlockNumber {
				t.Fatalf("issuance %d reads back as %+v, answered %+v", i, got, rec)
			}
		case credential.ReasonIdempotencyKeyReused, credential.ReasonStatusSequenceTaken:
			if errs[i] == nil {
				won[want[i]]++
			} else if credential.ErrorReason(errs[i]) != want[i] {
				t.Fatalf("rival %d: %v, want success or %s", i, errs[i], want[i])
			}
			if want[i] == credential.ReasonStatusSequenceTaken && errs[i] != nil && !credential.IsStatusSequenceTaken(errs[i], seq) {
				t.Fatalf("rival %d: %#v does not name position %d", i, errs[i], seq)
			}
		default:
			if credential.ErrorReason(errs[i]) != want[i] {
				t.Fatalf("issuance %d: %v, want %s", i, errs[i], want[i])
			}
			if _, err := l.Record(ctx, reqs[i].Document.ID); credential.ErrorReason(err) != credential.ReasonCredentialNotFound {
				t.Fatalf("refused issuance %d left a record (%v)", i, err)
			}
		}
	}
	for _, r := range []credential.Reason{credential.ReasonIdempotencyKeyReused, credential.ReasonStatusSequenceTaken} {
		if won[r] != 1 {
			t.Fatalf("%d of two rivals were issued (the loser answers %s), want 1", won[r], r)
		}
	}
	t.Logf("%d issuances recorded in %d transactions", n-n/8-4, len(txs))
}
