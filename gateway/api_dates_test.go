package gateway_test

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certledger/certledger/gateway"
)

// A plain date in the API is a day in the deployment's zone (Asia/Shanghai
// unless configured): validFrom its first instant, validUntil the end of
// it. A time with an offset is the instant it names.
func TestIssueDatesAreDaysInTheDeploymentZone(t *testing.T) {
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		name             string
		zone             string // "" for the default
		validFrom, until string
		wantFrom         time.Time
		wantUntil        time.Time
	}{
		{"plain dates, default zone", "", "2026-01-01", "2027-12-31", utc("2025-12-31T16:00:00Z"), utc("2027-12-31T16:00:00Z")},
		{"plain dates, UTC deployment", "UTC", "2026-01-01", "2027-12-31", utc("2026-01-01T00:00:00Z"), utc("2028-01-01T00:00:00Z")},
		{"explicit offsets keep their instant", "", "2026-01-01T00:00:00Z", "2027-12-31T00:00:00-05:00", utc("2026-01-01T00:00:00Z"), utc("2027-12-31T05:00:00Z")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newAPIEnv(t, func(cfg *gateway.Config, _ *ledgerWrap) {
				if c.zone != "" {
					loc, err := gateway.LoadTimeZone(c.zone)
					if err != nil {
						t.Fatal(err)
					}
					cfg.TimeZone = loc
				}
			})
			body := licenceBody("日期测试有限公司")
			body["validFrom"], body["validUntil"] = c.validFrom, c.until
			out, r := e.issue(t, "samr", body)
			if r.Status != http.StatusCreated {
				t.Fatalf("issue: %d %s", r.Status, r.Body)
			}
			for _, got := range []struct {
				what      string
				got, want time.Time
			}{
				{"document validFrom", out.Document.ValidFrom, c.wantFrom}, {"document validUntil", out.Document.ValidUntil, c.wantUntil},
				{"record validFrom", out.Record.ValidFrom, c.wantFrom}, {"record validUntil", out.Record.ValidUntil, c.wantUntil},
			} {
				if !got.got.Equal(got.want) {
					t.Errorf("%s = %s, want %s", got.what, got.got.UTC().Format(time.RFC3339), got.want.Format(time.RFC3339))
				}
			}
		})
	}
}

// A key's compromise dated by a plain date starts with that day in the
// deployment's zone.
func TestCompromiseDateIsADayInTheDeploymentZone(t *testing.T) {
	var offset atomic.Int64
	e := newAPIEnv(t, withClock(&offset))
	kid := e.department(t, "samr").Keys[0].ID
	// Two days on, the department reports a compromise since yesterday:
	// after the key's start, inside the window.
	offset.Store(int64(48 * time.Hour))
	day := time.Now().In(shanghaiZone(t)).AddDate(0, 0, 1).Format(time.DateOnly)
	r := e.do(t, "POST", "/api/v1/departments/samr/keys/"+kid+"/compromise", e.key("samr"),
		map[string]any{"compromisedAt": day, "reason": "签名服务器被入侵"})
	if r.Status != http.StatusOK {
		t.Fatalf("compromise dated %s: %d %s", day, r.Status, r.Body)
	}
	want, _ := time.ParseInLocation(time.DateOnly, day, shanghaiZone(t))
	if k, _ := e.department(t, "samr").Key(kid); !k.CompromisedAt.Equal(want) {
		t.Fatalf("compromisedAt %s, want %s", k.CompromisedAt, want)
	}
}

func shanghaiZone(t testing.TB) *time.Location {
	t.Helper()
	loc, err := gateway.LoadTimeZone("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
