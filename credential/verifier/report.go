package verifier

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/certledger/certledger/credential"
)

// Field is a labelled claim of a verified credential.
type Field struct {
	Name    string `json:"name"`
	LabelZh string `json:"labelZh"`
	LabelEn string `json:"labelEn"`
	Value   string `json:"value"`
}

// Report is the outcome of one verification, offline or online.
type Report struct {
	Input    Input
	Online   bool
	ID       string
	Type     string // English and Chinese names, when known
	Issuer   string
	Valid    bool
	Status   credential.Status
	Checks   []credential.Check
	Fields   []Field // disclosed claims, when the input carried them
	Withheld []Field // schema fields not disclosed by a presentation
	Notes    []string
}

// Offline verifies in against a trust list, stating times in loc (the
// deployment's time zone). A by-reference QR code carries no signed content
// and cannot be verified offline.
func Offline(in Input, tl *credential.TrustList, now time.Time, loc *time.Location) (Report, error) {
	r := Report{Input: in}
	var d *credential.Document
	switch in.Kind {
	case KindReference:
		r.ID = in.Text
		if id, _, err := credential.ParseVerifyURL(in.Text); err == nil {
			r.ID = id
		}
		r.Status = credential.StatusUnknown
		r.Checks = []credential.Check{{Name: credential.CheckLedger, OK: false,
			Detail: "a by-reference QR code holds only a link, no signed content: verify it online (--gateway)"}}
		return r, nil
	case KindCompact:
		var err error
		if d, err = credential.DecodeCompact(in.Text); err != nil {
			return r, err
		}
	default:
		d = in.Document
	}
	v := tl.Verify(d, now, loc)
	r.ID, r.Valid, r.Status, r.Checks = d.ID, v.Valid, v.Status, v.Checks
	reg := tl.Registry
	if t, ok := reg.Type(d.Type); ok {
		r.Type = t.NameEn + " (" + t.NameZh + ")"
	}
	if dept, ok := reg.Department(d.Issuer); ok {
		r.Issuer = dept.NameEn + " (" + dept.NameZh + ")"
	}
	t, _ := reg.Type(d.Type)
	for _, spec := range append(credential.HolderSpecs(), t.Fields...) {
		f := Field{Name: spec.Name, LabelZh: spec.LabelZh, LabelEn: spec.LabelEn}
		if c, ok := d.Claim(spec.Name); ok {
			f.Value = c.Value
			r.Fields = append(r.Fields, f)
		} else if d.IsPresentation() {
			r.Withheld = append(r.Withheld, f)
		}
	}
	return r, nil
}

// gatewayAnswer is the part of POST /api/v1/verify's answer a report uses.
type gatewayAnswer struct {
	Valid     bool               `json:"valid"`
	Status    credential.Status  `json:"status"`
	Checks    []credential.Check `json:"checks"`
	ID        string             `json:"id"`
	Type      *struct{ NameZh, NameEn string }
	Issuer    *struct{ NameZh, NameEn string }
	Disclosed bool    `json:"disclosed"`
	Presented bool    `json:"presented"`
	Fields    []Field `json:"fields"`
	Withheld  []Field `json:"withheld"`
}

