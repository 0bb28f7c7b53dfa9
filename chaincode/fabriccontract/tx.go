package fabriccontract

import (
	"time"

	"github.com/certledger/certledger/chaincode"
	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/statebased"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// fabricTx adapts a peer's stub and the client identity to chaincode.Tx.
type fabricTx struct {
	ctx contractapi.TransactionContextInterface
}

// writer is the Tx of a transaction that writes. Its stub keeps the writes
// and hands them to the peer in one message when the transaction ends
// (Fabric v3.1 write batching) instead of one round trip each; a peer
// without the feature takes them one by one as before.
func writer(ctx contractapi.TransactionContextInterface) fabricTx {
	ctx.GetStub().StartWriteBatch()
	return fabricTx{ctx}
}

// GetStates reads several keys in one round trip to the peer (Fabric v3.1;
// one by one on a peer without it); IssueBatch uses it to prefetch its keys.
func (t fabricTx) GetStates(keys []string) ([][]byte, error) {
	return t.stub().GetMultipleStates(keys...)
}

func (t fabricTx) stub() shim.ChaincodeStubInterface { return t.ctx.GetStub() }

func (t fabricTx) TxID() string { return t.stub().GetTxID() }

func (t fabricTx) TxTimestamp() (time.Time, error) {
	ts, err := t.stub().GetTxTimestamp()
	if err != nil {
		return time.Time{}, err
	}
	if err := ts.CheckValid(); err != nil {
		return time.Time{}, err
	}
	return ts.AsTime().UTC(), nil
}

func (t fabricTx) CallerMSPID() (string, error) { return t.ctx.GetClientIdentity().GetMSPID() }

func (t fabricTx) Transient(key string) ([]byte, error) {
	m, err := t.stub().GetTransient()
	if err != nil {
		return nil, err
	}
	return m[key], nil
}

func (t fabricTx) GetState(key string) ([]byte, error)     { return t.stub().GetState(key) }
func (t fabricTx) PutState(key string, value []byte) error { return t.stub().PutState(key, value) }
func (t fabricTx) DelState(key string) error               { return t.stub().DelState(key) }
func (t fabricTx) SetEvent(name string, payload []byte) error {
	return t.stub().SetEvent(name, payload)
}

func (t fabricTx) RestrictTo(key string, mspIDs ...string) error {
	p, err := endorsementPolicy(mspIDs)
	if err != nil {
		return err
	}
	return t.stub().SetStateValidationParameter(key, p)
}

func (t fabricTx) StateRange(start, end string) ([]chaincode.KV, error) {
	it, err := t.stub().GetStateByRange(start, end)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []chaincode.KV
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return nil, err
		}
		out = append(out, chaincode.KV{Key: kv.Key, Value: kv.Value})
	}
	return out, nil
}

func (t fabricTx) History(key string) ([]chaincode.KeyModification, error) {
	it, err := t.stub().GetHistoryForKey(key)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []chaincode.KeyModification
	for it.HasNext() {
		m, err := it.Next()
		if err != nil {
			return nil, err
		}
		out = append(out, chaincode.KeyModification{TxID: m.TxId, Time: m.Timestamp.AsTime().UTC(), Value: m.Value, IsDelete: m.IsDelete})
	}
	return out, nil
}

func (t fabricTx) GetPrivateData(collection, key string) ([]byte, error) {
	return t.stub().GetPrivateData(collection, key)
}

func (t fabricTx) PutPrivateData(collection, key string, value []byte) error {
	return t.stub().PutPrivateData(collection, key, value)
}

func (t fabricTx) RestrictPrivateTo(collection, key string, mspIDs ...string) error {
	p, err := endorsementPolicy(mspIDs)
	if err != nil {
		return err
	}
	return t.stub().SetPrivateDataValidationParameter(collection, key, p)
}

// endorsementPolicy is the key-level endorsement policy (a serialized
// SignaturePolicyEnvelope, its MSPs sorted) that needs a peer of each of
// the MSPs. Peers are identified by the PEER role, so the network's MSPs
// must enable node OUs (cryptogen's EnableNodeOUs).
func endorsementPolicy(mspIDs []string) ([]byte, error) {
	ep, err := statebased.NewStateEP(nil)
	if err != nil {
		return nil, err
	}
	if err := ep.AddOrgs(statebased.RoleTypePeer, mspIDs...); err != nil {
		return nil, err
	}
	return ep.Policy()
}
