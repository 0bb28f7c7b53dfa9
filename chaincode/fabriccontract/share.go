package fabriccontract

import (
	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// PrivateRangeN closes the peer's iterator over the private range after n
// keys, as StateRangeN does for public state. Only the queries use it:
// Fabric does not re-check a private range at commit.
func (t fabricTx) PrivateRangeN(collection, start, end string, n int) ([]chaincode.KV, error) {
	var out []chaincode.KV
	if n <= 0 {
		return out, nil
	}
	it, err := t.stub().GetPrivateDataByRange(collection, start, end)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	for len(out) < n && it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return nil, err
		}
		out = append(out, chaincode.KV{Key: kv.Key, Value: kv.Value})
	}
	return out, nil
}

var _ chaincode.PrivateRanger = fabricTx{}

// CreateShare records the share of the transient "share" (a NewShare) and
// returns its ShareReceipt.
func (c *Contract) CreateShare(ctx contractapi.TransactionContextInterface) (string, error) {
	return asJSON(chaincode.CreateShare(writer(ctx)))
}

// OpenShare records an opening of the share of the transient "share" (a
// ShareOpen) and returns its ShareReceipt.
func (c *Contract) OpenShare(ctx contractapi.TransactionContextInterface) (string, error) {
	return asJSON(chaincode.OpenShare(writer(ctx)))
}

// WithdrawShare withdraws the share of the transient "share" (a
// ShareWithdrawal) and returns its ShareReceipt.
func (c *Contract) WithdrawShare(ctx contractapi.TransactionContextInterface) (string, error) {
	return asJSON(chaincode.WithdrawShare(writer(ctx)))
}

// GetShare returns a share of the caller's collection.
func (c *Contract) GetShare(ctx contractapi.TransactionContextInterface, id string) (string, error) {
	return asJSON(chaincode.GetShare(fabricTx{ctx}, id))
}

// GetSharesByHolder returns the shares of the caller's collection that a
// ShareQuery (JSON) asks for, newest first.
func (c *Contract) GetSharesByHolder(ctx contractapi.TransactionContextInterface, queryJSON string) (string, error) {
	var q credential.ShareQuery
	if err := decodeArg(queryJSON, "share query", &q); err != nil {
		return "", chaincode.EncodeError(err)
	}
	return asJSON(chaincode.GetSharesByHolder(fabricTx{ctx}, q))
}
