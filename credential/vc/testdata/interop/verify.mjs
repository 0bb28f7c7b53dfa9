// Verifies a CertLedger W3C VC export with Digital Bazaar's libraries, the
// verifier of the VC Playground, without any network access.
//
//   node verify.mjs credential.json document.json...
//
// Each document (the issuer's controller document, the status list
// credentials) is served at its own "id", as the gateway serves it; contexts
// come from the context packages, and the Controlled Identifiers context,
// which no npm package ships, from CertLedger's bundled copy. Prints
// {"verified": bool, ...} and exits 0 when verified, 1 when not, 2 on misuse.
import {readFile} from 'node:fs/promises';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';
import {contexts as credentialsContexts} from '@digitalbazaar/credentials-context';
import {contexts as dataIntegrityContexts} from '@digitalbazaar/data-integrity-context';
import {contexts as multikeyContexts} from '@digitalbazaar/multikey-context';
import {contexts as statusListContexts} from '@digitalbazaar/vc-bitstring-status-list-context';

const CID_V1 = 'https://www.w3.org/ns/cid/v1';

async function readJSON(path) {
  return JSON.parse(await readFile(path, 'utf8'));
}

const [credentialPath, ...documentPaths] = process.argv.slice(2);
if(!credentialPath) {
  console.error('usage: node verify.mjs credential.json document.json...');
  process.exit(2);
}

const contexts = new Map([
  ...credentialsContexts,
  ...dataIntegrityContexts,
  ...multikeyContexts,
  ...statusListContexts,
  [CID_V1, await readJSON(new URL('../../contexts/cid-v1.jsonld', import.meta.url))],
]);
const documents = new Map();
for(const path of documentPaths) {
  const doc = await readJSON(path);
  documents.set(doc.id, doc);
}

// A verification method URL resolves, as a web resolver does it, to the
// method's node in its controller document with that document's @context.
async function documentLoader(url) {
  const found = contexts.get(url) ?? documents.get(url);
  if(found !== undefined) {
    return {contextUrl: null, documentUrl: url, document: structuredClone(found)};
  }
  const [base, fragment] = url.split('#');
  const controller = documents.get(base);
  const method = fragment !== undefined &&
    controller?.verificationMethod?.find(m => m.id === url);
  if(method) {
    return {contextUrl: null, documentUrl: url,
      document: {'@context': controller['@context'], ...structuredClone(method)}};
  }
  // Built-in contexts of the libraries (security v1/v2) and nothing else.
  return vc.defaultDocumentLoader(url);
}

// Errors carry causes and nested results; keep their messages only.
function messages(value) {
  if(value instanceof Error) {
    const out = {name: value.name, message: value.message};
    for(const k of ['errors', 'cause']) {
      if(value[k]) {
        out[k] = messages(value[k]);
      }
    }
    return out;
  }
  if(Array.isArray(value)) {
    return value.map(messages);
  }
  if(value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, messages(v)]));
  }
  return value;
}

const credential = await readJSON(credentialPath);
const suite = new DataIntegrityProof({cryptosuite});
let result;
try {
  result = await vc.verifyCredential({credential, suite, documentLoader, checkStatus});
} catch(e) {
  result = {verified: false, error: e};
}
const statuses = (result.statusResult?.results ?? []).map(r => ({
  purpose: r.credentialStatus?.statusPurpose, set: r.status
}));
console.log(JSON.stringify({
  verified: result.verified === true,
  statuses,
  error: result.verified ? undefined : messages(result.error ?? result.results?.map(r => r.error)),
}, null, 2));
process.exit(result.verified ? 0 : 1);
