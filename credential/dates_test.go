package credential_test

import (
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
)

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// A plain date is a day in the deployment's zone; an explicit offset keeps
// its instant.
func TestParseTime(t *testing.T) {
	shanghai, newYork := mustZone(t, "Asia/Shanghai"), mustZone(t, "America/New_York")
	cases := []struct {
		in    string
		loc   *time.Location
		bound credential.DayBound
		want  string // RFC 3339 in UTC
	}{
		{"2027-12-31", shanghai, credential.DayStart, "2027-12-30T16:00:00Z"},
		{"2027-12-31", shanghai, credential.DayEnd, "2027-12-31T16:00:00Z"},
		{" 2026-01-01 ", shanghai, credential.DayStart, "2025-12-31T16:00:00Z"},
		{"2026-01-01", nil, credential.DayStart, "2026-01-01T00:00:00Z"},
		// 2026-03-08 has 23 hours in New York: the end is the next midnight.
		{"2026-03-08", newYork, credential.DayStart, "2026-03-08T05:00:00Z"},
		{"2026-03-08", newYork, credential.DayEnd, "2026-03-09T04:00:00Z"},
		{"2026-01-01T00:00:00Z", shanghai, credential.DayStart, "2026-01-01T00:00:00Z"},
		{"2026-01-01T00:00:00+08:00", newYork, credential.DayEnd, "2025-12-31T16:00:00Z"},
		{"2026-01-01T09:30:00.5-05:00", shanghai, credential.DayStart, "2026-01-01T14:30:00.5Z"},
	}
	for _, c := range cases {
		got, err := credential.ParseTime(c.in, c.loc, c.bound)
		if err != nil {
			t.Errorf("ParseTime(%q): %v", c.in, err)
			continue
		}
		if s := got.UTC().Format(time.RFC3339Nano); s != c.want {
			t.Errorf("ParseTime(%q, %v, %v) = %s, want %s", c.in, c.loc, c.bound, s, c.want)
		}
	}
	for _, bad := range []string{"", "yesterday", "2026-02-30", "2026-1-1", "2026-01-01 08:00"} {
		if _, err := credential.ParseTime(bad, shanghai, credential.DayStart); credential.ErrorReason(err) != credential.ReasonInvalidField {
			t.Errorf("ParseTime(%q) = %v, want %s", bad, err, credential.ReasonInvalidField)
		}
	}
}

func TestMidnightAndLastDay(t *testing.T) {
	shanghai := mustZone(t, "Asia/Shanghai")
	end := time.Date(2028, 1, 1, 0, 0, 0, 0, shanghai)
	if !credential.IsMidnight(end, shanghai) || credential.IsMidnight(end, time.UTC) {
		t.Error("IsMidnight does not judge in the zone given")
	}
	if got := credential.LastDay(end, shanghai); got != "2027-12-31" {
		t.Errorf("a validity ending at %v runs through %s, want 2027-12-31", end, got)
	}
	if got := credential.LastDay(end.Add(8*time.Hour), shanghai); got != "2028-01-01" {
		t.Errorf("a validity ending at 08:00 runs through %s, want that day", got)
	}
}

// The validity check states its times in the zone it is given.
func TestValidityDetailIsInTheGivenZone(t *testing.T) {
	shanghai := mustZone(t, "Asia/Shanghai")
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, shanghai)
	v := credential.Verify(credential.VerifyInput{Document: &credential.Document{ValidFrom: from}, Now: from.Add(-time.Hour), Location: shanghai})
	for _, c := range v.Checks {
		if c.Name == credential.CheckValidity {
			if c.Detail != "not valid before 2026-01-01T00:00:00+08:00" {
				t.Fatalf("validity detail %q", c.Detail)
			}
			return
		}
	}
	t.Fatalf("no validity check in %+v", v.Checks)
}
