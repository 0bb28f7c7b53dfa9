package verifier_test

import (
	"fmt"

	"github.com/certledger/certledger/credential/verifier"
)

func ExampleRead() {
	for _, input := range []string{
		"https://verify.example/v/1.2.156.3005.2.11100000MB02000124001.11100000MB02000124.MWWMAQ7EH7E50PLQ.001.L?t=abc",
		`{"format": "certledger/v1"}`,
	} {
		in, err := verifier.Read([]byte(input))
		if err != nil {
			fmt.Println("error:", err)
			continue
		}
		fmt.Println(in.Kind, "-", in.Describe())
	}
	// Output:
	// reference - by-reference QR text (verification URL)
	// error: the JSON is not a CertLedger credential document or presentation (no proof)
}
