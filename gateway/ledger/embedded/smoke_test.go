package embedded

import (
	"context"
	"testing"

	"github.com/certledger/certledger/credential"
)

func TestIssueAndRead(t *testing.T) {
	f := newFixture(t)
	doc := f.licence("测试公司")
	rec := f.issue(doc)
	if rec.Status != credential.StatusValid || rec.BlockNumber == 0 || rec.Digest != doc.Proof.Digest {
		t.Fatalf("record %+v", rec)
	}
	got, err := f.ledger.Record(context.Background(), doc.ID)
	if err != nil || got.BlockNumber != rec.BlockNumber || got.IssueTxID != rec.IssueTxID {
		t.Fatalf("record %+v, %v", got, err)
	}
	d, err := f.ledger.Document(context.Background(), f.msp("samr"), doc.ID)
	if err != nil || d.Proof.Digest != doc.Proof.Digest {
		t.Fatalf("document %+v %v", d, err)
	}
	f.reopen()
	if _, err := f.ledger.Record(context.Background(), doc.ID); err != nil {
		t.Fatal(err)
	}
}