// Online verifies in through a gateway's POST /api/v1/verify: signature,
// integrity, issuer, the ledger record and its current status.
func Online(ctx context.Context, client *http.Client, gateway string, in Input) (Report, error) {
	r := Report{Input: in, Online: true}
	var body any
	switch in.Kind {
	case KindDocument:
		body = map[string]any{"document": in.Document}
	case KindPresentation:
		body = map[string]any{"presentation": in.Document}
	default:
		body = map[string]any{"qr": in.Text}
	}
	raw, _ := json.Marshal(body)
	u := strings.TrimRight(gateway, "/") + "/api/v1/verify"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(raw))
	if err != nil {
		return r, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return r, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return r, err
	}
	if resp.StatusCode != http.StatusOK {
		var p struct{ Detail string }
		if json.Unmarshal(answer, &p) == nil && p.Detail != "" {
			return r, fmt.Errorf("the gateway refused the input (%d): %s", resp.StatusCode, p.Detail)
		}
		return r, fmt.Errorf("the gateway answered %s", resp.Status)
	}
	var a gatewayAnswer
	if err := json.Unmarshal(answer, &a); err != nil {
		return r, fmt.Errorf("the gateway's answer does not parse: %v", err)
	}
	r.ID, r.Valid, r.Status, r.Checks = a.ID, a.Valid, a.Status, a.Checks
	if a.Type != nil {
		r.Type = a.Type.NameEn + " (" + a.Type.NameZh + ")"
	}
	if a.Issuer != nil {
		r.Issuer = a.Issuer.NameEn + " (" + a.Issuer.NameZh + ")"
	}
	if a.Disclosed || a.Presented {
		r.Fields, r.Withheld = a.Fields, a.Withheld
	}
	if in.Kind == KindReference && !a.Disclosed {
		r.Notes = append(r.Notes, "the QR text carries no valid access token: only status, type and issuer are shown")
	}
	return r, nil
}

// statusWords explain each status in the result line.
var statusWords = map[credential.Status]string{
	credential.StatusValid:       "VALID: genuine, recorded on the ledger, in force",
	credential.StatusSuspended:   "NOT VALID: the credential is suspended (暂扣)",
	credential.StatusRevoked:     "NOT VALID: the credential is revoked",
	credential.StatusExpired:     "NOT VALID: the credential has expired",
	credential.StatusNotYetValid: "NOT VALID: the credential is not valid yet",
	credential.StatusNotFound:    "NOT VALID: the ledger has no such credential",
	credential.StatusForged:      "NOT VALID: forged or altered (see the failed checks)",
	credential.StatusUnknown:     "NOT CONFIRMED: status unknown until verified online",
}

// WriteText prints the report in plain words.
func (r Report) WriteText(w io.Writer) {
	mode := "offline, against the cached trust list"
	if r.Online {
		mode = "online, through the gateway"
	}
	fmt.Fprintf(w, "Input:      %s\n", r.Input.Describe())
	fmt.Fprintf(w, "Verified:   %s\n", mode)
	if r.ID != "" {
		fmt.Fprintf(w, "Credential: %s\n", r.ID)
	}
	if r.Type != "" {
		fmt.Fprintf(w, "Type:       %s\n", r.Type)
	}
	if r.Issuer != "" {
		fmt.Fprintf(w, "Issuer:     %s\n", r.Issuer)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "Note:       %s\n", n)
	}
	fmt.Fprintln(w, "Checks:")
	for _, c := range r.Checks {
		mark := "ok  "
		if !c.OK {
			mark = "FAIL"
			if !r.Online && (c.Name == credential.CheckLedger || c.Name == credential.CheckStatus) {
				mark = "??  "
			}
		}
		fmt.Fprintf(w, "  [%s] %-10s %s\n", mark, c.Name+":", c.Detail)
	}
	if len(r.Fields) > 0 {
		fmt.Fprintln(w, "Disclosed fields:")
		for _, f := range r.Fields {
			fmt.Fprintf(w, "  %s (%s): %s\n", f.LabelEn, f.LabelZh, f.Value)
		}
	}
	if len(r.Withheld) > 0 {
		fmt.Fprintln(w, "Not disclosed:")
		for _, f := range r.Withheld {
			fmt.Fprintf(w, "  %s (%s)\n", f.LabelEn, f.LabelZh)
		}
	}
	words, ok := statusWords[r.Status]
	if !ok {
		words = "NOT VALID: " + string(r.Status)
	}
	if r.Valid {
		words = statusWords[credential.StatusValid]
	}
	fmt.Fprintf(w, "Result:     %s\n", words)
}
