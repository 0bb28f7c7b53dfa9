package fabriccontract

import (
	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// requestEvaluateTransactions are the consent requests' queries.
var requestEvaluateTransactions = []string{chaincode.FnGetRequest, chaincode.FnGetRequestsByHolder,
	chaincode.FnGetRequestsByDept, chaincode.FnGetReceipts}

// CreateRequest records a consent request (a credential.NewConsentRequest
// as JSON) as a requester of its service and returns the request.
func (c *Contract) CreateRequest(ctx contractapi.TransactionContextInterface, requestJSON string) (string, error) {
	var n credential.NewConsentRequest
	if err := decodeArg(requestJSON, "consent request", &n); err != nil {
		return "", chaincode.EncodeError(err)
	}
	return asJSON(chaincode.CreateRequest(writer(ctx), n))
}

// DecideRequest records a holder's decision (a credential.RequestDecision
// as JSON; governance only) and returns the request after it.
func (c *Contract) DecideRequest(ctx contractapi.TransactionContextInterface, decisionJSON string) (string, error) {
	var d credential.RequestDecision
	if err := decodeArg(decisionJSON, "decision", &d); err != nil {
		return "", chaincode.EncodeError(err)
	}
	return asJSON(chaincode.DecideRequest(writer(ctx), d))
}

// RecordProofRead counts one fetch of a request's presentations by its
// requester and returns the request after it.
func (c *Contract) RecordProofRead(ctx contractapi.TransactionContextInterface, id string) (string, error) {
	return asJSON(chaincode.RecordProofRead(writer(ctx), id))
}

// GetRequest returns one consent request.
func (c *Contract) GetRequest(ctx contractapi.TransactionContextInterface, id string) (string, error) {
	return asJSON(chaincode.GetRequest(fabricTx{ctx}, id))
}

// GetRequestsByHolder answers a credential.RequestHolderQuery (JSON) with a
// RequestPage.
func (c *Contract) GetRequestsByHolder(ctx contractapi.TransactionContextInterface, queryJSON string) (string, error) {
	var q credential.RequestHolderQuery
	if err := decodeArg(queryJSON, "request query", &q); err != nil {
		return "", chaincode.EncodeError(err)
	}
	return asJSON(chaincode.GetRequestsByHolder(fabricTx{ctx}, q))
}

// GetRequestsByDept answers a credential.RequestDeptQuery (JSON) with a
// RequestPage, newest first.
func (c *Contract) GetRequestsByDept(ctx contractapi.TransactionContextInterface, queryJSON string) (string, error) {
	var q credential.RequestDeptQuery
	if err := decodeArg(queryJSON, "request query", &q); err != nil {
		return "", chaincode.EncodeError(err)
	}
	return asJSON(chaincode.GetRequestsByDept(fabricTx{ctx}, q))
}

// GetReceipts answers a credential.ReceiptQuery (JSON) with a ReceiptPage.
func (c *Contract) GetReceipts(ctx contractapi.TransactionContextInterface, queryJSON string) (string, error) {
	var q credential.ReceiptQuery
	if err := decodeArg(queryJSON, "receipt query", &q); err != nil {
		return "", chaincode.EncodeError(err)
	}
	return asJSON(chaincode.GetReceipts(fabricTx{ctx}, q))
}
