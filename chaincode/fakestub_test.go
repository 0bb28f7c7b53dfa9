package chaincode

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"sort"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/statebased"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// fakeStub is the part of a peer's chaincode stub the contract API and the
// contract use, backed by a memTx. Any other stub method panics (nil
// embedded interface), which would show the adapter calling something the
// test does not model.
type fakeStub struct {
	shim.ChaincodeStubInterface
	tx        *memTx
	args      [][]byte
	creator   []byte
	event     string
	multiGets int
}

// newStub prepares one invocation of fn(args...) by mspID on l.
func newStub(t *testing.T, l *memLedger, txID string, ts time.Time, mspID string, transient map[string][]byte, fn string, args ...string) *fakeStub {
	t.Helper()
	s := &fakeStub{tx: l.tx(txID, ts, mspID, transient), creator: serializedIdentity(t, mspID)}
	s.args = append(s.args, []byte(fn))
	for _, a := range args {
		s.args = append(s.args, []byte(a))
	}
	return s
}

// serializedIdentity is what a peer hands the chaincode as the creator: the
// MSP ID and a PEM certificate.
func serializedIdentity(t *testing.T, mspID string) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "user@" + mspID},
		NotBefore: time.Unix(0, 0), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	b, err := proto.Marshal(&msp.SerializedIdentity{Mspid: mspID, IdBytes: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (s *fakeStub) GetArgs() [][]byte { return s.args }
func (s *fakeStub) GetStringArgs() []string {
	out := make([]string, len(s.args))
	for i, a := range s.args {
		out[i] = string(a)
	}
	return out
}
func (s *fakeStub) GetFunctionAndParameters() (string, []string) {
	a := s.GetStringArgs()
	return a[0], a[1:]
}
func (s *fakeStub) GetTxID() string                          { return s.tx.txID }
func (s *fakeStub) GetChannelID() string                     { return Channel }
func (s *fakeStub) GetCreator() ([]byte, error)              { return s.creator, nil }
func (s *fakeStub) GetTransient() (map[string][]byte, error) { return s.tx.transient, nil }
func (s *fakeStub) GetTxTimestamp() (*timestamppb.Timestamp, error) {
	return timestamppb.New(s.tx.ts), nil
}
func (s *fakeStub) GetState(key string) ([]byte, error)     { return s.tx.GetState(key) }
func (s *fakeStub) PutState(key string, value []byte) error { return s.tx.PutState(key, value) }

// Write batching changes nothing the contract can see: the fake applies
// writes at once, like a peer without the feature.
func (s *fakeStub) StartWriteBatch()        {}
func (s *fakeStub) FinishWriteBatch() error { return nil }
func (s *fakeStub) GetMultipleStates(keys ...string) ([][]byte, error) {
	s.multiGets++
	out := make([][]byte, len(keys))
	for i, k := range keys {
		out[i], _ = s.tx.GetState(k)
	}
	return out, nil
}
func (s *fakeStub) DelState(key string) error { return s.tx.DelState(key) }
func (s *fakeStub) SetStateValidationParameter(key string, ep []byte) error {
	orgs, err := policyOrgs(ep)
	if err != nil {
		return err
	}
	return s.tx.RestrictTo(key, orgs...)
}
func (s *fakeStub) GetPrivateData(collection, key string) ([]byte, error) {
	return s.tx.GetPrivateData(collection, key)
}
func (s *fakeStub) PutPrivateData(collection, key string, value []byte) error {
	return s.tx.PutPrivateData(collection, key, value)
}
func (s *fakeStub) SetPrivateDataValidationParameter(collection, key string, ep []byte) error {
	orgs, err := policyOrgs(ep)
	if err != nil {
		return err
	}
	return s.tx.RestrictPrivateTo(collection, key, orgs...)
}

// policyOrgs reads back the MSPs of a key-level policy the way a peer's
// validator does, so the ledger records which departments the adapter named.
func policyOrgs(ep []byte) ([]string, error) {
	p, err := statebased.NewStateEP(ep)
	if err != nil {
		return nil, err
	}
	orgs := p.ListOrgs()
	sort.Strings(orgs)
	return orgs, nil
}
func (s *fakeStub) SetEvent(name string, payload []byte) error {
	s.event = name
	return s.tx.SetEvent(name, payload)
}

func (s *fakeStub) GetStateByRange(start, end string) (shim.StateQueryIteratorInterface, error) {
	kvs, err := s.tx.StateRange(start, end)
	if err != nil {
		return nil, err
	}
	sort.Slice(kvs, func(i, j int) bool { return kvs[i].Key < kvs[j].Key })
	it := &kvIterator{}
	for _, kv := range kvs {
		it.items = append(it.items, &queryresult.KV{Namespace: Name, Key: kv.Key, Value: kv.Value})
	}
	return it, nil
}

func (s *fakeStub) GetHistoryForKey(key string) (shim.HistoryQueryIteratorInterface, error) {
	mods, err := s.tx.History(key)
	if err != nil {
		return nil, err
	}
	it := &historyIterator{}
	for _, m := range mods {
		it.items = append(it.items, &queryresult.KeyModification{TxId: m.TxID, Value: m.Value, Timestamp: timestamppb.New(m.Time), IsDelete: m.IsDelete})
	}
	return it, nil
}

type kvIterator struct{ items []*queryresult.KV }

func (it *kvIterator) HasNext() bool { return len(it.items) > 0 }
func (it *kvIterator) Close() error  { return nil }
func (it *kvIterator) Next() (*queryresult.KV, error) {
	kv := it.items[0]
	it.items = it.items[1:]
	return kv, nil
}

type historyIterator struct {
	items []*queryresult.KeyModification
}

func (it *historyIterator) HasNext() bool { return len(it.items) > 0 }
func (it *historyIterator) Close() error  { return nil }
func (it *historyIterator) Next() (*queryresult.KeyModification, error) {
	m := it.items[0]
	it.items = it.items[1:]
	return m, nil
}
