package chaincode

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
)

// consentLedger is the demo registry and catalogue with a diploma and a
// professional qualification issued to one holder, on a clock tests move.
type consentLedger struct {
	t    *testing.T
	l    *memLedger
	now  time.Time
	n    int
	last string // the last committed transaction's trace
	dip  string
	qual string
	ref  string // the holder's request reference for the title evaluation
}

func newConsentLedger(t *testing.T) *consentLedger {
	t.Helper()
	l, keys := provisionedAll(t)
	c := &consentLedger{t: t, l: l, now: t0}
	for _, s := range demo.Services() {
		if err := c.run("GovMSP", func(tx Tx) error { _, err := PutService(tx, s); return err }); err != nil {
			t.Fatal(err)
		}
	}
	key := []byte("0123456789abcdef0123456789abcdef")
	holder := credential.Holder{Name: "张三", IDType: credential.IDResidentCard, IDNumber: "11010519491231002X"}
	issue := func(dept, typeID string, fields map[string]string) string {
		reg, _ := GetRegistry(l.tx("", t0, "", nil))
		d, _ := reg.Department(dept)
		ty, _ := reg.Type(typeID)
		doc, err := credential.Issue(credential.IssueParams{Type: ty, Issuer: d, IssuedAt: t0, Holder: holder, Fields: fields}, d.Keys[0].ID, keys[dept])
		if err != nil {
			t.Fatal(err)
		}
		req, _ := json.Marshal(credential.IssueRequest{Document: *doc, HolderRef: credential.HolderRef(key, dept, holder.IDType, holder.IDNumber)})
		tx := l.tx(fmt.Sprintf("%064x", 5000+len(l.state)), t0, d.MSPID, map[string][]byte{TransientRequest: req})
		res, err := Issue(tx)
		if err != nil {
			t.Fatal(err)
		}
		tx.commit()
		return res.Record.ID
	}
	c.qual = issue(demo.HumanRes, "professional-qualification", map[string]string{"occupation": "软件工程师", "grade": "二级", "certificateNumber": "2000120240001"})
	c.dip = issue(demo.Education, "diploma", map[string]string{"school": "某大学", "major": "计算机科学与技术", "level": "本科", "graduatedOn": "2024-06-30", "certificateNumber": "1000120240001"})
	c.ref = credential.RequestHolderRef(key, demo.ServiceProfessionalRank, holder.IDType, holder.IDNumber)
	return c
}

func (c *consentLedger) run(msp string, fn func(tx Tx) error) error {
	c.n++
	tx := c.l.tx(fmt.Sprintf("%064x", 9000+c.n), c.now, msp, nil)
	if err := fn(tx); err != nil {
		return err
	}
	tx.commit()
	c.last = tx.trace()
	return nil
}

func (c *consentLedger) create(msp string, n credential.NewConsentRequest) (credential.ConsentRequest, error) {
	var out credential.ConsentRequest
	err := c.run(msp, func(tx Tx) (err error) { out, err = CreateRequest(tx, n); return err })
	return out, err
}

func (c *consentLedger) decide(msp string, d credential.RequestDecision) (credential.ConsentRequest, error) {
	var out credential.ConsentRequest
	err := c.run(msp, func(tx Tx) (err error) { out, err = DecideRequest(tx, d); return err })
	return out, err
}

func (c *consentLedger) read(msp, id string) (credential.ConsentRequest, error) {
	var out credential.ConsentRequest
	err := c.run(msp, func(tx Tx) (err error) { out, err = RecordProofRead(tx, id); return err })
	return out, err
}

func (c *consentLedger) newRequest(id string, ref string) credential.NewConsentRequest {
	return credential.NewConsentRequest{ID: id, Service: demo.ServiceProfessionalRank, ExpiresAt: c.now.Add(time.Hour), TermDays: 30, HolderRef: ref}
}

func reqID(n int) string { return fmt.Sprintf("%032x", n) }

