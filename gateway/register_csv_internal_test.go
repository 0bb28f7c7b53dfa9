package gateway

import (
	"slices"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
)

// A cell a spreadsheet would read as a formula gets a leading apostrophe;
// any other is left as it is.
func TestCSVSafe(t *testing.T) {
	for in, want := range map[string]string{
		"=HYPERLINK(\"x\")": "'=HYPERLINK(\"x\")",
		"+1":                "'+1",
		"-2+3":              "'-2+3",
		"@SUM(A1)":          "'@SUM(A1)",
		"\t=1":              "'\t=1",
		"\r=1":              "'\r=1",
		"":                  "",
		"valid":             "valid",
		"1.2.156.3005.2.x":  "1.2.156.3005.2.x",
		"营业执照":              "营业执照",
		"a=b":               "a=b",
	} {
		if got := csvSafe(in); got != want {
			t.Errorf("csvSafe(%q) = %q, want %q", in, got, want)
		}
	}
	at := time.Date(2026, 3, 1, 1, 0, 0, 0, time.UTC)
	row := registerCSVRow(registerItem{ID: "1.2", Type: "=cmd", TypeID: "-x", Status: credential.StatusValid, Version: 1, IssuedAt: at, ValidFrom: at},
		time.FixedZone("CST", 8*3600))
	want := []string{"1.2", "'=cmd", "'-x", "valid", "", "1", "2026-03-01T09:00:00+08:00", "2026-03-01T09:00:00+08:00", ""}
	if !slices.Equal(row, want) {
		t.Fatalf("row %q, want %q", row, want)
	}
}
