package gateway_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/vc"
)

// newVersionAnswer is the body of a renewal or change.
type newVersionAnswer struct {
	issuedAnswer
	Superseded *credential.Record `json:"superseded"`
}

func (e *apiEnv) newVersion(t *testing.T, dept, id, action string, body any) (newVersionAnswer, apiResponse) {
	t.Helper()
	r := e.do(t, "POST", "/api/v1/credentials/"+id+"/"+action, e.key(dept), body)
	var out newVersionAnswer
	if r.Status == http.StatusCreated {
		r.decode(t, &out.issuedAnswer)
		r.decode(t, &out)
	}
	return out, r
}

func serial(t *testing.T, id string) string {
	t.Helper()
	i, err := credential.ParseIdentifier(id)
	if err != nil {
		t.Fatal(err)
	}
	return i.Serial
}

func (e *apiEnv) mustNewVersion(t *testing.T, id, action string, body any) newVersionAnswer {
	t.Helper()
	out, r := e.newVersion(t, "samr", id, action, body)
	if r.Status != http.StatusCreated {
		t.Fatalf("%s %s: %d %s", action, id, r.Status, r.Body)
	}
	return out
}

// A renewal and then a change of one licence: each is the next version,
// signed by samr, same holder, linked both ways; the version it replaces
// verifies as superseded (API, page, status list) and keeps its history.
func TestRenewThenChange(t *testing.T) {
	e := newAPIEnv(t)
	v1 := e.mustIssue(t, "延续变更有限公司")
	v2 := e.mustNewVersion(t, v1.ID, "renew", map[string]any{"validUntil": "2044-01-01", "reason": "营业期限延续"})
	if v2.Record.Version != 2 || v2.Record.Renews != v1.ID || v2.Document.Renews != v1.ID || v2.Record.HolderRef != v1.Record.HolderRef ||
		v2.Record.LastChange.Action != credential.ActionRenew || v2.Document.Issuer != "samr" || serial(t, v2.ID) != serial(t, v1.ID) {
		t.Fatalf("renewal: %+v", v2.Record)
	}
	if !v2.Record.ValidUntil.After(v1.Record.ValidUntil) || !v2.Record.ValidFrom.Equal(v1.Record.ValidFrom) {
		t.Fatalf("renewed validity %s..%s, was %s..%s", v2.Record.ValidFrom, v2.Record.ValidUntil, v1.Record.ValidFrom, v1.Record.ValidUntil)
	}
	if v2.Superseded == nil || v2.Superseded.SupersededBy != v2.ID {
		t.Fatalf("renewal answer's superseded record: %+v", v2.Superseded)
	}

	old := e.verify(t, map[string]any{"document": v1.Document})
	if old.Valid || old.Status != credential.StatusSuperseded || old.Record.SupersededBy != v2.ID || old.check(credential.CheckStatus).OK {
		t.Fatalf("the renewed version verifies as %+v", old)
	}
	r := e.do(t, "POST", "/api/v1/verify", "", map[string]any{"qr": v1.VerifyURL})
	if !strings.Contains(string(r.Body), `"supersededByUrl":"`+publicURL+"/v/"+v2.ID+`"`) {
		t.Fatalf("verify by QR names no successor: %s", r.Body)
	}
	if nv := e.verify(t, map[string]any{"document": v2.Document}); !nv.Valid || nv.Status != credential.StatusValid {
		t.Fatalf("the renewal verifies as %+v", nv)
	}
	for _, lang := range []struct{ accept, words string }{{"en", "Superseded"}, {"zh-CN", "已被新版本取代"}} {
		page := e.pageGet(t, "/v/"+v1.ID, lang.accept)
		body := string(page.Body)
		if page.Status != http.StatusOK || !strings.Contains(body, `data-status="superseded"`) || !strings.Contains(body, lang.words) ||
			!strings.Contains(body, `href="/v/`+v2.ID+`"`) {
			t.Errorf("%s page of the renewed version: %d\n%s", lang.accept, page.Status, body)
		}
	}
	if c, _ := e.exportVC(t, v1.ID); !e.statusBit(t, c, vc.PurposeRevocation) {
		t.Error("the superseded version is not set in its revocation list")
	}
	if c, _ := e.exportVC(t, v2.ID); e.statusBit(t, c, vc.PurposeRevocation) {
		t.Error("the renewal is set in its revocation list")
	}

	// Only the newest version is renewed, changed or suspended.
	_, r = e.newVersion(t, "samr", v1.ID, "renew", map[string]any{"validUntil": "2050-01-01"})
	expectReason(t, r, http.StatusConflict, string(credential.ReasonNotNewestVersion))
	_, r = e.newVersion(t, "samr", v1.ID, "change", map[string]any{"fields": map[string]any{"address": "新地址"}, "reason": "住所变更"})
	expectReason(t, r, http.StatusConflict, string(credential.ReasonNotNewestVersion))
	r = e.do(t, "POST", "/api/v1/credentials/"+v1.ID+"/suspend", e.key("samr"), map[string]string{"reason": "x"})
	expectReason(t, r, http.StatusConflict, string(credential.ReasonNotNewestVersion))

	v3 := e.mustNewVersion(t, v2.ID, "change", map[string]any{
		"fields": map[string]any{"address": "福建省福州市台江区新路1号", "registeredCapital": 800},
		"holder": map[string]any{"name": "延续变更（福建）有限公司"}, "reason": "名称、住所变更"})
	if v3.Record.Version != 3 || v3.Record.LastChange.Action != credential.ActionChange || v3.Record.LastChange.Reason != "名称、住所变更" ||
		v3.Document.Holder().Name != "延续变更（福建）有限公司" || v3.Document.Holder().IDNumber != v1.Document.Holder().IDNumber ||
		!v3.Record.ValidUntil.Equal(v2.Record.ValidUntil) || v3.Record.HolderRef != v1.Record.HolderRef {
		t.Fatalf("change: %+v", v3.Record)
	}
	if c, ok := v3.Document.Claim("address"); !ok || c.Value != "福建省福州市台江区新路1号" {
		t.Fatalf("changed address: %+v", c)
	}
	if v := e.verify(t, map[string]any{"document": v2.Document}); v.Status != credential.StatusSuperseded {
		t.Fatalf("the changed version verifies as %s", v.Status)
	}

	// Both histories show the link.
	h1, h2, h3 := e.history(t, v1.ID), e.history(t, v2.ID), e.history(t, v3.ID)
	if len(h1) != 2 || h1[1].Action != credential.ActionSupersede || h1[1].SupersededBy != v2.ID {
		t.Errorf("history of version 1: %+v", h1)
	}
	if len(h2) != 2 || h2[0].Action != credential.ActionRenew || h2[0].Renews != v1.ID || h2[1].SupersededBy != v3.ID {
		t.Errorf("history of version 2: %+v", h2)
	}
	if len(h3) != 1 || h3[0].Action != credential.ActionChange || h3[0].Renews != v2.ID {
		t.Errorf("history of version 3: %+v", h3)
	}
}

