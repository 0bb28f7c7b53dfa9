package gateway

import (
	"context"
	"testing"
)

// A share's creation, each opening and its withdrawal reach the holder's
// timeline, newest first, named by the share and its purpose; another
// holder's timeline shows none of them.
func TestShareActivity(t *testing.T) {
	e := newWalletEnv(t, Config{}, nil)
	ctx := context.Background()
	id := e.issue("edu", personP, 1)
	sh, err := e.srv.createShare(ctx, personP, shareRequest{Credential: id, Fields: []string{"school"}, Purpose: "job application"})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := e.srv.openShare(ctx, sh.ID, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.srv.withdrawShare(ctx, personP, sh.ID); err != nil {
		t.Fatal(err)
	}
	page, err := e.srv.holderActivity(ctx, personP, "", 50)
	if err != nil {
		t.Fatal(err)
	}
	var got []activityEvent
	for _, it := range page.Items {
		if it.Share == "" {
			continue
		}
		got = append(got, it.Event)
		if it.Share != sh.ID || it.Purpose != "job application" || it.Credential != id || it.Type == nil || it.Issuer == nil {
			t.Errorf("share item %+v: want share %s of %s with its purpose, type and issuer", it, sh.ID, id)
		}
	}
	want := []activityEvent{eventShareWithdrawn, eventShareOpened, eventShareOpened, eventShareCreated}
	if len(got) != len(want) {
		t.Fatalf("share events %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("share events %v, want %v", got, want)
		}
	}
	other, err := e.srv.holderActivity(ctx, personQ, "", 50)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range other.Items {
		if it.Share != "" {
			t.Fatalf("another holder sees %+v", it)
		}
	}
}
