package fabrictest

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/network/scenario"
)

// issued is the gateway's answer to an issuance.
type issued struct {
	ID       string              `json:"id"`
	Document credential.Document `json:"document"`
	Record   credential.Record   `json:"record"`
}

// verified is the gateway's answer to POST /api/v1/verify.
type verified struct {
	Valid       bool   `json:"valid"`
	Status      string `json:"status"`
	TxID        string `json:"txId"`
	BlockNumber uint64 `json:"blockNumber"`
}

// problemError is a refusal of the gateway, with its problem's reason.
type problemError struct {
	what   string
	Reason string `json:"reason"`
}

func (e *problemError) Error() string { return e.what }

// reasonOf returns the reason of a refusal call returned, "" for any other
// error.
func reasonOf(err error) string {
	var p *problemError
	if errors.As(err, &p) {
		return p.Reason
	}
	return ""
}

// call sends a JSON request and decodes a 2xx answer into out; headers
// are name, value pairs. It returns errors rather than failing the test,
// for the goroutines of the drills.
func call(base, method, path, apiKey string, body, out any, headers ...string) (int, error) {
	r, err := scenario.NewClient(base, 3*time.Minute).Do(method, path, apiKey, body, headers...)
	if err != nil {
		return 0, err
	}
	if r.Status/100 != 2 {
		p := &problemError{what: fmt.Sprintf("%s %s: %d %s", method, path, r.Status, r.Body)}
		_ = json.Unmarshal(r.Body, p) // a body that is no problem leaves the reason empty
		return r.Status, p
	}
	if out != nil {
		return r.Status, json.Unmarshal(r.Body, out)
	}
	return r.Status, nil
}

// request bodies of one credential of each issuing department's type;
// n makes the content distinct.
func requestFor(dept string, n int) map[string]any {
	switch dept {
	case "edu":
		return map[string]any{
			"type":   "diploma",
			"holder": map[string]any{"name": "李四", "idType": "resident_id", "idNumber": "11010519491231002X"},
			"fields": map[string]any{"school": "福州大学", "major": "计算机科学与技术", "level": "本科",
				"enrolledOn": "2018-09-01", "graduatedOn": "2022-06-30", "certificateNumber": fmt.Sprintf("1000112022%08d", n)},
			"validFrom": "2022-06-30T00:00:00Z",
		}
	case "hrss":
		return map[string]any{
			"type":   "professional-qualification",
			"holder": map[string]any{"name": "王五", "idType": "resident_id", "idNumber": "11010519491231002X"},
			"fields": map[string]any{"occupation": "电工", "grade": "三级/高级工", "score": 86.5,
				"examinedOn": "2025-11-20", "certificateNumber": fmt.Sprintf("S0000110000%08d", n)},
			"validFrom": "2025-11-20T00:00:00Z",
		}
	}
	name := fmt.Sprintf("福州测试公司%d", n)
	return map[string]any{
		"type":   "business-licence",
		"holder": map[string]any{"name": name, "idType": "uscc", "idNumber": "91350100M000100Y43"},
		"fields": map[string]any{"companyName": name, "entityType": "有限责任公司", "legalRepresentative": "张三",
			"registeredCapital": 500, "establishedOn": "2020-03-15", "address": "福建省福州市鼓楼区五四路100号",
			"businessScope": "软件开发"},
		"validFrom": "2024-01-01T00:00:00Z",
	}
}

// issue issues one credential as dept through the gateway.
func issue(t *testing.T, dept string, n int) issued {
	t.Helper()
	g := gateway(t)
	var out issued
	if _, err := call(g.URL(), "POST", "/api/v1/credentials", g.Keys()[dept].APIKey, requestFor(dept, n), &out); err != nil {
		t.Fatal(err)
	}
	remember(ack{dept: dept, got: out, at: time.Now()})
	return out
}

// verify verifies a document through the gateway.
func verify(t *testing.T, doc credential.Document) verified {
	t.Helper()
	g := gateway(t)
	var v verified
	if _, err := call(g.URL(), "POST", "/api/v1/verify", "", map[string]any{"document": doc}, &v); err != nil {
		t.Fatal(err)
	}
	return v
}
