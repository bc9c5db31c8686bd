/**
 * Child process of keygen.test.ts: makes `count` non-resident ES256 credentials through
 * makeCredential in-process and prints `made N` every `every` credentials, then `done N`.
 * The parent watches for progress; a freeze inside node:crypto shows as silence.
 */
import { openSoftKey } from '../../src/main/softkey.js';
import { encodeMakeCredentialRequest } from '../../src/ctap2/makeCredential.js';

const count = Number(process.argv[2] ?? 50_000);
const every = Number(process.argv[3] ?? 1_000);
const key = await openSoftKey({ dataDir: ':memory:', presence: 'auto' });
for (let i = 1; i <= count; i++) {
  const response = await key.cbor(
    encodeMakeCredentialRequest({
      clientDataHash: new Uint8Array(32).fill(i & 0xff),
      rp: { id: 'keygen.example', name: 'Keygen' },
      user: { id: new Uint8Array([i & 0xff, (i >> 8) & 0xff, (i >> 16) & 0xff]), name: 'keygen' },
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
    }),
  );
  if (response[0] !== 0) throw new Error(`makeCredential ${i} answered 0x${response[0]!.toString(16)}`);
  if (i % every === 0) process.stdout.write(`made ${i}\n`);
}
await key.close();
process.stdout.write(`done ${count}\n`);
