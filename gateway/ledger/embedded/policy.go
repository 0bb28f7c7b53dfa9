package embedded

import (
	"encoding/json"
	"slices"

	"google.golang.org/protobuf/encoding/protowire"
)

// A key-level endorsement policy is stored as the JSON array of the MSP IDs
// whose peers must endorse a write, sorted and without duplicates, so that
// every run of a transaction stores the same bytes.
func encodePolicy(mspIDs []string) ([]byte, error) {
	ids := slices.Clone(mspIDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if ids == nil {
		ids = []string{}
	}
	return json.Marshal(ids)
}

// decodePolicy returns the MSP IDs of a stored policy, sorted. Ledgers
// written before hold Fabric's serialized SignaturePolicyEnvelope instead;
// its encoding never starts with '[' (that byte would be a group tag, which
// the envelope has none of), and the log hashes the stored bytes, so both
// forms stay.
func decodePolicy(b []byte) ([]string, error) {
	if len(b) > 0 && b[0] == '[' {
		var ids []string
		if err := json.Unmarshal(b, &ids); err != nil {
			return nil, err
		}
		return ids, nil
	}
	return envelopeMSPs(b)
}

// Field numbers of the Fabric messages envelopeMSPs reads
// (fabric-protos common/policies.proto and msp/msp_principal.proto).
const (
	envelopeIdentities      = 3 // SignaturePolicyEnvelope.identities: repeated MSPPrincipal
	principalClassification = 1 // MSPPrincipal.principal_classification; ROLE is 0
	principalBytes          = 2 // MSPPrincipal.principal: an MSPRole for ROLE
	roleMSPIdentifier       = 1 // MSPRole.msp_identifier
)

// envelopeMSPs lists the MSP IDs a serialized SignaturePolicyEnvelope names,
// sorted and without duplicates. Like Fabric's statebased package, it reads
// only ROLE principals: those are the ones key-level policies hold.
func envelopeMSPs(b []byte) ([]string, error) {
	var ids []string
	err := eachField(b, func(num protowire.Number, typ protowire.Type, v []byte) error {
		if num != envelopeIdentities || typ != protowire.BytesType {
			return nil
		}
		id, isRole, err := principalMSP(v)
		if err != nil {
			return err
		}
		if isRole {
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

// principalMSP reads an MSPPrincipal: the MSP ID of its MSPRole, and
// whether it is a ROLE principal at all. Absent fields have their zero
// value, as in proto3.
func principalMSP(b []byte) (id string, isRole bool, err error) {
	var class uint64
	var role []byte
	err = eachField(b, func(num protowire.Number, typ protowire.Type, v []byte) error {
		switch {
		case num == principalClassification && typ == protowire.VarintType:
			class, _ = protowire.ConsumeVarint(v)
		case num == principalBytes && typ == protowire.BytesType:
			role = v
		}
		return nil
	})
	if err != nil || class != 0 {
		return "", false, err
	}
	err = eachField(role, func(num protowire.Number, typ protowire.Type, v []byte) error {
		if num == roleMSPIdentifier && typ == protowire.BytesType {
			id = string(v)
		}
		return nil
	})
	return id, err == nil, err
}

// eachField calls fn with every field of a serialized message in order:
// for a length-delimited field v is its content, for a varint its encoding.
func eachField(b []byte, fn func(num protowire.Number, typ protowire.Type, v []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		v := b[:n]
		if typ == protowire.BytesType {
			v, _ = protowire.ConsumeBytes(v) // its length was checked just above
		}
		if err := fn(num, typ, v); err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}
