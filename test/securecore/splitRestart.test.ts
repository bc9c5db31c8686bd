/**
 * Split mode with real processes: the secure core is `softkey secure-core` (the same CLI entry as
 * the interop tests run), killed mid-run. The request in flight answers a CTAP error, the next
 * request starts a new core, and credentials made before still assert (the store is on disk).
 */
import '../helpers/tempHome.js';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { it } from 'node:test';
import { verifySignature } from '../../src/crypto/credentialKeys.js';
import { parseAuthenticatorData } from '../../src/ctap2/authenticatorData.js';
import type { GetAssertionRequest } from '../../src/ctap2/getAssertion.js';
import type { MakeCredentialRequest } from '../../src/ctap2/makeCredential.js';
import { CtapError, Status } from '../../src/ctap2/status.js';
import { concat } from '../../src/encoding/bytes.js';
import { CoseAlg, decodeCoseKey } from '../../src/encoding/cose.js';
import type { PresenceMode } from '../../src/main/presence.js';
import { openSplitDevice, secureCoreArgs } from '../../src/main/splitDevice.js';
import { spawnCore } from '../../src/split/front/coreLink.js';
import { softkeyCommand } from '../interop/startDevice.js';

const sha256 = (s: string) => new Uint8Array(createHash('sha256').update(s).digest());
const ctx = () => ({ signal: new AbortController().signal, setStatus: () => {} });
const RP = 'restart.example';

const mc = (alg: number, rk: boolean): MakeCredentialRequest => ({
  clientDataHash: sha256('create'),
  rp: { id: RP },
  user: { id: new Uint8Array([alg & 0xff]), name: 'bob' },
  pubKeyCredParams: [{ type: 'public-key', alg }],
  options: { rk },
});
const ga = (id?: Uint8Array): GetAssertionRequest => ({
  rpId: RP,
  clientDataHash: sha256('get'),
  ...(id && { allowList: [{ type: 'public-key', id }] }),
  options: {},
});

it(
  'the secure core dies: the request in flight errors, the next ones work, nothing is lost',
  { timeout: 60_000 },
  async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'softkey-split-'));
    const cli = softkeyCommand();
    let presence: PresenceMode = 'auto';
    const device = openSplitDevice({
      core: () =>
        spawnCore({
          command: cli.command,
          args: [...cli.args, ...secureCoreArgs({ dataDir, presence, userActionTimeoutMs: 60_000 })],
        }),
    });
    const { authenticator: front, link } = device;
    try {
      // Core 1: two credentials, one discoverable (seed message), one not (extension message).
      const made = [];
      for (const [alg, rk] of [
        [CoseAlg.ES256, true],
        [CoseAlg.EdDSA, false],
      ] as const) {
        const acd = parseAuthenticatorData(
          (await front.makeCredential(mc(alg, rk), ctx())).authData,
        ).attestedCredentialData!;
        made.push({ id: acd.credentialId, key: decodeCoseKey(acd.credentialPublicKey) });
      }
      const before = parseAuthenticatorData((await front.getAssertion(ga(made[0]!.id), ctx())).authData).signCount;

      // Killed while idle: the next request starts core 2 (which, here, waits for a user who never comes).
      const core1 = link.child!;
      core1.kill('SIGKILL');
      await once(core1, 'exit');
      presence = 'timeout';
      const pending = front.getAssertion(ga(made[0]!.id), ctx());
      while (link.starts < 2 || !link.child) await new Promise((r) => setTimeout(r, 20));
      assert.notEqual(link.child.pid, core1.pid);
      // Killed mid-request: that request answers CTAP1_ERR_OTHER.
      link.child.kill('SIGKILL');
      await assert.rejects(pending, (e: unknown) => e instanceof CtapError && e.status === Status.CTAP1_ERR_OTHER);

      // Core 3: the earlier credentials still assert, counters went on.
      presence = 'auto';
      for (const cred of made) {
        const req = ga(cred.id);
        const a = await front.getAssertion(req, ctx());
        assert.ok(verifySignature(cred.key, concat(a.authData, req.clientDataHash), a.signature));
      }
      const after = parseAuthenticatorData((await front.getAssertion(ga(made[0]!.id), ctx())).authData).signCount;
      assert.ok(after > before, `counter ${before} then ${after}`);
      const discovered = await front.getAssertion(ga(), ctx());
      assert.deepEqual(discovered.credential.id, made[0]!.id);
      assert.equal(link.starts, 3);
    } finally {
      const last = link.child;
      device.close();
      if (last && last.exitCode === null) await once(last, 'exit');
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
);
