package fabrictest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
	"github.com/certledger/certledger/network"
	"github.com/certledger/certledger/network/nettest"
)

// TestConsentReceiptByPeerCLI: after a holder's approval, Fabric's own
// peer CLI, as the administrator of the education department (a party to
// neither side of the request), reads the request record and its receipt
// from its own peer through the contract's queries. Both name the
// service, the requester, the decision, the two approved credentials with
// exactly the service's fields and the keyed holder reference, never the
// holder's name or ID number; the receipt's transaction ID is a
// transaction of the channel, which qscc finds.
func TestConsentReceiptByPeerCLI(t *testing.T) {
	need(t)
	z := signInCitizen(t, "lina")
	got := runConsent(t, z, 9501)
	var svc credential.Service
	for _, s := range demo.Services() {
		if s.Code == demo.ServiceProfessionalRank {
			svc = s
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	query := func(args ...string) string {
		t.Helper()
		b, _ := json.Marshal(map[string][]string{"Args": args})
		var out string
		nettest.Eventually(t, 30*time.Second, "peer chaincode query "+args[0], func() error {
			var err error
			out, err = network.PeerCLI(ctx, netDir, demo.Education, "chaincode", "query", "-C", profile.Channel, "-n", profile.Chaincode, "-c", string(b))
			return err
		})
		for _, s := range []string{z.who.Name, z.who.IDNumber} {
			if strings.Contains(out, s) {
				t.Errorf("%s answers %q", args[0], s)
			}
		}
		return out
	}

	var rec credential.ConsentRequest
	if err := json.Unmarshal([]byte(query(chaincode.FnGetRequest, got.request)), &rec); err != nil {
		t.Fatal(err)
	}
	wantCreds := []credential.ConsentCredential{}
	for _, c := range svc.Credentials {
		id := got.diploma
		if c.Type == "professional-qualification" {
			id = got.qualific
		}
		wantCreds = append(wantCreds, credential.ConsentCredential{Type: c.Type, ID: id, Fields: slices.Sorted(slices.Values(c.Fields))})
	}
	slices.SortFunc(wantCreds, func(a, b credential.ConsentCredential) int { return strings.Compare(a.Type, b.Type) })
	sameCreds := func(what string, got []credential.ConsentCredential) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(wantCreds) {
			t.Errorf("%s credentials %v, want %v", what, got, wantCreds)
		}
	}
	if rec.ID != got.request || rec.Service != svc.Code || rec.Requester != demo.HumanRes || rec.Status != credential.RequestApproved ||
		rec.DecidedAt.IsZero() || rec.Reads < 1 || len(rec.HolderRef) != 64 || rec.HolderRef != got.view.HolderRef {
		t.Fatalf("GetRequest through the peer CLI: %+v", rec)
	}
	if want := rec.DecidedAt.Add(time.Duration(rec.TermDays) * 24 * time.Hour); !rec.ConsentUntil.Equal(want) {
		t.Errorf("consent until %s, want %s", rec.ConsentUntil, want)
	}
	sameCreds("the record's", rec.Credentials)

	// The receipts decided at that very nanosecond: this approval's.
	q, _ := json.Marshal(credential.ReceiptQuery{From: rec.DecidedAt, To: rec.DecidedAt.Add(time.Nanosecond)})
	var page credential.ReceiptPage
	if err := json.Unmarshal([]byte(query(chaincode.FnGetReceipts, string(q))), &page); err != nil {
		t.Fatal(err)
	}
	var rc *credential.Receipt
	for i, r := range page.Receipts {
		if r.Request == got.request {
			rc = &page.Receipts[i]
		}
	}
	if rc == nil {
		t.Fatalf("GetReceipts at %s through the peer CLI lacks request %s: %+v", rec.DecidedAt, got.request, page)
	}
	if rc.Decision != credential.RequestApproved || rc.Service != svc.Code || rc.Requester != demo.HumanRes || !rc.At.Equal(rec.DecidedAt) ||
		rc.HolderRef != rec.HolderRef || rc.TermDays != rec.TermDays || !rc.ConsentUntil.Equal(rec.ConsentUntil) || rc.TxID == "" {
		t.Fatalf("the receipt: %+v", *rc)
	}
	sameCreds("the receipt's", rc.Credentials)
	// The gateway derives its receipt from the record, which keeps no
	// transaction ID: the two agree on the rest.
	if v := got.view.Receipt; v == nil || v.Request != rc.Request || !v.At.Equal(rc.At) || v.Decision != rc.Decision || v.HolderRef != rc.HolderRef {
		t.Errorf("the gateway's receipt %+v, the ledger's %+v", v, *rc)
	}
	// The receipt's transaction ID is one the channel holds.
	if _, err := network.PeerCLI(ctx, netDir, demo.Education, "chaincode", "query", "-C", profile.Channel, "-n", "qscc",
		"-c", `{"Args":["GetTransactionByID","`+profile.Channel+`","`+rc.TxID+`"]}`); err != nil {
		t.Fatalf("qscc GetTransactionByID %s: %v", rc.TxID, err)
	}
	t.Logf("request %s approved at %s in transaction %s, read %d time(s)", rec.ID, rec.DecidedAt.Format(time.RFC3339Nano), rc.TxID, rec.Reads)
}
