package credential_test

import (
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
)

// rotationRegistry gives samr an old key (retired at rotation), a key that
// was compromised at compromisedAt, and the replacement key.
var (
	rotation      = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	compromisedAt = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	leakedKey     = seedKey(30)
	replacement   = seedKey(31)
)

func rotationRegistry() credential.Registry {
	reg := testRegistry()
	for i := range reg.Departments {
		if reg.Departments[i].ID != "samr" {
			continue
		}
		reg.Departments[i].Keys = []credential.Key{
			{ID: "samr-2024", PublicKey: pubB64(samrOldKey), ValidFrom: rotation.AddDate(-1, 0, 0), ValidUntil: rotation, Status: credential.KeyRetired},
			{ID: "samr-2025", PublicKey: pubB64(leakedKey), ValidFrom: rotation, Status: credential.KeyCompromised, CompromisedAt: compromisedAt},
			{ID: "samr-2025b", PublicKey: pubB64(replacement), ValidFrom: compromisedAt, Status: credential.KeyActive},
		}
	}
	return reg
}

func TestKeyRotationAndCompromise(t *testing.T) {
	reg := rotationRegistry()
	tests := []struct {
		name     string
		kid      string
		key      ed25519.PrivateKey
		issuedAt time.Time
		want     credential.Status // online, with a valid ledger record
	}{
		{"retired key, signed while it was current", "samr-2024", samrOldKey, rotation.AddDate(0, -6, 0), credential.StatusValid},
		{"retired key, signed on its last millisecond", "samr-2024", samrOldKey, rotation.Add(-time.Millisecond), credential.StatusValid},
		{"retired key, signed after it was retired", "samr-2024", samrOldKey, rotation.AddDate(0, 1, 0), credential.StatusForged},
		{"compromised key, signed before the compromise", "samr-2025", leakedKey, compromisedAt.Add(-time.Millisecond), credential.StatusValid},
		{"compromised key, signed at the compromise time", "samr-2025", leakedKey, compromisedAt, credential.StatusForged},
		{"compromised key, signed after the compromise", "samr-2025", leakedKey, compromisedAt.AddDate(0, 1, 0), credential.StatusForged},
		{"compromised key, backdated to before its validity", "samr-2025", leakedKey, rotation.Add(-time.Hour), credential.StatusForged},
		{"replacement key after the compromise", "samr-2025b", replacement, compromisedAt.Add(time.Hour), credential.StatusValid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := licenceParams(t, reg)
			p.IssuedAt = tc.issuedAt
			doc, err := credential.Issue(p, tc.kid, tc.key)
			if err != nil {
				t.Fatal(err)
			}
			// Every form of the credential gets the same answer from the key
			// rules: the document online, a presentation online, and the
			// compact payload offline (forged, or unknown pending the ledger).
			pres, _ := doc.Present([]string{"companyName"})
			for _, d := range []*credential.Document{doc, pres} {
				v := credential.Verify(credential.VerifyInput{Document: d, Registry: reg, Record: recordOf(doc), Online: true, Now: now})
				if v.Status != tc.want {
					t.Fatalf("online status %s, want %s: %+v", v.Status, tc.want, v.Checks)
				}
			}
			text, err := credential.EncodeCompact(pres)
			if err != nil {
				t.Fatal(err)
			}
			back, err := credential.DecodeCompact(text)
			if err != nil {
				t.Fatal(err)
			}
			wantOffline := credential.StatusUnknown
			if tc.want == credential.StatusForged {
				wantOffline = credential.StatusForged
			}
			if v := offline(back, reg); v.Status != wantOffline {
				t.Fatalf("offline status %s, want %s", v.Status, wantOffline)
			}
		})
	}
}

// TestReissueAfterCompromise is the documented recovery: whatever the
// compromised key signed from CompromisedAt on is re-issued as a new version
// that renews the old identifier, signed with the replacement key.
func TestReissueAfterCompromise(t *testing.T) {
	reg := rotationRegistry()
	p := licenceParams(t, reg)
	p.IssuedAt = compromisedAt.Add(time.Hour)
	bad, err := credential.Issue(p, "samr-2025", leakedKey)
	if err != nil {
		t.Fatal(err)
	}
	p.IssuedAt = now.Add(-time.Hour)
	p.Version = bad.Version + 1
	p.Renews = bad.ID
	p.Serial = mustSerial(t, bad.ID)
	good, err := credential.Issue(p, "samr-2025b", replacement)
	if err != nil {
		t.Fatal(err)
	}
	v := credential.Verify(credential.VerifyInput{Document: good, Registry: reg, Record: recordOf(good), Online: true, Now: now})
	if !v.Valid || good.Renews != bad.ID {
		t.Fatalf("re-issued credential: %+v", v)
	}
}

func mustSerial(t *testing.T, id string) string {
	t.Helper()
	parsed, err := credential.ParseIdentifier(id)
	if err != nil {
		t.Fatal(err)
	}
	return parsed.Serial
}
