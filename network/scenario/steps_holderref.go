package scenario

import (
	"net/http"
	"strings"
	"testing"
)

// holderRefs checks, through the gateway whatever ledger is behind it, that
// two departments' records of one person carry unrelated holder references
// and that verification answers carry none.
func (s *suite) holderRefs(t *testing.T) {
	holder := map[string]any{"name": "李四", "idType": "resident_id", "idNumber": "11010519491231002X"}
	bodies := []struct {
		key  string
		body map[string]any
	}{
		{s.edu, map[string]any{"type": "diploma", "holder": holder, "fields": map[string]any{"school": "福州大学",
			"major": "计算机科学与技术", "level": "本科", "graduatedOn": "2024-06-30", "certificateNumber": "103861202405000123"}}},
		{s.hrss, map[string]any{"type": "professional-qualification", "holder": holder, "fields": map[string]any{
			"occupation": "软件工程师", "grade": "二级", "certificateNumber": "HR2024000123"}}},
	}
	var refs []string
	var first issued
	for i, b := range bodies {
		r := s.c.Request(t, "POST", "/api/v1/credentials", b.key, b.body)
		if r.Status != http.StatusCreated {
			t.Fatalf("issue %s: %d %s", b.body["type"], r.Status, r.Body)
		}
		var out struct {
			issued
			Record struct {
				HolderRef string `json:"holderRef"`
			} `json:"record"`
		}
		r.JSON(t, &out)
		if out.Record.HolderRef == "" {
			t.Fatalf("the issuing department's answer has no holder reference: %s", r.Body)
		}
		refs = append(refs, out.Record.HolderRef)
		if i == 0 {
			first = out.issued
		}
	}
	if refs[0] == refs[1] {
		t.Fatalf("edu and hrss records of one person share the holder reference %s", refs[0])
	}
	for _, body := range []map[string]any{{"document": first.Document}, {"qr": first.VerifyURL}, {"qr": first.ID}} {
		r := s.c.Request(t, "POST", "/api/v1/verify", "", body)
		if r.Status != http.StatusOK {
			t.Fatalf("verify: %d %s", r.Status, r.Body)
		}
		if strings.Contains(string(r.Body), "holderRef") || strings.Contains(string(r.Body), refs[0]) {
			t.Errorf("a verification answer carries the holder reference: %s", r.Body)
		}
	}
}