func (c *consentLedger) approval(id string) credential.RequestDecision {
	return credential.RequestDecision{ID: id, Action: credential.DecisionApprove, HolderRef: c.ref, Credentials: []credential.ConsentCredential{
		{Type: "diploma", ID: c.dip, Fields: []string{credential.ClaimHolderName, "level", "major", "graduatedOn"}},
		{Type: "professional-qualification", ID: c.qual, Fields: []string{"occupation", credential.ClaimHolderName, "grade", "certificateNumber"}},
	}}
}

// Who may create: only a requester of the service, with bounded expiry,
// term and purpose; the keys carry governance's and the requester's
// policy, and nothing personal.
func TestCreateRequestRules(t *testing.T) {
	c := newConsentLedger(t)
	for _, tc := range []struct {
		name, msp string
		mod       func(*credential.NewConsentRequest)
		reason    credential.Reason
	}{
		{"not a requester", "SamrMSP", nil, credential.ReasonNotServiceRequester},
		{"unknown service", "HrssMSP", func(n *credential.NewConsentRequest) { n.Service = "NOSUCH-1" }, credential.ReasonServiceNotFound},
		{"bad ID", "HrssMSP", func(n *credential.NewConsentRequest) { n.ID = "ABC" }, credential.ReasonInvalidRequest},
		{"expiry in the past", "HrssMSP", func(n *credential.NewConsentRequest) { n.ExpiresAt = c.now }, credential.ReasonInvalidConsent},
		{"expiry too far", "HrssMSP", func(n *credential.NewConsentRequest) { n.ExpiresAt = c.now.Add(8 * 24 * time.Hour) }, credential.ReasonInvalidConsent},
		{"term too long", "HrssMSP", func(n *credential.NewConsentRequest) { n.TermDays = 366 }, credential.ReasonInvalidConsent},
		{"no term", "HrssMSP", func(n *credential.NewConsentRequest) { n.TermDays = 0 }, credential.ReasonInvalidConsent},
		{"control characters", "HrssMSP", func(n *credential.NewConsentRequest) { n.Purpose = "a\nb" }, credential.ReasonInvalidConsent},
	} {
		n := c.newRequest(reqID(1), c.ref)
		if tc.mod != nil {
			tc.mod(&n)
		}
		if _, err := c.create(tc.msp, n); credential.ErrorReason(err) != tc.reason {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.reason)
		}
	}
	r, err := c.create("HrssMSP", c.newRequest(reqID(1), c.ref))
	if err != nil || r.Status != credential.RequestPending || r.Requester != demo.HumanRes || !r.CreatedAt.Equal(c.now) {
		t.Fatalf("create: %+v %v", r, err)
	}
	for _, want := range []string{"policy " + requestKey(r.ID) + "=GovMSP,HrssMSP", "policy " + requestIndexKey(c.ref, r.ID) + "=GovMSP,HrssMSP"} {
		if !strings.Contains(c.last, want) {
			t.Errorf("trace lacks %q:\n%s", want, c.last)
		}
	}
	if strings.Contains(c.last, "张三") || strings.Contains(c.last, "11010519491231002X") {
		t.Errorf("the request's writes hold personal data:\n%s", c.last)
	}
	if _, err := c.create("HrssMSP", c.newRequest(reqID(1), c.ref)); credential.ErrorReason(err) != credential.ReasonDuplicateID {
		t.Errorf("the same ID twice: %v", err)
	}
}

