/**
 * Interop: our WebAuthn client's prf results (connectSoftKey over UDP to a real `softkey start`)
 * re-derived by python-fido2 0.9.1's own hmac-secret code on the same device
 * (test/interop/python/flows_client.py), with and without user verification.
 */
import '../helpers/tempHome.js';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { connectSoftKey } from '../../src/main/softkey.js';
import * as b64u from '../../src/encoding/base64url.js';
import { utf8 } from '../../src/encoding/bytes.js';
import { MISSING_FIDO2, probePythonFido2, pythonScript, runPython } from './python.js';
import { startSoftkeyProcess } from './startDevice.js';

const RP_ID = 'localhost';
const ORIGIN = 'http://localhost:5173';
const PIN = '4321';
const random = (n: number) => b64u.encode(crypto.getRandomValues(new Uint8Array(n)));

test('python-fido2 0.9.1 derives the same PRF values as our client', { timeout: 240_000 }, async (t) => {
  const probe = probePythonFido2();
  if (!probe.ok) {
    if (process.env.CI === 'true') assert.fail(MISSING_FIDO2);
    t.skip(`${MISSING_FIDO2} (${probe.reason})`);
    return;
  }
  const device = await startSoftkeyProcess({ args: ['--no-apdu'] });
  const dir = mkdtempSync(join(tmpdir(), 'softkey-prf-'));
  try {
    const cases: Array<{ name: string; credentialId: string; input: string; uv: boolean; expected: string }> = [];
    const key = await connectSoftKey({
      udp: `${device.host}:${device.udpPort}`,
      replyTo: `${device.host}:${device.replyPort}`,
    });
    try {
      await key.client.setPin(PIN);
      for (const rk of [false, true]) {
        const input = b64u.encode(utf8.encode(`prf input rk=${rk}`));
        const c = await key.client.create(
          {
            rp: { id: RP_ID, name: 'WebAuthn Demo' },
            user: { id: random(16), name: 'fred', displayName: 'Fred' },
            challenge: random(32),
            pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
            authenticatorSelection: {
              residentKey: rk ? 'required' : 'discouraged',
              userVerification: rk ? 'required' : 'discouraged',
            },
            extensions: { prf: { eval: { first: input } } },
          },
          { origin: ORIGIN },
        );
        assert.equal(c.clientExtensionResults.prf?.enabled, true);
        cases.push({
          name: `rk=${rk}.create.uv=${rk}`,
          credentialId: c.id,
          input,
          uv: rk,
          expected: c.clientExtensionResults.prf.results!.first,
        });
        for (const uv of [false, true]) {
          const other = b64u.encode(utf8.encode(`another input uv=${uv}`));
          const a = await key.client.get(
            {
              challenge: random(32),
              userVerification: uv ? 'required' : 'discouraged',
              allowCredentials: [{ type: 'public-key', id: c.id }],
              extensions: { prf: { eval: { first: other } } },
            },
            { origin: ORIGIN },
          );
          cases.push({
            name: `rk=${rk}.get.uv=${uv}`,
            credentialId: c.id,
            input: other,
            uv,
            expected: a.clientExtensionResults.prf!.results!.first,
          });
        }
      }
    } finally {
      await key.close(); // frees the reply port for python
    }

    const file = join(dir, 'cases.json');
    writeFileSync(file, JSON.stringify({ rpId: RP_ID, pin: PIN, cases }));
    const run = await runPython(
      pythonScript('flows_client.py'),
      ['--device-port', String(device.udpPort), '--reply-port', String(device.replyPort), '--cases', file],
      {
        onLine: (line) => process.stdout.write(`[client-prf] ${line}\n`),
      },
    );
    const last = run.stdout.filter((l) => l.trim() !== '').at(-1);
    assert.equal(run.code, 0, `${run.stdout.join('\n')}\n${run.stderr}`);
    assert.equal(last, `${cases.length + 1} passed, 0 failed`);
    t.diagnostic(`flows_client.py: ${last}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await device.stop();
  }
});