// What the gateway refuses, and who may: each case on a fresh licence.
func TestRenewAndChangeRefused(t *testing.T) {
	e := newAPIEnv(t)
	for _, tt := range []struct {
		name, dept, action string
		prepare            string // a status change first
		body               any
		status             int
		reason             credential.Reason
	}{
		{"another department renews", "edu", "renew", "", map[string]any{"validUntil": "2044-01-01"}, http.StatusForbidden, credential.ReasonNotIssuer},
		{"another department changes", "hrss", "change", "", map[string]any{"fields": map[string]any{"address": "x"}, "reason": "r"}, http.StatusForbidden, credential.ReasonNotIssuer},
		{"revoked renewed", "samr", "renew", "revoke", map[string]any{"validUntil": "2044-01-01"}, http.StatusConflict, credential.ReasonCredentialRevoked},
		{"revoked changed", "samr", "change", "revoke", map[string]any{"fields": map[string]any{"address": "x"}, "reason": "r"}, http.StatusConflict, credential.ReasonCredentialRevoked},
		{"renewal earlier", "samr", "renew", "", map[string]any{"validUntil": "2030-01-01"}, http.StatusBadRequest, credential.ReasonRenewalNotLater},
		{"renewal without end", "samr", "renew", "", map[string]any{"reason": "r"}, http.StatusBadRequest, credential.ReasonInvalidField},
		{"change without reason", "samr", "change", "", map[string]any{"fields": map[string]any{"address": "x"}}, http.StatusBadRequest, credential.ReasonInvalidField},
		{"change of nothing", "samr", "change", "", map[string]any{"fields": map[string]any{"address": "福建省福州市鼓楼区五四路100号"}, "reason": "r"}, http.StatusBadRequest, credential.ReasonNothingChanged},
		{"change of an unknown field", "samr", "change", "", map[string]any{"fields": map[string]any{"colour": "red"}, "reason": "r"}, http.StatusBadRequest, credential.ReasonInvalidField},
		{"change of the holder's ID", "samr", "change", "", map[string]any{"holder": map[string]any{"name": "x", "idNumber": "91350100M000100Y43"}, "reason": "r"}, http.StatusBadRequest, "malformed_request"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			lic := e.mustIssue(t, "拒绝有限公司")
			if tt.prepare == "revoke" {
				if r := e.do(t, "POST", "/api/v1/credentials/"+lic.ID+"/revoke", e.key("samr"), map[string]string{"reason": "吊销", "code": "penalty"}); r.Status != http.StatusOK {
					t.Fatalf("revoke: %d %s", r.Status, r.Body)
				}
			}
			_, r := e.newVersion(t, tt.dept, lic.ID, tt.action, tt.body)
			if r.Status != tt.status {
				t.Fatalf("%d %s, want %d", r.Status, r.Body, tt.status)
			}
			if tt.reason != "malformed_request" {
				expectReason(t, r, tt.status, string(tt.reason))
			}
			if h := e.history(t, lic.ID); h[len(h)-1].SupersededBy != "" {
				t.Fatalf("a refused %s superseded the credential: %+v", tt.action, h)
			}
		})
	}
}

