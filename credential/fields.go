package credential

import (
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// DefaultMaxStringLength bounds string fields whose spec gives no maximum.
const DefaultMaxStringLength = 500

var numberRE = regexp.MustCompile(`^-?(0|[1-9][0-9]{0,17})(\.[0-9]{1,8})?$`)

// NormalizeValue checks value against spec and returns its canonical text:
// trimmed strings, YYYY-MM-DD dates, and decimal numbers without exponent,
// leading zeros or trailing fractional zeros.
func NormalizeValue(spec FieldSpec, value string) (string, error) {
	switch spec.Type {
	case FieldString:
		v := strings.TrimSpace(value)
		if !utf8.ValidString(v) {
			return "", Errorf(ReasonInvalidField, "field %s is not valid UTF-8", spec.Name)
		}
		for _, r := range v {
			if unicode.IsControl(r) && r != '\n' {
				return "", Errorf(ReasonInvalidField, "field %s contains a control character", spec.Name)
			}
			// Bidirectional overrides can make a page show text in another
			// order than the signed one (e.g. reverse a number).
			if unicode.Is(unicode.Bidi_Control, r) {
				return "", Errorf(ReasonInvalidField, "field %s contains a bidirectional control character", spec.Name)
			}
		}
		max := spec.MaxLength
		if max <= 0 {
			max = DefaultMaxStringLength
		}
		if n := utf8.RuneCountInString(v); n > max {
			return "", Errorf(ReasonInvalidField, "field %s is %d characters long; the maximum is %d", spec.Name, n, max)
		}
		return v, nil
	case FieldDate:
		v := strings.TrimSpace(value)
		if _, err := time.Parse(time.DateOnly, v); err != nil {
			return "", Errorf(ReasonInvalidField, "field %s must be a date as YYYY-MM-DD, got %q", spec.Name, value)
		}
		return v, nil
	case FieldNumber:
		v := strings.TrimSpace(value)
		if !numberRE.MatchString(v) {
			return "", Errorf(ReasonInvalidField, "field %s must be a decimal number (up to 18 integer and 8 fractional digits), got %q", spec.Name, value)
		}
		if strings.Contains(v, ".") {
			v = strings.TrimRight(strings.TrimRight(v, "0"), ".")
		}
		if v == "-0" {
			v = "0"
		}
		return v, nil
	}
	return "", Errorf(ReasonInvalidField, "field %s has unknown type %q", spec.Name, spec.Type)
}

// holderSpecs are the schema entries of the holder claims every credential
// carries.
var holderSpecs = []FieldSpec{
	{Name: ClaimHolderName, Type: FieldString, Required: true, LabelZh: "持证者", LabelEn: "Holder", MaxLength: 200},
	{Name: ClaimHolderIDType, Type: FieldString, Required: true, LabelZh: "证件类型", LabelEn: "ID type", MaxLength: 32},
	{Name: ClaimHolderIDNumber, Type: FieldString, Required: true, LabelZh: "证件号码", LabelEn: "ID number", MaxLength: 64},
}

// HolderSpecs returns the schema entries of the holder claims.
func HolderSpecs() []FieldSpec { return append([]FieldSpec(nil), holderSpecs...) }

// ClaimSpec returns the schema entry for a claim name of type t, including
// the holder claims.
func (t CredentialType) ClaimSpec(name string) (FieldSpec, bool) {
	for _, s := range holderSpecs {
		if s.Name == name {
			return s, true
		}
	}
	return t.Field(name)
}

// CheckClaims validates a full document's claims against t: every claim is
// known, typed and canonical, every required field is present, and nothing
// appears twice. A presentation (with hidden claims) is not checked for
// completeness.
func (t CredentialType) CheckClaims(claims []Claim, complete bool) error {
	seen := make(map[string]bool, len(claims))
	for _, c := range claims {
		spec, ok := t.ClaimSpec(c.Name)
		if !ok {
			return Errorf(ReasonInvalidField, "field %s is not part of type %s", c.Name, t.ID)
		}
		if seen[c.Name] {
			return Errorf(ReasonInvalidField, "field %s appears twice", c.Name)
		}
		seen[c.Name] = true
		if c.Type != spec.Type {
			return Errorf(ReasonInvalidField, "field %s must have type %s", c.Name, spec.Type)
		}
		norm, err := NormalizeValue(spec, c.Value)
		if err != nil {
			return err
		}
		if norm != c.Value {
			return Errorf(ReasonInvalidField, "field %s is not in canonical form", c.Name)
		}
		if spec.Required && norm == "" {
			return Errorf(ReasonInvalidField, "required field %s is empty", c.Name)
		}
	}
	if !complete {
		return nil
	}
	for _, specs := range [][]FieldSpec{holderSpecs, t.Fields} {
		for _, s := range specs {
			if s.Required && !seen[s.Name] {
				return Errorf(ReasonInvalidField, "required field %s is missing", s.Name)
			}
		}
	}
	return nil
}