// Decisions: governance only, the holder's reference, pending and not
// expired on the transaction's clock, exactly the service's types and
// fields with valid credentials; withdrawal and the term end proof reads,
// which only the requester records.
func TestDecideRequestRules(t *testing.T) {
	c := newConsentLedger(t)
	id := reqID(7)
	if _, err := c.create("HrssMSP", c.newRequest(id, c.ref)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.decide("HrssMSP", c.approval(id)); credential.ErrorReason(err) != credential.ReasonNotGovernance {
		t.Fatalf("the requester deciding: %v", err)
	}
	other := c.approval(id)
	other.HolderRef = strings.Repeat("ab", 32)
	if _, err := c.decide("GovMSP", other); credential.ErrorReason(err) != credential.ReasonRequestNotFound {
		t.Fatalf("another holder deciding: %v", err)
	}
	for name, mod := range map[string]func(*credential.RequestDecision){
		"a type missing": func(d *credential.RequestDecision) { d.Credentials = d.Credentials[:1] },
		"a field more": func(d *credential.RequestDecision) {
			d.Credentials[0].Fields = append(d.Credentials[0].Fields, "school")
		},
		"a field less":    func(d *credential.RequestDecision) { d.Credentials[1].Fields = d.Credentials[1].Fields[1:] },
		"the wrong type":  func(d *credential.RequestDecision) { d.Credentials[0].ID = c.qual },
		"a type twice":    func(d *credential.RequestDecision) { d.Credentials[1] = d.Credentials[0] },
		"an unneeded one": func(d *credential.RequestDecision) { d.Credentials[0].Type = "business-licence" },
	} {
		d := c.approval(id)
		mod(&d)
		if _, err := c.decide("GovMSP", d); credential.ErrorReason(err) != credential.ReasonInvalidConsent {
			t.Errorf("%s: %v, want invalid_consent", name, err)
		}
	}
	// A suspended credential cannot be consented to.
	if err := c.run("EduMSP", func(tx Tx) error {
		_, err := ChangeStatus(tx, c.dip, credential.StatusChange{Action: credential.ActionSuspend, Reason: "核查"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.decide("GovMSP", c.approval(id)); credential.ErrorReason(err) != credential.ReasonCredentialNotValid {
		t.Fatalf("a suspended diploma: %v", err)
	}
	if err := c.run("EduMSP", func(tx Tx) error {
		_, err := ChangeStatus(tx, c.dip, credential.StatusChange{Action: credential.ActionReinstate})
		return err
	}); err != nil {
		t.Fatal(err)
	}

	if _, err := c.read("HrssMSP", id); credential.ErrorReason(err) != credential.ReasonConsentEnded {
		t.Fatalf("a read before approval: %v", err)
	}
	r, err := c.decide("GovMSP", c.approval(id))
	if err != nil || r.Status != credential.RequestApproved || !r.ConsentUntil.Equal(c.now.Add(30*24*time.Hour)) || len(r.Credentials) != 2 {
		t.Fatalf("approve: %+v %v", r, err)
	}
	if !strings.Contains(c.last, "put "+prefixReceipt) || !strings.Contains(c.last, "=GovMSP,HrssMSP") {
		t.Errorf("the approval wrote no receipt with both policies:\n%s", c.last)
	}
	if _, err := c.decide("GovMSP", c.approval(id)); credential.ErrorReason(err) != credential.ReasonRequestNotPending {
		t.Fatalf("approving twice: %v", err)
	}
	if _, err := c.read("EduMSP", id); credential.ErrorReason(err) != credential.ReasonRequestNotFound {
		t.Fatalf("another department's read: %v", err)
	}
	for i := range credential.MaxRecentReads + 2 {
		c.now = c.now.Add(time.Minute)
		if r, err = c.read("HrssMSP", id); err != nil || r.Reads != i+1 {
			t.Fatalf("read %d: %+v %v", i, r, err)
		}
	}
	if len(r.RecentReads) != credential.MaxRecentReads || !r.RecentReads[len(r.RecentReads)-1].Equal(c.now) {
		t.Fatalf("recent reads %v", r.RecentReads)
	}
	withdraw := credential.RequestDecision{ID: id, Action: credential.DecisionWithdraw, HolderRef: c.ref}
	if r, err = c.decide("GovMSP", withdraw); err != nil || r.Status != credential.RequestWithdrawn {
		t.Fatalf("withdraw: %+v %v", r, err)
	}
	if _, err := c.read("HrssMSP", id); credential.ErrorReason(err) != credential.ReasonConsentEnded {
		t.Fatalf("a read after withdrawal: %v", err)
	}

	// Expiry on the transaction's clock, and a counter request bound by
	// the first decision.
	exp := reqID(8)
	if _, err := c.create("HrssMSP", c.newRequest(exp, c.ref)); err != nil {
		t.Fatal(err)
	}
	c.now = c.now.Add(time.Hour)
	if _, err := c.decide("GovMSP", credential.RequestDecision{ID: exp, Action: credential.DecisionRefuse, HolderRef: c.ref}); credential.ErrorReason(err) != credential.ReasonRequestExpired {
		t.Fatalf("refusing an expired request: %v", err)
	}
	counter := reqID(9)
	if _, err := c.create("HrssMSP", c.newRequest(counter, "")); err != nil {
		t.Fatal(err)
	}
	if r, err = c.decide("GovMSP", credential.RequestDecision{ID: counter, Action: credential.DecisionRefuse, HolderRef: c.ref}); err != nil || r.HolderRef != c.ref {
		t.Fatalf("refusing a counter request: %+v %v", r, err)
	}
	page, err := GetRequestsByHolder(c.l.tx("", c.now, "", nil), credential.RequestHolderQuery{Refs: []string{c.ref}})
	if err != nil || len(page.Requests) != 3 {
		t.Fatalf("the holder's requests: %+v %v", page, err)
	}
	two, err := GetRequestsByHolder(c.l.tx("", c.now, "", nil), credential.RequestHolderQuery{Refs: []string{c.ref}, Limit: 2})
	if err != nil || len(two.Requests) != 2 || two.Next == "" {
		t.Fatalf("the first page of two: %+v %v", two, err)
	}
	rest, err := GetRequestsByHolder(c.l.tx("", c.now, "", nil), credential.RequestHolderQuery{Refs: []string{c.ref}, Limit: 2, After: two.Next})
	if err != nil || len(rest.Requests) != 1 || rest.Next != "" || rest.Requests[0].ID != counter {
		t.Fatalf("the second page: %+v %v", rest, err)
	}
	dept, err := GetRequestsByDept(c.l.tx("", c.now, "", nil), credential.RequestDeptQuery{Dept: demo.HumanRes})
	if err != nil || len(dept.Requests) != 3 || dept.Requests[0].ID != counter {
		t.Fatalf("the department's requests, newest first: %+v %v", dept, err)
	}
	rc, err := GetReceipts(c.l.tx("", c.now, "", nil), credential.ReceiptQuery{})
	if err != nil || len(rc.Receipts) != 3 || rc.Receipts[0].Decision != credential.RequestApproved || rc.Receipts[1].Decision != credential.RequestWithdrawn {
		t.Fatalf("receipts: %+v %v", rc, err)
	}
	none, err := GetReceipts(c.l.tx("", c.now, "", nil), credential.ReceiptQuery{To: t0})
	if err != nil || len(none.Receipts) != 0 {
		t.Fatalf("receipts before any decision: %+v %v", none, err)
	}
}

// Two endorsers running one decision write the same bytes.
func TestDecideRequestIsDeterministic(t *testing.T) {
	c := newConsentLedger(t)
	id := reqID(3)
	if _, err := c.create("HrssMSP", c.newRequest(id, c.ref)); err != nil {
		t.Fatal(err)
	}
	var traces []string
	for range 2 {
		tx := c.l.clone().tx(strings.Repeat("d", 64), c.now, "GovMSP", nil)
		if _, err := DecideRequest(tx, c.approval(id)); err != nil {
			t.Fatal(err)
		}
		traces = append(traces, tx.trace())
	}
	if traces[0] != traces[1] {
		t.Fatalf("two endorsements differ:\n%s\n---\n%s", traces[0], traces[1])
	}
}

// The consent requests' prefixes overlap neither each other nor any other
// kind's, so a range scan of one sees only its own.
func TestRequestPrefixesDoNotOverlap(t *testing.T) {
	ours := []string{prefixRequest, prefixRequestIndex, prefixRequestDept, prefixReceipt}
	all := append([]string{prefixDepartment, prefixMSP, prefixType, prefixTypeCode, prefixRecord, prefixIdempotency, prefixDocument,
		prefixStatusIndex, prefixAPIKey, prefixAPIKeyRevocation, prefixHolderIndex, prefixService}, ours...)
	for _, p := range ours {
		for _, q := range all {
			if p == q {
				continue
			}
			if strings.HasPrefix(q, p) || strings.HasPrefix(p, q) || (q >= p && q < prefixEnd(p)) || (p >= q && p < prefixEnd(q)) {
				t.Errorf("prefixes %q and %q overlap", p, q)
			}
		}
	}
}
