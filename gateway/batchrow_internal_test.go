package gateway

import (
	"encoding/json"
	"reflect"
	"testing"

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
