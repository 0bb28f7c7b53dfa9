package gateway

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/gateway/batchfile"
)

// TestRowCodec reads back what encodeRow wrote, and rows stored as JSON
// before; a damaged row is an error.
func TestRowCodec(t *testing.T) {
	for _, r := range []batchfile.Row{
		{Number: 2, Key: "k-1", Body: batchfile.Body{Holder: &credential.Holder{Name: "张三", IDType: "resident_id", IDNumber: "110101199003074514"},
			Fields: map[string]json.RawMessage{"major": json.RawMessage(`"软件工程"`), "credits": json.RawMessage(`120`)}, ValidFrom: "2024-01-01"}},
		{Number: 70000, Body: batchfile.Body{Type: "diploma", ValidUntil: "2030-01-01T00:00:00+08:00"}},
	} {
		got, err := decodeRow(encodeRow(r))
		if err != nil || !reflect.DeepEqual(got, r) {
			t.Errorf("%+v: read back %+v, %v", r, got, err)
		}
		old, _ := json.Marshal(r)
		if got, err := decodeRow(old); err != nil || !reflect.DeepEqual(got, r) {
			t.Errorf("%s: read back %+v, %v", old, got, err)
		}
		enc := encodeRow(r)
		for _, bad := range [][]byte{nil, {9}, enc[:len(enc)-1], append(enc, 0)} {
			if _, err := decodeRow(bad); err == nil {
				t.Errorf("%x: read", bad)
			}
		}
	}
}

// TestPlainJSONString agrees with the JSON decoder wherever it answers.
func TestPlainJSONString(t *testing.T) {
	for _, raw := range []string{`"福州市鼓楼区"`, `""`, `"a\"b"`, `"a\u0041"`, `"tab	x"`, "\"\xff\"", `"x`, `"`, `"<&>"`} {
		s, ok := plainJSONString([]byte(raw))
		var want string
		err := json.Unmarshal([]byte(raw), &want)
		switch {
		case ok && (err != nil || s != want):
			t.Errorf("%q: %q, the decoder %q %v", raw, s, want, err)
		case !ok && raw == `"福州市鼓楼区"`:
			t.Errorf("%q: left to the decoder", raw)
		}
	}
}

// TestCanonical writes the canonical request byte for byte as json.Marshal
// did, which request hashes on the ledger depend on.
func TestCanonical(t *testing.T) {
	at := time.Date(2026, 3, 1, 16, 0, 0, 0, time.UTC)
	for _, in := range []issueInput{
		{Type: credential.CredentialType{ID: "business-licence"}, Holder: credential.Holder{Name: "福州数字未来科技有限公司", IDType: "uscc", IDNumber: "91350100M000100Y43"},
			Fields: map[string]string{"registeredCapital": "100", "address": "福州市鼓楼区五四路1号", "companyName": "x"}, ValidFrom: at, ValidUntil: at.AddDate(10, 0, 0)},
		{Type: credential.CredentialType{ID: "diploma"}, Holder: credential.Holder{Name: `O'Brien "Jr" <a&b>`}, Fields: map[string]string{"note": "line\nbreak\u2028"}},
		{Type: credential.CredentialType{ID: "x"}, Fields: map[string]string{}},
		{},
	} {
		want, _ := json.Marshal(struct {
			Type       string            `json:"type"`
			Holder     credential.Holder `json:"holder"`
			Fields     map[string]string `json:"fields"`
			ValidFrom  string            `json:"validFrom"`
			ValidUntil string            `json:"validUntil"`
		}{in.Type.ID, in.Holder, in.Fields, formatOptTime(in.ValidFrom), formatOptTime(in.ValidUntil)})
		if got := in.canonical(); !bytes.Equal(got, want) {
			t.Errorf("\n%s\nwant\n%s", got, want)
		}
	}
}