// A suspended credential's renewal carries the suspension; a type whose
// renewals keep the previous version leaves it valid until its own end.
func TestRenewSuspendedAndKeepPrevious(t *testing.T) {
	e := newAPIEnv(t)
	susp := e.mustIssue(t, "暂扣延续有限公司")
	if r := e.do(t, "POST", "/api/v1/credentials/"+susp.ID+"/suspend", e.key("samr"), map[string]string{"reason": "年报未报"}); r.Status != http.StatusOK {
		t.Fatalf("suspend: %d %s", r.Status, r.Body)
	}
	ns := e.mustNewVersion(t, susp.ID, "renew", map[string]any{"validUntil": "2044-01-01"})
	if ns.Record.Status != credential.StatusSuspended || ns.Record.StatusReason != "年报未报" {
		t.Fatalf("renewal of a suspended credential: %+v", ns.Record)
	}
	if v := e.verify(t, map[string]any{"document": ns.Document}); v.Valid || v.Status != credential.StatusSuspended {
		t.Fatalf("renewal of a suspended credential verifies as %s", v.Status)
	}
	if v := e.verify(t, map[string]any{"document": susp.Document}); v.Status != credential.StatusSuperseded {
		t.Fatalf("suspended and renewed credential verifies as %s", v.Status)
	}

	ty, _ := e.registry(t).Type("business-licence")
	ty.RenewalKeepsPrevious = true
	if r := e.do(t, "PUT", "/api/v1/types/business-licence", e.key("gov"), ty); r.Status != http.StatusOK {
		t.Fatalf("put type: %d %s", r.Status, r.Body)
	}
	kept := e.mustIssue(t, "保留旧版有限公司")
	nk := e.mustNewVersion(t, kept.ID, "renew", map[string]any{"validUntil": "2044-01-01"})
	v := e.verify(t, map[string]any{"document": kept.Document})
	if !v.Valid || v.Status != credential.StatusValid || v.Record.SupersededBy != nk.ID || !v.Record.KeepsValidity {
		t.Fatalf("kept version verifies as %+v", v)
	}
	if c, _ := e.exportVC(t, kept.ID); e.statusBit(t, c, vc.PurposeRevocation) {
		t.Error("the kept version is set in its revocation list")
	}
	if st := v.Record.EffectiveStatus(kept.Record.ValidUntil.Add(time.Second)); st != credential.StatusSuperseded {
		t.Errorf("kept version after its end: %s", st)
	}
	// A change supersedes at once, whatever the type says.
	nc := e.mustNewVersion(t, nk.ID, "change", map[string]any{"fields": map[string]any{"legalRepresentative": "李四"}, "reason": "法定代表人变更"})
	if v := e.verify(t, map[string]any{"document": nk.Document}); v.Valid || v.Status != credential.StatusSuperseded || v.Record.SupersededBy != nc.ID {
		t.Fatalf("changed version of a keep-previous type verifies as %+v", v)
	}
}
