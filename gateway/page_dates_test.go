package gateway_test

import (
	"net/http"
	"testing"
)

// A test licence given plain dates, long expired, shows its days as the
// department gave them: not the 08:00 that a UTC midnight is in China, nor
// the day after its last one.
func TestVerificationPageShowsPlainDatesAsDays(t *testing.T) {
	e := newAPIEnv(t)
	body := licenceBody("过期测试有限公司")
	body["validFrom"], body["validUntil"] = "2020-01-01", "2021-12-31"
	lic, r := e.issue(t, "samr", body)
	if r.Status != http.StatusCreated {
		t.Fatalf("issue: %d %s", r.Status, r.Body)
	}
	for _, c := range []pageCase{
		{name: "zh", lang: "zh", contains: []string{`data-status="expired"`, "2020-01-01", "已于 2021-12-31 届满", "2020-01-01 至 2021-12-31"}},
		{name: "en", lang: "en", contains: []string{`data-status="expired"`, "ended on 2021-12-31", "2020-01-01 to 2021-12-31"}},
	} {
		c.path, c.status = relative(t, lic.VerifyURL), http.StatusOK
		c.absent = []string{"2020-01-01 08:00", "2021-12-31 08:00", "2020-01-01 00:00", "2021-12-31 00:00", "2022-01-01"}
		t.Run(c.name, func(t *testing.T) { c.run(t, e) })
	}
}
