package fabriccontract

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"maps"
	"math/big"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/certledger/certledger/chaincode"
	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/statebased"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// worldState is the committed state of a channel, as far as the contract
// sees it.
type worldState struct {
	state   map[string][]byte
	private map[string][]byte // collection "/" key
	history map[string][]*queryresult.KeyModification
	// policy holds the MSPs of each key's key-level endorsement policy
	// (private keys as collection "/" key), read back from the policy
	// bytes the adapter handed the stub.
	policy map[string][]string
}

func newWorldState() *worldState {
	return &worldState{state: map[string][]byte{}, private: map[string][]byte{},
		history: map[string][]*queryresult.KeyModification{}, policy: map[string][]string{}}
}

// fakeStub is the part of a peer's chaincode stub the contract API and the
// contract use. Reads see committed state; writes are kept until commit,
// as on a peer. Any other stub method panics (nil embedded interface),
// which would show the adapter calling something the test does not model.
type fakeStub struct {
	shim.ChaincodeStubInterface
	w         *worldState
	txID      string
	ts        time.Time
	transient map[string][]byte
	args      [][]byte
	creator   []byte
	event     string
	multiGets int

	writes  map[string][]byte // nil value: delete
	private map[string][]byte
	policy  map[string][]string
}

// newStub prepares one invocation of fn(args...) by mspID on w.
func newStub(t *testing.T, w *worldState, txID string, ts time.Time, mspID string, transient map[string][]byte, fn string, args ...string) *fakeStub {
	t.Helper()
	s := &fakeStub{w: w, txID: txID, ts: ts, transient: transient, creator: serializedIdentity(t, mspID),
		writes: map[string][]byte{}, private: map[string][]byte{}, policy: map[string][]string{}}
	s.args = append(s.args, []byte(fn))
	for _, a := range args {
		s.args = append(s.args, []byte(a))
	}
	return s
}

// commit applies the invocation's writes, as a valid transaction does.
func (s *fakeStub) commit() {
	for k, v := range s.writes {
		if v == nil {
			delete(s.w.state, k)
		} else {
			s.w.state[k] = v
		}
		m := &queryresult.KeyModification{TxId: s.txID, Value: v, Timestamp: timestamppb.New(s.ts), IsDelete: v == nil}
		s.w.history[k] = append([]*queryresult.KeyModification{m}, s.w.history[k]...)
	}
	maps.Copy(s.w.private, s.private)
	maps.Copy(s.w.policy, s.policy)
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
func (s *fakeStub) GetTxID() string                          { return s.txID }
func (s *fakeStub) GetChannelID() string                     { return chaincode.Channel }
func (s *fakeStub) GetCreator() ([]byte, error)              { return s.creator, nil }
func (s *fakeStub) GetTransient() (map[string][]byte, error) { return s.transient, nil }
func (s *fakeStub) GetTxTimestamp() (*timestamppb.Timestamp, error) {
	return timestamppb.New(s.ts), nil
}
func (s *fakeStub) GetState(key string) ([]byte, error) { return s.w.state[key], nil }
func (s *fakeStub) PutState(key string, value []byte) error {
	s.writes[key] = append([]byte{}, value...) // never nil, which marks a delete
	return nil
}
func (s *fakeStub) DelState(key string) error {
	s.writes[key] = nil
	return nil
}

// Write batching changes nothing the contract can see: the fake keeps
// writes until commit either way.
func (s *fakeStub) StartWriteBatch()        {}
func (s *fakeStub) FinishWriteBatch() error { return nil }
func (s *fakeStub) GetMultipleStates(keys ...string) ([][]byte, error) {
	s.multiGets++
	out := make([][]byte, len(keys))
	for i, k := range keys {
		out[i] = s.w.state[k]
	}
	return out, nil
}
func (s *fakeStub) SetStateValidationParameter(key string, ep []byte) error {
	orgs, err := policyOrgs(ep)
	s.policy[key] = orgs
	return err
}
func (s *fakeStub) GetPrivateData(collection, key string) ([]byte, error) {
	return s.w.private[collection+"/"+key], nil
}
func (s *fakeStub) PutPrivateData(collection, key string, value []byte) error {
	s.private[collection+"/"+key] = slices.Clone(value)
	return nil
}
func (s *fakeStub) SetPrivateDataValidationParameter(collection, key string, ep []byte) error {
	orgs, err := policyOrgs(ep)
	s.policy[collection+"/"+key] = orgs
	return err
}
func (s *fakeStub) SetEvent(name string, payload []byte) error {
	s.event = name
	return nil
}

// policyOrgs reads back the MSPs of a key-level policy the way a peer's
// validator does.
func policyOrgs(ep []byte) ([]string, error) {
	p, err := statebased.NewStateEP(ep)
	if err != nil {
		return nil, err
	}
	orgs := p.ListOrgs()
	sort.Strings(orgs)
	return orgs, nil
}

func (s *fakeStub) GetStateByRange(start, end string) (shim.StateQueryIteratorInterface, error) {
	it := &kvIterator{}
	for _, k := range slices.Sorted(maps.Keys(s.w.state)) {
		if k >= start && k < end {
			it.items = append(it.items, &queryresult.KV{Namespace: chaincode.Name, Key: k, Value: s.w.state[k]})
		}
	}
	return it, nil
}

func (s *fakeStub) GetHistoryForKey(key string) (shim.HistoryQueryIteratorInterface, error) {
	return &historyIterator{items: slices.Clone(s.w.history[key])}, nil
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
