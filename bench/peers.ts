/**
 * `peers.*`: softkey next to the other software authenticators, through the same loop. Each side
 * answers one WebAuthn get() with an allowList of one credential, JSON in and JSON out, from Node:
 * softkey through its in-process client (`key.client.get`, CTAP2 underneath), nid-webauthn-emulator
 * through `getJSON`. Each holds 1, 100 and 10,000 discoverable credentials of the RP; the ratio is
 * softkey's gets/s over the emulator's, per round (issue 19 target: ≥ 12× at 1 credential).
 *
 * nid-webauthn-emulator's credentials are filled straight into its memory repository (its own
 * create() reads every stored credential, so 10,000 creates would take hours); every one is a copy
 * of a credential it made, under its own ID and user. softkey's are made through create().
 * The canokey simulator is not here: there is no package of it to install on this machine (Debian
 * or npm), so it is named in `PEER_NOTES` instead of measured.
 */
import { randomBytes } from 'node:crypto';
import { AuthenticatorEmulator, PasskeysCredentialsMemoryRepository, WebAuthnEmulator } from 'nid-webauthn-emulator';
import { openSoftKey } from '../src/main/softkey.js';
import { alternatingRounds, phase, progress, summarize, type BenchResult } from './measure.js';

export const PEER_NOTES = [
  'peers.canokey: not measured, the canokey simulator has no package installable here (Debian or npm)',
];

const COUNTS = (process.env.SOFTKEY_BENCH_PEER_COUNTS ?? '1,100,10000').split(',').map(Number);
const ORIGIN = 'https://peers.example';
const RP_ID = 'peers.example';
const b64u = (b: Uint8Array) => Buffer.from(b).toString('base64url');

const creation = (i: number) => ({
  rp: { id: RP_ID, name: 'Peers' },
  user: {
    id: b64u(new Uint8Array([i & 255, (i >> 8) & 255, (i >> 16) & 255, 1])),
    name: `user${i}`,
    displayName: `User ${i}`,
  },
  challenge: b64u(randomBytes(32)),
  pubKeyCredParams: [{ type: 'public-key' as const, alg: -7 }],
  authenticatorSelection: { residentKey: 'required' as const, userVerification: 'discouraged' as const },
});

const request = (id: string) => ({
  challenge: b64u(randomBytes(32)),
  rpId: RP_ID,
  allowCredentials: [{ type: 'public-key' as const, id }],
  userVerification: 'discouraged' as const,
});

interface Credential {
  publicKeyCredentialDescriptor: { id: Uint8Array };
  user: { id: Uint8Array };
}

/** nid-webauthn-emulator holding `count` credentials of the RP; answers the first one's ID. */
function nidWith(count: number): { emulator: WebAuthnEmulator; id: string } {
  const repository = new PasskeysCredentialsMemoryRepository();
  const authenticator = new AuthenticatorEmulator({
    credentialsRepository: repository,
    algorithmIdentifiers: ['ES256'],
  });
  const emulator = new WebAuthnEmulator(authenticator);
  const made = emulator.createJSON(ORIGIN, creation(0));
  const [first] = repository.loadCredentials() as unknown as Credential[];
  for (let i = 1; i < count; i++) {
    if ((i & 255) === 0) progress.tick();
    const id = new Uint8Array(first!.publicKeyCredentialDescriptor.id);
    id[0] = i & 255;
    id[1] = (i >> 8) & 255;
    id[2] = (i >> 16) & 255;
    id[3] = (id[3]! ^ 0x5a) & 255;
    const copy = {
      ...first!,
      publicKeyCredentialDescriptor: { ...first!.publicKeyCredentialDescriptor, id },
      user: { ...first!.user, id: new Uint8Array([i & 255, (i >> 8) & 255, (i >> 16) & 255, 2]) },
    };
    repository.saveCredential(copy as never);
  }
  return { emulator, id: made.rawId };
}

export async function benchPeers(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const count of COUNTS) {
    phase(`peers setup ${count}`);
    const key = await openSoftKey({ dataDir: ':memory:' });
    try {
      const first = await key.client.create(creation(0), { origin: ORIGIN });
      for (let i = 1; i < count; i++) {
        if ((i & 63) === 0) progress.tick();
        await key.client.create(creation(i), { origin: ORIGIN });
      }
      const nid = nidWith(count);
      const softkeyName = `peers.softkey.get.${count}`;
      const nidName = `peers.nid-webauthn-emulator.get.${count}`;
      // A call of the emulator at 10,000 credentials takes a good part of a second: short rounds.
      const s = await alternatingRounds(
        {
          // One call may take seconds here: tell the watchdog at every call, not every 16th.
          [nidName]: () => (progress.tick(), nid.emulator.getJSON(ORIGIN, request(nid.id))),
          [softkeyName]: () => key.client.get(request(first.rawId), { origin: ORIGIN }),
        },
        count >= 10_000 ? { roundMs: 400 } : {},
      );
      const baseline = { name: nidName, values: s[nidName]! };
      results.push(
        summarize(nidName, 'ops/s', baseline.values),
        summarize(softkeyName, 'ops/s', s[softkeyName]!, baseline),
      );
    } finally {
      await key.close();
    }
  }
  return results;
}
