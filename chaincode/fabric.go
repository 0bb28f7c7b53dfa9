package chaincode

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/hyperledger/fabric-contract-api-go/v2/metadata"
)

// Contract is the Fabric face of the contract: each transaction decodes its
// string arguments, runs the shared logic on the peer's stub and returns
// JSON. Every exported method with a transaction context becomes a Fabric
// transaction, so helpers stay unexported.
type Contract struct {
	contractapi.Contract
}

// NewContract returns the contract with its metadata filled in.
func NewContract() *Contract {
	c := &Contract{}
	c.Name = Name
	c.Info = metadata.InfoMetadata{
		Title:       "CertLedger",
		Description: "Registry of departments and credential types, and the lifecycle of government credentials",
		Version:     "1.0.0",
	}
	return c
}

// NewChaincode builds the chaincode for a peer or a chaincode-as-a-service
// server (ContractChaincode.Start reads CHAINCODE_SERVER_ADDRESS and
// CORE_CHAINCODE_ID_NAME).
func NewChaincode() (*contractapi.ContractChaincode, error) {
	cc, err := contractapi.NewChaincode(NewContract())
	if err != nil {
		return nil, err
	}
	cc.DefaultContract = Name
	return cc, nil
}

// GetEvaluateTransactions marks the read-only transactions in the metadata.
func (c *Contract) GetEvaluateTransactions() []string {
	return []string{FnGetRegistry, FnGetRecord, FnGetDocument, FnGetHistory, FnGetStatusEntries}
}

// PutDepartment adds or replaces a department (governance only, except the
// bootstrap).
func (c *Contract) PutDepartment(ctx contractapi.TransactionContextInterface, deptJSON string) error {
	var d credential.Department
	if err := decodeArg(deptJSON, "department", &d); err != nil {
		return EncodeError(err)
	}
	return EncodeError(PutDepartment(writer(ctx), d))
}

// PutCredentialType adds or replaces a credential type (governance only).
func (c *Contract) PutCredentialType(ctx contractapi.TransactionContextInterface, typeJSON string) error {
	var t credential.CredentialType
	if err := decodeArg(typeJSON, "credential type", &t); err != nil {
		return EncodeError(err)
	}
	return EncodeError(PutCredentialType(writer(ctx), t))
}

// GetRegistry returns the registry as JSON.
func (c *Contract) GetRegistry(ctx contractapi.TransactionContextInterface) (string, error) {
	return asJSON(GetRegistry(fabricTx{ctx}))
}

// Issue records a credential from the transient "request" (an
// IssueRequest) and returns the IssueResult as JSON.
func (c *Contract) Issue(ctx contractapi.TransactionContextInterface) (string, error) {
	return asJSON(Issue(writer(ctx)))
}

// IssueBatch records the credentials of the transient "requests" (a JSON
// array of IssueRequest) in one transaction and returns a JSON array of
// BatchItemResult in the same order.
func (c *Contract) IssueBatch(ctx contractapi.TransactionContextInterface) (string, error) {
	return asJSON(IssueBatch(writer(ctx)))
}

// ChangeStatus applies a StatusChange and returns the updated record.
func (c *Contract) ChangeStatus(ctx contractapi.TransactionContextInterface, id string, statusChangeJSON string) (string, error) {
	var ch credential.StatusChange
	if err := decodeArg(statusChangeJSON, "status change", &ch); err != nil {
		return "", EncodeError(err)
	}
	return asJSON(ChangeStatus(writer(ctx), id, ch))
}

// GetRecord returns the public record of a credential.
func (c *Contract) GetRecord(ctx contractapi.TransactionContextInterface, id string) (string, error) {
	return asJSON(GetRecord(fabricTx{ctx}, id))
}

// GetDocument returns the full document from private data.
func (c *Contract) GetDocument(ctx contractapi.TransactionContextInterface, id string) (string, error) {
	return asJSON(GetDocument(fabricTx{ctx}, id))
}

// GetHistory returns every change of a credential, oldest first.
func (c *Contract) GetHistory(ctx contractapi.TransactionContextInterface, id string) (string, error) {
	return asJSON(GetHistory(fabricTx{ctx}, id))
}

// GetStatusEntries returns the entries of one status list of a department
// (list is a decimal number), in sequence order.
func (c *Contract) GetStatusEntries(ctx contractapi.TransactionContextInterface, dept string, list string) (string, error) {
	n, err := strconv.ParseUint(list, 10, 64)
	if err != nil || strconv.FormatUint(n, 10) != list {
		return "", EncodeError(credential.Errorf(credential.ReasonInvalidStatusList, "status list %q is not a decimal number", list))
	}
	return asJSON(GetStatusEntries(fabricTx{ctx}, dept, n))
}

func decodeArg(s, what string, v any) error {
	if len(s) > MaxRequestSize {
		return credential.Errorf(credential.ReasonInvalidRequest, "the %s is larger than %d bytes", what, MaxRequestSize)
	}
	if err := json.Unmarshal([]byte(s), v); err != nil {
		return credential.Wrapf(err, credential.ReasonInvalidRequest, "the %s is not valid JSON", what)
	}
	return nil
}

// asJSON returns results as JSON text: the contract API would otherwise
// validate struct results against a schema it derives by reflection, which
// does not describe time.Time. Errors are answered with EncodeError.
func asJSON[T any](v T, err error) (string, error) {
	if err != nil {
		return "", EncodeError(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", EncodeError(ledgerErr("encode result", err))
	}
	return string(b), nil
}

// fabricTx adapts a peer's stub and the client identity to Tx.
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
// one by one on a peer without it). See multiGetter.
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

func (t fabricTx) SetStateValidationParameter(key string, policy []byte) error {
	return t.stub().SetStateValidationParameter(key, policy)
}

func (t fabricTx) StateRange(start, end string) ([]KV, error) {
	it, err := t.stub().GetStateByRange(start, end)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []KV
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return nil, err
		}
		out = append(out, KV{Key: kv.Key, Value: kv.Value})
	}
	return out, nil
}

func (t fabricTx) History(key string) ([]KeyModification, error) {
	it, err := t.stub().GetHistoryForKey(key)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []KeyModification
	for it.HasNext() {
		m, err := it.Next()
		if err != nil {
			return nil, err
		}
		out = append(out, KeyModification{TxID: m.TxId, Time: m.Timestamp.AsTime().UTC(), Value: m.Value, IsDelete: m.IsDelete})
	}
	return out, nil
}

func (t fabricTx) GetPrivateData(collection, key string) ([]byte, error) {
	return t.stub().GetPrivateData(collection, key)
}

func (t fabricTx) PutPrivateData(collection, key string, value []byte) error {
	return t.stub().PutPrivateData(collection, key, value)
}

func (t fabricTx) SetPrivateDataValidationParameter(collection, key string, policy []byte) error {
	return t.stub().SetPrivateDataValidationParameter(collection, key, policy)
}
