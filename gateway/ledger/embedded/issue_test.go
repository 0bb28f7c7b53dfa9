package embedded

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
	bolt "go.etcd.io/bbolt"
)

func TestIssueChecks(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	samrMSP := f.msp(demo.Market)
	diploma := func() *credential.Document {
		return f.document(demo.Education, "diploma", map[string]string{
			"school": "北京大学", "major": "法学", "level": "本科", "graduatedOn": "2025-07-01", "certificateNumber": "100011202505000456"})
	}
	_, otherKey, _ := ed25519.GenerateKey(nil)

	tests := []struct {
		name string
		msp  string
		req  func() credential.IssueRequest
		want credential.Code
		msg  string // part of the message
	}{
		{"type not authorized for the department", f.msp(demo.Education), func() credential.IssueRequest {
			doc := f.licence("甲公司")
			doc.Issuer = demo.Education
			return f.request(doc)
		}, credential.CodeForbidden, "not authorized"},
		{"document issued in another department's name", samrMSP, func() credential.IssueRequest {
			return f.request(diploma())
		}, credential.CodeForbidden, "not authorized"},
		{"issuer field names another department", samrMSP, func() credential.IssueRequest {
			doc := f.licence("乙公司")
			doc.Issuer = demo.Education
			return f.request(doc)
		}, credential.CodeForbidden, "in the name of"},
		{"unregistered MSP", "StrangerMSP", func() credential.IssueRequest { return f.request(f.licence("丙公司")) },
			credential.CodeForbidden, "not a registered department"},
		{"tampered field", samrMSP, func() credential.IssueRequest {
			doc := f.licence("丁公司")
			for i := range doc.Claims {
				if doc.Claims[i].Name == "registeredCapital" {
					doc.Claims[i].Value = "100000"
				}
			}
			return f.request(doc)
		}, credential.CodeInvalid, "digest"},
		{"tampered digest", samrMSP, func() credential.IssueRequest {
			doc := f.licence("戊公司")
			doc.Proof.Digest = strings.Repeat("0", 64)
			return f.request(doc)
		}, credential.CodeInvalid, "digest"},
		{"signature by an unregistered key", samrMSP, func() credential.IssueRequest {
			doc := f.licence("己公司")
			if err := doc.Sign(doc.Proof.KeyID, otherKey); err != nil {
				t.Fatal(err)
			}
			return f.request(doc)
		}, credential.CodeInvalid, "signature does not verify"},
		{"unknown key id", samrMSP, func() credential.IssueRequest {
			doc := f.licence("庚公司")
			if err := doc.Sign("samr-unknown", f.keys[demo.Market]); err != nil {
				t.Fatal(err)
			}
			return f.request(doc)
		}, credential.CodeInvalid, "not registered"},
		{"issued too long ago", samrMSP, func() credential.IssueRequest {
			doc := f.licence("辛公司")
			f.clock.Advance(11 * time.Minute)
			return f.request(doc)
		}, credential.CodeInvalid, "away from the ledger time"},
		{"missing holder reference", samrMSP, func() credential.IssueRequest {
			req := f.request(f.licence("壬公司"))
			req.HolderRef = ""
			return req
		}, credential.CodeInvalid, "holderRef"},
		{"missing required field", samrMSP, func() credential.IssueRequest {
			doc := f.licence("癸公司")
			doc.Claims = doc.Claims[1:]
			if err := doc.Sign(doc.Proof.KeyID, f.keys[demo.Market]); err != nil {
				t.Fatal(err)
			}
			return f.request(doc)
		}, credential.CodeInvalid, "missing"},
		{"idempotency key without request hash", samrMSP, func() credential.IssueRequest {
			req := f.request(f.licence("子公司"))
			req.IdempotencyKey = "k1"
			return req
		}, credential.CodeInvalid, "requestHash"},
		{"idempotency key with a slash", samrMSP, func() credential.IssueRequest {
			req := f.request(f.licence("丑公司"))
			req.IdempotencyKey, req.RequestHash = "a/b", "h"
			return req
		}, credential.CodeInvalid, "idempotencyKey"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.req()
			_, err := f.ledger.Issue(ctx, tt.msp, req)
			wantCode(t, err, tt.want)
			if !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("error %q does not mention %q", err, tt.msg)
			}
			if _, err := f.ledger.Record(ctx, req.Document.ID); credential.ErrorCode(err) != credential.CodeNotFound {
				t.Fatalf("rejected credential has a record: %v", err)
			}
		})
	}
}

