// Package fabriccontract is the contract on a Fabric peer: a
// fabric-contract-api-go contract whose transactions run the rules of
// package chaincode on the peer's stub, through the chaincode.Tx adapter in
// tx.go.
package fabriccontract

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
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
	c.Name = chaincode.Name
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
	cc.DefaultContract = chaincode.Name
	return cc, nil
}

// GetEvaluateTransactions marks the read-only transactions in the metadata.
func (c *Contract) GetEvaluateTransactions() []string {
	return append([]string{chaincode.FnGetRegistry, chaincode.FnGetRecord, chaincode.FnGetDocument, chaincode.FnGetHistory, chaincode.FnGetStatusEntries, chaincode.FnGetAPIKeys, chaincode.FnGetCredentialsByHolder,
		chaincode.FnGetServices, chaincode.FnGetShare, chaincode.FnGetSharesByHolder, chaincode.FnGetCredentialsByDepartment, chaincode.FnGetAnchorStatus, chaincode.FnGetAnchorLeaves,
	}, requestEvaluateTransactions...)
}

// PutDepartment adds or replaces a department (governance only, except the
// bootstrap).
func (c *Contract) PutDepartment(ctx contractapi.TransactionContextInterface, deptJSON string) error {
	var d credential.Department
	if err := decodeArg(deptJSON, "department", &d); err != nil {
		return chaincode.EncodeError(err)
	}
	return chaincode.EncodeError(chaincode.PutDepartment(writer(ctx), d))
}

// PutCredentialType adds or replaces a credential type (governance only).
func (c *Contract) PutCredentialType(ctx contractapi.TransactionContextInterface, typeJSON string) error {
	var t credential.CredentialType
	if err := decodeArg(typeJSON, "credential type", &t); err != nil {
		return chaincode.EncodeError(err)
	}
	return chaincode.EncodeError(chaincode.PutCredentialType(writer(ctx), t))
}

// GetRegistry returns the registry as JSON.
func (c *Contract) GetRegistry(ctx contractapi.TransactionContextInterface) (string, error) {
	return asJSON(chaincode.GetRegistry(fabricTx{ctx}))
}

// Issue records a credential from the transient "request" (an
// IssueRequest) and returns the IssueResult as JSON.
func (c *Contract) Issue(ctx contractapi.TransactionContextInterface) (string, error) {
	return asJSON(chaincode.Issue(writer(ctx)))
}

// IssueBatch records the credentials of the transient "requests" (a JSON
// array of IssueRequest) in one transaction and returns a JSON array of
// BatchItemResult in the same order.
func (c *Contract) IssueBatch(ctx contractapi.TransactionContextInterface) (string, error) {
	return asJSON(chaincode.IssueBatch(writer(ctx)))
}

// ChangeStatus applies a StatusChange and returns the updated record.
func (c *Contract) ChangeStatus(ctx contractapi.TransactionContextInterface, id string, statusChangeJSON string) (string, error) {
	var ch credential.StatusChange
	if err := decodeArg(statusChangeJSON, "status change", &ch); err != nil {
		return "", chaincode.EncodeError(err)
	}
	return asJSON(chaincode.ChangeStatus(writer(ctx), id, ch))
}

// RotateToken applies a TokenRotation and returns the updated record.
func (c *Contract) RotateToken(ctx contractapi.TransactionContextInterface, id string, rotationJSON string) (string, error) {
	var r credential.TokenRotation
	if err := decodeArg(rotationJSON, "token rotation", &r); err != nil {
		return "", chaincode.EncodeError(err)
	}
	return asJSON(chaincode.RotateToken(writer(ctx), id, r))
}

// GetRecord returns the public record of a credential.
func (c *Contract) GetRecord(ctx contractapi.TransactionContextInterface, id string) (string, error) {
	return asJSON(chaincode.GetRecord(fabricTx{ctx}, id))
}

// GetDocument returns the full document from private data.
func (c *Contract) GetDocument(ctx contractapi.TransactionContextInterface, id string) (string, error) {
	return asJSON(chaincode.GetDocument(fabricTx{ctx}, id))
}

// GetHistory returns every change of a credential, oldest first.
func (c *Contract) GetHistory(ctx contractapi.TransactionContextInterface, id string) (string, error) {
	return asJSON(chaincode.GetHistory(fabricTx{ctx}, id))
}

// GetStatusEntries returns the entries of one status list of a department
// (list is a decimal number), in sequence order.
func (c *Contract) GetStatusEntries(ctx contractapi.TransactionContextInterface, dept string, list string) (string, error) {
	n, err := strconv.ParseUint(list, 10, 64)
	if err != nil || strconv.FormatUint(n, 10) != list {
		return "", chaincode.EncodeError(credential.Errorf(credential.ReasonInvalidStatusList, "status list %q is not a decimal number", list))
	}
	return asJSON(chaincode.GetStatusEntries(fabricTx{ctx}, dept, n))
}

// CreateAPIKey records a department API key from a NewAPIKey (its hash,
// never the key) and returns the APIKey record.
func (c *Contract) CreateAPIKey(ctx contractapi.TransactionContextInterface, keyJSON string) (string, error) {
	var k credential.NewAPIKey
	if err := decodeArg(keyJSON, "API key", &k); err != nil {
		return "", chaincode.EncodeError(err)
	}
	return asJSON(chaincode.CreateAPIKey(writer(ctx), k))
}

// RevokeAPIKey applies an APIKeyRevocation and returns the revoked key.
func (c *Contract) RevokeAPIKey(ctx contractapi.TransactionContextInterface, revocationJSON string) (string, error) {
	var r credential.APIKeyRevocation
	if err := decodeArg(revocationJSON, "API key revocation", &r); err != nil {
		return "", chaincode.EncodeError(err)
	}
	return asJSON(chaincode.RevokeAPIKey(writer(ctx), r))
}

// GetAPIKeys returns a department's API keys (every department's for an
// empty dept), oldest first.
func (c *Contract) GetAPIKeys(ctx contractapi.TransactionContextInterface, dept string) (string, error) {
	return asJSON(chaincode.GetAPIKeys(fabricTx{ctx}, dept))
}

func decodeArg(s, what string, v any) error {
	if len(s) > chaincode.MaxRequestSize {
		return credential.Errorf(credential.ReasonInvalidRequest, "the %s is larger than %d bytes", what, chaincode.MaxRequestSize)
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
		return "", chaincode.EncodeError(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", chaincode.EncodeError(fmt.Errorf("chaincode: encode result: %w", err))
	}
	return string(b), nil
}
