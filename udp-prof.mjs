import { openSoftKey, connectSoftKey } from './dist/src/main/softkey.js';
import { encodeMakeCredentialRequest, decodeMakeCredentialResponse } from './dist/src/ctap2/makeCredential.js';
import { encodeGetAssertionRequest } from './dist/src/ctap2/getAssertion.js';
import { parseAuthenticatorData } from './dist/src/ctap2/authenticatorData.js';
import { mkdtempSync } from 'node:fs';
const dir = mkdtempSync('/tmp/udp-prof-');
const key = await openSoftKey({ dataDir: dir, udp: '127.0.0.1:28111', replyTo: '127.0.0.1:28112' });
const made = decodeMakeCredentialResponse(await key.cbor(encodeMakeCredentialRequest({ clientDataHash: new Uint8Array(32).fill(7), rp: { id: 'bench.example', name: 'B' }, user: { id: new Uint8Array([1,2,3]), name: 'b' }, pubKeyCredParams: [{ type: 'public-key', alg: -7 }] })));
const id = parseAuthenticatorData(made.authData).attestedCredentialData.credentialId;
const req = encodeGetAssertionRequest({ rpId: 'bench.example', clientDataHash: new Uint8Array(32).fill(9), allowList: [{ type: 'public-key', id }] });
const client = await connectSoftKey({ udp: '127.0.0.1:28111', replyTo: '127.0.0.1:28112' });
const ms = Number(process.argv[2] ?? 4000);
let n = 0; const end = performance.now() + ms;
while (performance.now() < end) { const r = await client.cbor(req); if (r[0] !== 0) throw new Error('status'); n++; }
console.log('ops/s', (n / ms * 1000).toFixed(0));
await client.close(); await key.close();
