// Package vc exports CertLedger credentials as W3C Verifiable Credentials
// 2.0: JSON-LD credentials secured with a Data Integrity proof of the
// eddsa-rdfc-2022 cryptosuite, issuers identified by URLs that resolve to
// controller documents with Multikey verification methods, and revocation and
// suspension published as Bitstring Status Lists.
//
// URL layout, relative to the gateway's public base URL:
//
//	<base>/issuers/{dept}                       controller document of a department
//	<base>/issuers/{dept}#{keyId}               its verification method for key keyId
//	<base>/status/{dept}/{purpose}/{list}       status list credential (purpose: revocation or suspension)
//	<base>/v/{identifier}                       the credential's id (its verification page)
//
// The only remote JSON-LD context named is the W3C VC 2.0 context, bundled
// (see contexts/README.md) and never fetched; CertLedger's own terms travel
// inline in each credential's @context.
package vc