func TestIssueRecordsPublicAndPrivateParts(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	doc := f.licence("北京某某科技有限公司")
	req := f.request(doc)
	res, err := f.ledger.Issue(ctx, f.msp(demo.Market), req)
	if err != nil {
		t.Fatal(err)
	}
	rec := res.Record
	want := credential.Record{
		ID: doc.ID, Type: doc.Type, Issuer: demo.Market, Digest: doc.Proof.Digest, KeyID: doc.Proof.KeyID,
		HolderRef: req.HolderRef, Status: credential.StatusValid, IssuedAt: doc.IssuedAt, ValidFrom: doc.ValidFrom,
		ValidUntil: doc.ValidUntil, Version: 1, IssueTxID: rec.IssueTxID, BlockNumber: rec.BlockNumber, Revision: 1,
		LastChange: credential.Change{Action: credential.ActionIssue, Actor: demo.Market, MSPID: f.msp(demo.Market),
			TxID: rec.IssueTxID, Time: start, Status: credential.StatusValid},
	}
	if !recordsEqual(rec, want) || res.Replayed {
		t.Fatalf("issued\n%+v\nwant\n%+v", rec, want)
	}
	if len(rec.IssueTxID) != 64 || rec.BlockNumber == 0 {
		t.Fatalf("tx id %q block %d", rec.IssueTxID, rec.BlockNumber)
	}
	// The public state holds no personal data: neither the holder's name
	// nor the ID number appears in any state value.
	err = f.ledger.db.View(func(btx *bolt.Tx) error {
		return btx.Bucket(bucketState).ForEach(func(k, v []byte) error {
			for _, secret := range []string{"91110000802100433B", "北京某某科技有限公司"} {
				if strings.Contains(string(v), secret) {
					t.Errorf("state key %s contains %q", k, secret)
				}
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.ledger.Document(ctx, f.msp(demo.Market), doc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := got.CheckIntegrity(); err != nil || got.Holder().IDNumber != "91110000802100433B" {
		t.Fatalf("private document %+v: %v", got, err)
	}
	_, err = f.ledger.Issue(ctx, f.msp(demo.Market), req)
	wantCode(t, err, credential.CodeConflict)
}

func TestRenewal(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	old := f.issue(f.licence("续期公司"))
	renew := func(dept, typeID string, fields map[string]string, renews string) (credential.IssueRequest, error) {
		d := f.depts[dept]
		doc, err := credential.Issue(credential.IssueParams{Type: f.types[typeID], Issuer: d, Renews: renews, IssuedAt: f.clock.Now(),
			Holder: holderFor(f.types[typeID], "续期公司"), Fields: fields,
		}, d.Keys[0].ID, f.keys[dept])
		if err != nil {
			t.Fatal(err)
		}
		req := f.request(doc)
		_, err = f.ledger.Issue(ctx, d.MSPID, req)
		return req, err
	}
	licenceFields := map[string]string{"companyName": "续期公司", "entityType": "有限责任公司", "legalRepresentative": "赵六",
		"establishedOn": "2020-05-01", "address": "天津市"}
	req, err := renew(demo.Market, "business-licence", licenceFields, old.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rec, _ := f.ledger.Record(ctx, req.Document.ID); rec.Renews != old.ID {
		t.Fatalf("renewal record renews %q, want %s", rec.Renews, old.ID)
	}
	unknown := f.licence("从未签发").ID
	_, err = renew(demo.Market, "business-licence", licenceFields, unknown)
	wantCode(t, err, credential.CodeInvalid)
	_, err = renew(demo.Education, "diploma", map[string]string{"school": "北京大学", "major": "法学", "level": "本科",
		"graduatedOn": "2025-07-01", "certificateNumber": "X1"}, old.ID)
	wantCode(t, err, credential.CodeForbidden)
}

func recordsEqual(a, b credential.Record) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func TestIssueKeyStatus(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		change func(k *credential.Key)
		want   credential.Code
	}{
		{"active key", func(k *credential.Key) {}, ""},
		{"compromised before issuance", func(k *credential.Key) {
			k.Status, k.CompromisedAt = credential.KeyCompromised, start.Add(-time.Minute)
		}, credential.CodeInvalid},
		{"compromised after issuance still cannot sign", func(k *credential.Key) {
			k.Status, k.CompromisedAt = credential.KeyCompromised, start.Add(time.Hour)
		}, credential.CodeInvalid},
		{"retired", func(k *credential.Key) { k.Status, k.ValidUntil = credential.KeyRetired, start.Add(time.Hour) }, credential.CodeInvalid},
		{"expired", func(k *credential.Key) { k.ValidUntil = start.Add(-time.Minute) }, credential.CodeInvalid},
		{"not yet valid", func(k *credential.Key) { k.ValidFrom = start.Add(time.Minute) }, credential.CodeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			d := f.depts[demo.Market]
			tt.change(&d.Keys[0])
			if err := f.ledger.PutDepartment(ctx, f.msp(demo.Governance), d); err != nil {
				t.Fatal(err)
			}
			_, err := f.ledger.Issue(ctx, f.msp(demo.Market), f.request(f.licence("某公司")))
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantCode(t, err, tt.want)
		})
	}
}

func TestIdempotency(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	samrMSP := f.msp(demo.Market)
	first := f.request(f.licence("幂等公司"))
	first.IdempotencyKey, first.RequestHash = "key-1", "hash-a"
	res1, err := f.ledger.Issue(ctx, samrMSP, first)
	if err != nil || res1.Replayed {
		t.Fatalf("first issue: %+v %v", res1, err)
	}

	// A retry builds a new document (new serial, salts and time) for the
	// same client request: the ledger returns the first record.
	f.clock.Advance(30 * time.Minute)
	retry := f.request(f.licence("幂等公司"))
	retry.IdempotencyKey, retry.RequestHash = "key-1", "hash-a"
	res2, err := f.ledger.Issue(ctx, samrMSP, retry)
	if err != nil {
		t.Fatal(err)
	}
	if !res2.Replayed || !recordsEqual(res2.Record, res1.Record) {
		t.Fatalf("replay\n%+v\nwant\n%+v", res2.Record, res1.Record)
	}
	if _, err := f.ledger.Record(ctx, retry.Document.ID); credential.ErrorCode(err) != credential.CodeNotFound {
		t.Fatalf("the retry created a second credential: %v", err)
	}

	other := f.request(f.licence("另一公司"))
	other.IdempotencyKey, other.RequestHash = "key-1", "hash-b"
	_, err = f.ledger.Issue(ctx, samrMSP, other)
	wantCode(t, err, credential.CodeConflict)

	// Keys are scoped per department: hrss may use the same key.
	hr := f.request(f.document(demo.HumanRes, "professional-qualification", map[string]string{
		"occupation": "电工", "grade": "三级", "certificateNumber": "HR-0001"}))
	hr.IdempotencyKey, hr.RequestHash = "key-1", "hash-a"
	if res, err := f.ledger.Issue(ctx, f.msp(demo.HumanRes), hr); err != nil || res.Replayed {
		t.Fatalf("hrss with the same key: %+v %v", res, err)
	}
}

func TestConcurrentIdempotentRetries(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	const n = 16
	reqs := make([]credential.IssueRequest, n)
	for i := range reqs {
		reqs[i] = f.request(f.licence("并发公司"))
		reqs[i].IdempotencyKey, reqs[i].RequestHash = "same-key", "same-hash"
	}
	results := make(chan credential.IssueResult, n)
	errs := make(chan error, n)
	for _, req := range reqs {
		go func() {
			res, err := f.ledger.Issue(ctx, f.msp(demo.Market), req)
			if err != nil {
				errs <- err
				return
			}
			results <- res
		}()
	}
	var ids = map[string]bool{}
	fresh := 0
	for range n {
		select {
		case err := <-errs:
			t.Fatal(err)
		case res := <-results:
			ids[res.Record.ID] = true
			if !res.Replayed {
				fresh++
			}
		}
	}
	if len(ids) != 1 || fresh != 1 {
		t.Fatalf("%d records, %d not replayed: want exactly one credential", len(ids), fresh)
	}
}

// A department calling the contract directly cannot change another's
// record: the key-level endorsement policy set at issuance names only the
// issuer's MSP, and the ledger enforces it as Fabric's validators do.
func TestRecordEndorsementPolicy(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	rec := f.issue(f.licence("背书公司"))
	overwrite := func(tx chaincode.Tx) (any, error) {
		return nil, tx.PutState(chaincode.RecordKey(rec.ID), []byte(`{"status":"revoked"}`))
	}
	_, err := f.ledger.submit(ctx, f.msp(demo.Education), "Forged", nil, overwrite)
	wantCode(t, err, credential.CodeForbidden)
	if !strings.Contains(err.Error(), "endorsement policy") {
		t.Fatalf("error %q does not name the endorsement policy", err)
	}
	if got, _ := f.ledger.Record(ctx, rec.ID); got.Status != credential.StatusValid {
		t.Fatalf("record changed to %s", got.Status)
	}
	// Registry keys are governance's alone.
	_, err = f.ledger.submit(ctx, f.msp(demo.Market), "Forged", nil, func(tx chaincode.Tx) (any, error) {
		return nil, tx.PutState("dept/samr", []byte(`{}`))
	})
	wantCode(t, err, credential.CodeForbidden)
	// The issuer itself passes the policy.
	if _, err := f.ledger.submit(ctx, f.msp(demo.Market), "Touch", nil, func(tx chaincode.Tx) (any, error) {
		b, _ := tx.GetState(chaincode.RecordKey(rec.ID))
		return nil, tx.PutState(chaincode.RecordKey(rec.ID), b)
	}); err != nil {
		t.Fatal(err)
	}
}
