package credential_test

import (
	"crypto/ed25519"
	"strings"
	"testing"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
	qrcode "github.com/skip2/go-qrcode"
)

// demoRegistry is the demo catalogue with a fixed key per department.
func demoRegistry(t testing.TB) (credential.Registry, map[string]ed25519.PrivateKey) {
	t.Helper()
	reg := credential.Registry{Types: demo.Types()}
	keys := map[string]ed25519.PrivateKey{}
	for i, d := range demo.Departments() {
		k := seedKey(byte(40 + i))
		keys[d.ID] = k
		d.Keys = []credential.Key{{ID: d.ID + "-1", PublicKey: pubB64(k), ValidFrom: issuedAt.AddDate(-1, 0, 0), Status: credential.KeyActive}}
		reg.Departments = append(reg.Departments, d)
	}
	reg.Sort()
	return reg, keys
}

// demoCredentials are typical credentials of the demo types with every
// field filled in with realistic Chinese text, and the minimal set of
// fields a verifier usually needs.
var demoCredentials = []struct {
	typeID  string
	holder  credential.Holder
	fields  map[string]string
	minimal []string
	// fitsAll is false where the full credential is over the QR budget;
	// the test then expects the clear error instead of a payload.
	fitsAll bool
}{
	{"business-licence", credential.Holder{Name: "北京示例科技有限公司", IDType: credential.IDUSCC, IDNumber: "91110108MA01ABCD1E"},
		map[string]string{
			"companyName":         "北京示例科技有限公司",
			"entityType":          "有限责任公司（自然人投资或控股）",
			"legalRepresentative": "张三",
			"registeredCapital":   "500",
			"establishedOn":       "2019-03-15",
			"address":             "北京市海淀区中关村大街1号院2号楼10层1001室",
			"businessScope":       "技术开发、技术咨询、技术服务；软件开发；数据处理和存储支持服务；计算机系统服务。（依法须经批准的项目，经相关部门批准后方可开展经营活动）",
		},
		[]string{"companyName", credential.ClaimHolderIDNumber}, false},
	{"diploma", credential.Holder{Name: "李四", IDType: credential.IDResidentCard, IDNumber: "11010519491231002X"},
		map[string]string{
			"school":            "北京示例大学",
			"major":             "计算机科学与技术",
			"level":             "本科",
			"enrolledOn":        "2018-09-01",
			"graduatedOn":       "2022-06-30",
			"certificateNumber": "100011202205001234",
		},
		[]string{credential.ClaimHolderName, "school", "level"}, true},
	{"professional-qualification", credential.Holder{Name: "王五", IDType: credential.IDResidentCard, IDNumber: "11010519491231002X"},
		map[string]string{
			"occupation":        "电工",
			"grade":             "三级/高级工",
			"score":             "86.5",
			"examinedOn":        "2025-11-20",
			"certificateNumber": "S000011000000253001234",
		},
		[]string{credential.ClaimHolderName, "occupation", "grade"}, true},
}

func issueDemo(t testing.TB, reg credential.Registry, keys map[string]ed25519.PrivateKey, i int) *credential.Document {
	t.Helper()
	c := demoCredentials[i]
	ty, _ := reg.Type(c.typeID)
	dept, _ := reg.Department(ty.Issuers[0])
	d, err := credential.Issue(credential.IssueParams{Type: ty, Issuer: dept, Holder: c.holder, Fields: c.fields, IssuedAt: issuedAt},
		dept.Keys[0].ID, keys[dept.ID])
	if err != nil {
		t.Fatalf("issuing %s: %v", c.typeID, err)
	}
	return d
}

// TestCompactSizesOfDemoTypes measures the compact payload of each demo
// type with all fields and with a minimal set; run it with -v to see the
// figures quoted in docs/decisions/0002-compact-qr.md. Salts (16 bytes per
// disclosed claim), hidden commitments (32 bytes each) and the signature do
// not compress, which is why hiding a field saves less than its text.
func TestCompactSizesOfDemoTypes(t *testing.T) {
	reg, keys := demoRegistry(t)
	for i, c := range demoCredentials {
		doc := issueDemo(t, reg, keys, i)
		min, err := doc.Present(c.minimal)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []struct {
			name string
			d    *credential.Document
			fits bool
		}{{"all fields", doc, c.fitsAll}, {"minimal", min, true}} {
			text, err := credential.EncodeCompact(v.d)
			if !v.fits {
				wantCode(t, err, credential.CodeInvalid)
				t.Logf("%-27s %-10s %2d disclosed %2d hidden: %s", c.typeID, v.name, len(v.d.Claims), len(v.d.Hidden), credential.ErrorMessage(err))
				continue
			}
			if err != nil {
				t.Fatalf("%s, %s: %v", c.typeID, v.name, err)
			}
			back, err := credential.DecodeCompact(text)
			if err != nil {
				t.Fatal(err)
			}
			if res := offline(back, reg); res.Status != credential.StatusUnknown {
				t.Fatalf("%s, %s: offline status %s", c.typeID, v.name, res.Status)
			}
			t.Logf("%-27s %-10s %2d disclosed %2d hidden: %4d QR characters (budget %d)",
				c.typeID, v.name, len(v.d.Claims), len(v.d.Hidden), len(text), credential.MaxCompactLength)
		}
	}
}

// TestCompactBudgetFitsQRVersion25Q checks the budget against a real QR
// encoder: the largest payload EncodeCompact accepts, and each demo
// payload, fit a version 25 symbol at error correction Q in alphanumeric mode.
func TestCompactBudgetFitsQRVersion25Q(t *testing.T) {
	largest := credential.CompactPrefix + strings.Repeat("Z", credential.MaxCompactLength-len(credential.CompactPrefix))
	if _, err := qrcode.NewWithForcedVersion(largest, 25, qrcode.High); err != nil {
		t.Fatalf("a %d-character payload does not fit version 25-Q: %v", credential.MaxCompactLength, err)
	}
	if _, err := qrcode.NewWithForcedVersion(largest+"Z", 25, qrcode.High); err == nil {
		t.Fatalf("version 25-Q holds more than %d characters: the budget could be larger", credential.MaxCompactLength)
	}
	reg, keys := demoRegistry(t)
	for i, c := range demoCredentials {
		doc := issueDemo(t, reg, keys, i)
		min, _ := doc.Present(c.minimal)
		text, err := credential.EncodeCompact(min)
		if err != nil {
			t.Fatal(err)
		}
		q, err := qrcode.New(text, qrcode.High)
		if err != nil || q.VersionNumber > 25 {
			t.Fatalf("%s: QR version %d, %v", c.typeID, q.VersionNumber, err)
		}
		t.Logf("%-27s minimal: %d characters, QR version %d-Q", c.typeID, len(text), q.VersionNumber)
	}
}
