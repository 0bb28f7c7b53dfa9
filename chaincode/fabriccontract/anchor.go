package fabriccontract

import (
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/certledger/certledger/chaincode"
)

// AnchorBatch records the anchored batch of the transient "anchor" request,
// its documents in the transient "anchorchunk.<i>" values, and returns the
// AnchorResult.
func (c *Contract) AnchorBatch(ctx contractapi.TransactionContextInterface) (string, error) {
	return asJSON(chaincode.AnchorBatch(writer(ctx)))
}

// GetAnchorStatusNext returns where a department's next anchored batch's
// run of status positions may start, as a decimal number.
func (c *Contract) GetAnchorStatusNext(ctx contractapi.TransactionContextInterface, dept string) (string, error) {
	return asJSON(chaincode.GetAnchorStatusNext(fabricTx{ctx}, dept))
}

// GetAnchorLeaves returns the leaves of the chunk of an anchored batch
// that holds credential id: public data, which the gateway's change feed
// reads to expand an anchoring into its credentials.
func (c *Contract) GetAnchorLeaves(ctx contractapi.TransactionContextInterface, id string) (string, error) {
	return asJSON(chaincode.GetAnchorLeaves(fabricTx{ctx}, id))
}
