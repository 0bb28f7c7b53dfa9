package credential

import (
	"crypto/ed25519"
	"slices"
	"strings"
	"time"
)

// IssueParams is what an issuing department asks for.
type IssueParams struct {
	Type       CredentialType
	Issuer     Department
	Holder     Holder
	Fields     map[string]string // raw values by field name
	ValidFrom  time.Time         // zero: IssuedAt
	ValidUntil time.Time         // zero: ValidFrom + the type's default validity, or none
	Renews     string
	Version    int // zero: 1
	IssuedAt   time.Time
	Serial     string // zero: NewSerial(IssuedAt)
}

// NewDocument validates p against the type's schema and builds the claims
// with fresh salts. The result still needs Sign.
func NewDocument(p IssueParams) (*Document, error) {
	if !p.Type.AuthorizesIssuer(p.Issuer.ID) {
		return nil, Errorf(ReasonNotAuthorizedForType, "department %s is not authorized to issue %s", p.Issuer.ID, p.Type.ID)
	}
	if p.IssuedAt.IsZero() {
		// Without it the serial and identifier would be built from year 1.
		return nil, Errorf(ReasonInvalidField, "issuedAt is required")
	}
	holder := p.Holder.Normalize()
	if err := holder.Validate(); err != nil {
		return nil, err
	}
	if err := p.Type.CheckHolderIDType(holder.IDType); err != nil {
		return nil, err
	}
	for name := range p.Fields {
		if _, ok := p.Type.Field(name); !ok {
			return nil, Errorf(ReasonInvalidField, "field %s is not part of type %s", name, p.Type.ID)
		}
	}
	claims := make([]Claim, 3, 3+len(p.Fields))
	claims[0] = Claim{Name: ClaimHolderName, Type: FieldString, Value: holder.Name}
	claims[1] = Claim{Name: ClaimHolderIDType, Type: FieldString, Value: holder.IDType}
	claims[2] = Claim{Name: ClaimHolderIDNumber, Type: FieldString, Value: holder.IDNumber}
	for _, f := range p.Type.Fields {
		raw, ok := p.Fields[f.Name]
		// Forms send every field; an optional one left blank is absent, not
		// an empty claim (an empty date or number would not even parse).
		if ok && !f.Required && strings.TrimSpace(raw) == "" {
			ok = false
		}
		if !ok {
			if f.Required {
				return nil, Errorf(ReasonInvalidField, "required field %s is missing", f.Name)
			}
			continue
		}
		claims = append(claims, Claim{Name: f.Name, Type: f.Type, Value: raw})
	}
	for i := range claims {
		spec, _ := p.Type.ClaimSpec(claims[i].Name)
		v, err := NormalizeValue(spec, claims[i].Value)
		if err != nil {
			return nil, err
		}
		if spec.Required && v == "" {
			return nil, Errorf(ReasonInvalidField, "required field %s is empty", spec.Name)
		}
		claims[i].Value = v
		claims[i].Salt = NewSalt()
	}
	slices.SortFunc(claims, func(a, b Claim) int { return strings.Compare(a.Name, b.Name) })

	issued := p.IssuedAt.UTC().Truncate(time.Millisecond)
	from := p.ValidFrom
	if from.IsZero() {
		from = issued
	}
	until := p.ValidUntil
	if until.IsZero() && p.Type.DefaultValidityDays > 0 {
		until = from.AddDate(0, 0, p.Type.DefaultValidityDays)
	}
	if !until.IsZero() && !until.After(from) {
		return nil, Errorf(ReasonInvalidField, "validUntil must be after validFrom")
	}
	version := p.Version
	if version == 0 {
		version = 1
	}
	serial := p.Serial
	if serial == "" {
		serial = NewSerial(issued)
	}
	id := Identifier{TypeCode: p.Type.Code, Issuer: p.Issuer.USCC, Serial: serial, Version: version}
	if err := id.Validate(); err != nil {
		return nil, err
	}
	if p.Renews != "" {
		if _, err := ParseIdentifier(p.Renews); err != nil {
			return nil, Errorf(ReasonInvalidIdentifier, "renews: %s", ErrorMessage(err))
		}
	}
	return &Document{
		Format:     Format,
		ID:         id.String(),
		Type:       p.Type.Code,
		Issuer:     p.Issuer.ID,
		IssuedAt:   issued,
		ValidFrom:  from.UTC(),
		ValidUntil: until.UTC(),
		Version:    version,
		Renews:     p.Renews,
		Claims:     claims,
	}, nil
}

// Issue builds and signs a document with the issuer's key.
func Issue(p IssueParams, keyID string, key ed25519.PrivateKey) (*Document, error) {
	d, err := NewDocument(p)
	if err != nil {
		return nil, err
	}
	if err := d.Sign(keyID, key); err != nil {
		return nil, err
	}
	return d, nil
}

// CheckStructure validates a full document against the registry: identifier
// consistent with type and issuer, claims matching the schema. It does not
// check integrity or the signature.
func (d *Document) CheckStructure(reg Registry, complete bool) (CredentialType, Department, error) {
	if d.Format != Format {
		return CredentialType{}, Department{}, Errorf(ReasonInvalidDocument, "unknown document format %q", d.Format)
	}
	id, err := ParseIdentifier(d.ID)
	if err != nil {
		return CredentialType{}, Department{}, err
	}
	t, ok := reg.Type(d.Type)
	if !ok || t.Code != d.Type {
		return CredentialType{}, Department{}, Errorf(ReasonUnknownType, "unknown credential type %q", d.Type)
	}
	dept, ok := reg.Department(d.Issuer)
	if !ok {
		return t, Department{}, Errorf(ReasonUnknownIssuer, "unknown issuer %q", d.Issuer)
	}
	if id.TypeCode != t.Code || id.Issuer != dept.USCC || id.Version != d.Version {
		return t, dept, Errorf(ReasonInvalidDocument, "identifier does not match the document's type, issuer or version")
	}
	if d.IssuedAt.IsZero() || d.ValidFrom.IsZero() {
		return t, dept, Errorf(ReasonInvalidField, "issuedAt and validFrom are required")
	}
	if !d.ValidUntil.IsZero() && !d.ValidUntil.After(d.ValidFrom) {
		return t, dept, Errorf(ReasonInvalidField, "validUntil must be after validFrom")
	}
	if d.Renews != "" {
		if _, err := ParseIdentifier(d.Renews); err != nil {
			return t, dept, Errorf(ReasonInvalidIdentifier, "renews: %s", ErrorMessage(err))
		}
	}
	if complete && len(d.Hidden) > 0 {
		return t, dept, Errorf(ReasonInvalidDocument, "a full document cannot have hidden claims")
	}
	if err := t.CheckClaims(d.Claims, complete); err != nil {
		return t, dept, err
	}
	return t, dept, nil
}

// Holder returns the holder claims of a full document.
func (d *Document) Holder() Holder {
	n, _ := d.Claim(ClaimHolderName)
	t, _ := d.Claim(ClaimHolderIDType)
	i, _ := d.Claim(ClaimHolderIDNumber)
	return Holder{Name: n.Value, IDType: t.Value, IDNumber: i.Value}
}
