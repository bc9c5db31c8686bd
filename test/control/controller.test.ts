/**
 * The control API from Node (key.control), each operation checked by its effect on CTAP traffic:
 * imported keys sign assertions that node:crypto verifies with the key we made, counters and
 * backup flags show in authenticatorData, faults change what a CTAP2 or CTAPHID client sees.
 */
import assert from 'node:assert/strict';
import { createECDH, createPrivateKey, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Command } from '../../src/ctap2/commands.js';
import { Flag, parseAuthenticatorData } from '../../src/ctap2/authenticatorData.js';
import { encodeSimpleCommand } from '../../src/ctap2/hostCodec.js';
import { decodeGetAssertionResponse } from '../../src/ctap2/getAssertion.js';
import { decodeGetInfoResponse } from '../../src/ctap2/getInfo.js';
import { decodeMakeCredentialResponse } from '../../src/ctap2/makeCredential.js';
import { Status } from '../../src/ctap2/status.js';
import * as b64u from '../../src/encoding/base64url.js';
import { concat } from '../../src/encoding/bytes.js';
import { openSoftKey, type SoftKey } from '../../src/main/softkey.js';
import { createWalletApp, initWalletSeed } from '../../src/main/wallet.js';
import { encodePath } from '../../src/wallet/bip32Path.js';
import { clientDataHash, getAssertion, hidHost, makeCredential } from './helpers.js';
import { p256KeyPair, rsaJwk } from '../helpers/keys.js';

const p256 = p256KeyPair;

/** Verifies an assertion with a public key the test holds (not the device's). */
function verifies(publicKey: KeyObject, response: Uint8Array, label = 'ga'): boolean {
  const a = decodeGetAssertionResponse(response);
  return verify(
    'sha256',
    concat(a.authData, clientDataHash(label)),
    { key: publicKey, dsaEncoding: 'der' },
    a.signature,
  );
}

describe('key.control', () => {
  let key: SoftKey;
  // CTAPHID timers are unref'd (a real transport's socket keeps a device alive); here nothing else would.
  let alive: ReturnType<typeof setInterval>;
  before(async () => {
    key = await openSoftKey({ dataDir: ':memory:', presence: 'auto', userActionTimeoutMs: 300, trace: true });
    alive = setInterval(() => {}, 1000);
  });
  after(() => (clearInterval(alive), key.close()));

  for (const form of ['pkcs8', 'jwk', 'p256Scalar'] as const) {
    it(`adds a credential from a ${form} private key; assertions verify with that key`, async () => {
      const pair = p256();
      const jwk = pair.jwk;
      const privateKey =
        form === 'pkcs8'
          ? { pkcs8: b64u.encode(new Uint8Array(pair.privateKey.export({ format: 'der', type: 'pkcs8' }))) }
          : form === 'jwk'
            ? { jwk: jwk as Record<string, unknown> }
            : { p256Scalar: Buffer.from(jwk.d!, 'base64url').toString('hex') };
      const rpId = `${form}.example`;
      const { credentialId } = key.control.addCredential({
        rpId,
        userId: b64u.encode(new Uint8Array([1, 2, 3])),
        userName: 'imported',
        privateKey,
      });
      // Discoverable: found without an allow list.
      const response = await key.cbor(getAssertion(rpId));
      assert.equal(response[0], Status.CTAP2_OK);
      assert.deepEqual(decodeGetAssertionResponse(response).credential.id, b64u.decode(credentialId));
      assert.ok(verifies(pair.publicKey, response));
      assert.ok(!verifies(p256().publicKey, response), 'another key does not verify');
      assert.ok(
        key.control
          .credentials()
          .some((c) => c.credentialId === credentialId && c.userName === 'imported' && c.algName === 'ES256'),
      );
    });
  }

  for (const [crv, ecdhName, hash, algName] of [
    ['P-384', 'secp384r1', 'sha384', 'ES384'],
    ['P-521', 'secp521r1', 'sha512', 'ES512'],
  ] as const) {
    it(`adds a credential from a ${crv} JWK (${algName}, CTAP 2.3); assertions verify with that key`, async () => {
      const n = crv === 'P-384' ? 48 : 66;
      const ecdh = createECDH(ecdhName);
      const point = ecdh.generateKeys();
      const d = Buffer.alloc(n);
      const raw = ecdh.getPrivateKey();
      raw.copy(d, n - raw.length);
      const jwk = {
        kty: 'EC',
        crv,
        d: d.toString('base64url'),
        x: point.subarray(1, 1 + n).toString('base64url'),
        y: point.subarray(1 + n).toString('base64url'),
      };
      const publicKey = createPublicKey(createPrivateKey({ key: jwk, format: 'jwk' }));
      const rpId = `${algName.toLowerCase()}.example`;
      const { credentialId } = key.control.addCredential({
        rpId,
        userId: b64u.encode(new Uint8Array([9])),
        privateKey: { jwk },
      });
      const response = await key.cbor(getAssertion(rpId));
      assert.equal(response[0], Status.CTAP2_OK);
      const a = decodeGetAssertionResponse(response);
      assert.ok(
        verify(hash, concat(a.authData, clientDataHash('ga')), { key: publicKey, dsaEncoding: 'der' }, a.signature),
      );
      assert.ok(key.control.credentials().some((c) => c.credentialId === credentialId && c.algName === algName));
    });
  }

  it('adds a non-resident credential (found only through the allow list) and PEM PKCS#8', async () => {
    const pair = p256();
    const pem = pair.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    const { credentialId } = key.control.addCredential({
      rpId: 'nonrk.example',
      resident: false,
      privateKey: { pkcs8: pem },
    });
    assert.equal((await key.cbor(getAssertion('nonrk.example')))[0], Status.CTAP2_ERR_NO_CREDENTIALS);
    const response = await key.cbor(getAssertion('nonrk.example', b64u.decode(credentialId)));
    assert.ok(verifies(pair.publicKey, response));
    assert.ok(!key.control.credentials().some((c) => c.credentialId === credentialId));
  });

  it('refuses unusable keys and requests', () => {
    assert.throws(
      () => key.control.addCredential({ rpId: 'x.example', userId: 'AQ', privateKey: { p256Scalar: '00'.repeat(32) } }),
      /private key|scalar/i,
    );
    assert.throws(
      () => key.control.addCredential({ rpId: 'x.example', privateKey: { jwk: { kty: 'oct', k: 'AA' } } }),
      /userId/,
    );
    const rsa = rsaJwk();
    assert.throws(
      () => key.control.addCredential({ rpId: 'x.example', userId: 'AQ', privateKey: { jwk: rsa } }),
      /unsupported key type/,
    );
  });

  it('sets the signature counter and backup flags, and assertions report them', async () => {
    const pair = p256();
    const { credentialId } = key.control.addCredential({
      rpId: 'counter.example',
      userId: 'AQ',
      privateKey: { jwk: pair.jwk },
      signCount: 41,
    });
    const first = parseAuthenticatorData(
      decodeGetAssertionResponse(await key.cbor(getAssertion('counter.example'))).authData,
    );
    assert.equal(first.signCount, 42);
    assert.equal(first.flags & (Flag.BE | Flag.BS), 0);
    assert.deepEqual(
      key.control.setCredential(credentialId, { signCount: 1000, backupEligible: true, backupState: true }),
      { signCount: 1000, backupEligible: true, backupState: true },
    );
    const response = await key.cbor(getAssertion('counter.example'));
    const data = parseAuthenticatorData(decodeGetAssertionResponse(response).authData);
    assert.equal(data.signCount, 1001);
    assert.equal(data.flags & (Flag.BE | Flag.BS), Flag.BE | Flag.BS);
    assert.ok(verifies(pair.publicKey, response), 'the signature covers the flags');
    key.control.setCredential(credentialId, { backupState: false });
    const again = parseAuthenticatorData(
      decodeGetAssertionResponse(await key.cbor(getAssertion('counter.example'))).authData,
    );
    assert.equal(again.flags & (Flag.BE | Flag.BS), Flag.BE);
    assert.throws(
      () => key.control.setCredential(credentialId, { backupEligible: false, backupState: true }),
      /backup state requires/,
    );
    const listed = key.control.credentials().find((c) => c.credentialId === credentialId)!;
    assert.equal(listed.signCount, 1002);
    assert.equal(listed.backupEligible, true);
  });

  it('answers a chosen CTAP2 command with a chosen error, once or every time', async () => {
    key.control.setFaults({ ctapError: { command: 'makeCredential', status: 'CTAP2_ERR_KEY_STORE_FULL' } });
    assert.equal((await key.cbor(makeCredential('err.example')))[0], Status.CTAP2_ERR_KEY_STORE_FULL);
    assert.equal((await key.cbor(makeCredential('err.example')))[0], Status.CTAP2_OK, 'one-shot');
    key.control.setFaults({
      ctapError: { command: Command.authenticatorGetInfo, status: Status.CTAP1_ERR_OTHER, every: true },
    });
    assert.equal((await key.cbor(encodeSimpleCommand(Command.authenticatorGetInfo)))[0], Status.CTAP1_ERR_OTHER);
    assert.equal((await key.cbor(encodeSimpleCommand(Command.authenticatorGetInfo)))[0], Status.CTAP1_ERR_OTHER);
    key.control.clearFaults();
    assert.equal((await key.cbor(encodeSimpleCommand(Command.authenticatorGetInfo)))[0], Status.CTAP2_OK);
    assert.throws(
      () => key.control.setFaults({ ctapError: { command: 'noSuchCommand', status: 1 } }),
      /unknown CTAP2 command/,
    );
    assert.throws(() => key.control.setFaults({ explode: true }), /unknown fault/);
  });

  it('produces a bad signature on the next assertion only', async () => {
    const pair = p256();
    key.control.addCredential({ rpId: 'badsig.example', userId: 'AQ', privateKey: { jwk: pair.jwk } });
    key.control.setFaults({ badSignature: true });
    const bad = await key.cbor(getAssertion('badsig.example'));
    assert.equal(bad[0], Status.CTAP2_OK);
    assert.ok(!verifies(pair.publicKey, bad));
    assert.deepEqual(key.control.faults(), {}, 'disarmed after firing');
    assert.ok(verifies(pair.publicKey, await key.cbor(getAssertion('badsig.example'))));
  });

  it('badSignature is the wrong answer bad-signature: armed once for a sign-in, shown in both views, disarmed with the plan', async () => {
    const pair = p256();
    key.control.addCredential({ rpId: 'badsig2.example', userId: 'AQ', privateKey: { jwk: pair.jwk } });
    const events: string[] = [];
    const off = key.control.subscribe((e) => events.push(e.type));
    assert.deepEqual(key.control.setFaults({ badSignature: true, delayMs: 0 }), { delayMs: 0, badSignature: true });
    assert.deepEqual(key.control.overrides().armed, [
      { answer: 'bad-signature', ceremonies: ['authentication'], once: true },
    ]);
    assert.ok(events.includes('faults') && events.includes('overrides'));
    assert.deepEqual(key.control.setFaults({ delayMs: 0 }), { delayMs: 0 }, 'a plan without it disarms it');
    assert.deepEqual(key.control.overrides().armed, []);
    assert.ok(verifies(pair.publicKey, await key.cbor(getAssertion('badsig2.example'))));

    key.control.clearFaults();
    key.control.override({ answer: 'bad-signature', once: true });
    assert.deepEqual(key.control.faults(), { badSignature: true }, 'armed as a wrong answer: the fault view shows it');
    events.length = 0;
    assert.ok(!verifies(pair.publicKey, await key.cbor(getAssertion('badsig2.example'))));
    assert.deepEqual(key.control.faults(), {});
    assert.ok(events.includes('faults'), 'the fault view changed when the sign-in used it up');
    off();
    key.control.clearFaults();
  });

  it('withholds presence until the user-action timeout, or until CTAPHID_CANCEL', async () => {
    key.control.setFaults({ withholdPresence: 'timeout' });
    assert.equal((await key.cbor(makeCredential('withheld.example')))[0], Status.CTAP2_ERR_USER_ACTION_TIMEOUT);
    key.control.setFaults({ withholdPresence: 'cancel' });
    const { host } = await hidHost(key);
    const cancel = new AbortController();
    const statuses: number[] = [];
    const pending = host.cbor(makeCredential('withheld.example'), {
      signal: cancel.signal,
      onKeepalive: (s) => {
        statuses.push(s);
        if (statuses.filter((x) => x === 2).length === 5) cancel.abort(); // well past the 300 ms timeout
      },
    });
    const response = await pending;
    assert.equal(response[0], Status.CTAP2_ERR_KEEPALIVE_CANCEL);
    assert.ok(statuses.includes(2), 'UPNEEDED while withheld');
    key.control.clearFaults();
  });

  it('drops or corrupts the Nth outgoing report, as a CTAPHID host sees it', async () => {
    const { host, reports } = await hidHost(key, 400);
    const ping = new Uint8Array(100).fill(0x5a); // two reports each way
    assert.deepEqual(await host.ping(ping), ping);
    key.control.setFaults({ dropReport: 2 });
    await assert.rejects(host.ping(ping), /no answer/i, 'the continuation packet never came');
    const again = await hidHost(key);
    key.control.setFaults({ corruptReport: { nth: 1, offset: 10, xor: 0x01 } });
    const sentBefore = again.reports.length;
    const echoed = await again.host.ping(ping);
    assert.notDeepEqual(echoed, ping);
    assert.equal(echoed[3], 0x5a ^ 0x01, 'byte 10 of the first report is payload byte 3');
    assert.equal(again.reports.length - sentBefore, 2);
    assert.ok(reports.length > 0);
    assert.deepEqual(key.control.faults(), {});
  });

  it('delays responses (keepalives continue meanwhile)', async () => {
    const { host } = await hidHost(key);
    key.control.setFaults({ delayMs: 350 });
    const keepalives: number[] = [];
    const info = await host.cbor(encodeSimpleCommand(Command.authenticatorGetInfo), {
      onKeepalive: (s) => keepalives.push(s),
    });
    key.control.clearFaults();
    assert.equal(info[0], Status.CTAP2_OK);
    assert.ok(keepalives.includes(1), 'PROCESSING keepalives while the response is held');
  });

  it('panel mode: a prompt names the RP and waits to be approved or denied by id', async () => {
    key.control.setPresence({ mode: 'panel', timeoutMs: 5000 });
    const pending = key.cbor(makeCredential('panel.example', { rk: true, user: 'bob' }));
    await new Promise((r) => setTimeout(r, 20));
    const [prompt] = key.control.prompts();
    assert.ok(prompt);
    assert.equal(prompt.rpId, 'panel.example');
    assert.match(prompt.message, /Register with panel\.example RP \(panel\.example\) as Alice\?/);
    key.control.answerPrompt(prompt.id, true);
    assert.equal((await pending)[0], Status.CTAP2_OK);
    const denied = key.cbor(getAssertion('panel.example'));
    await new Promise((r) => setTimeout(r, 20));
    assert.match(key.control.prompts()[0]!.message, /Sign in to panel\.example\?/);
    key.control.answerPrompt(key.control.prompts()[0]!.id, false);
    assert.equal((await denied)[0], Status.CTAP2_ERR_OPERATION_DENIED);
    assert.throws(() => key.control.answerPrompt('999', true), /no prompt/);
    key.control.setPresence({ mode: 'auto' });
  });

  it('simulates built-in UV: available in getInfo, match and no match', async () => {
    const options = async () =>
      decodeGetInfoResponse(await key.cbor(encodeSimpleCommand(Command.authenticatorGetInfo))).options ?? {};
    assert.equal((await options()).uv, undefined);
    assert.equal((await key.cbor(makeCredential('uv.example', { uv: true })))[0], Status.CTAP2_ERR_INVALID_OPTION);
    key.control.setUv({ available: true, result: 'match' });
    assert.equal((await options()).uv, true);
    const made = await key.cbor(makeCredential('uv.example', { uv: true }));
    assert.equal(made[0], Status.CTAP2_OK);
    assert.ok(parseAuthenticatorData(decodeMakeCredentialResponse(made).authData).flags & Flag.UV);
    key.control.setUv({ result: 'nomatch' });
    assert.equal((await key.cbor(makeCredential('uv.example', { uv: true })))[0], Status.CTAP2_ERR_OPERATION_DENIED);
    key.control.setUv({ available: false, result: 'match' });
    assert.equal((await options()).uv, undefined);
  });

  it('sets the PIN on the device: getInfo reports clientPin, the policy applies', async () => {
    const clientPin = async () =>
      (decodeGetInfoResponse(await key.cbor(encodeSimpleCommand(Command.authenticatorGetInfo))).options ?? {})
        .clientPin;
    assert.equal(await clientPin(), false);
    assert.deepEqual({ ...key.control.pin(), uvRetries: 0 }, { set: false, retries: 8, uvRetries: 0 });
    assert.equal(key.control.pin().uvRetries, 7, 'the no-match finger above used one UV retry');
    assert.throws(() => key.control.setPin({ pin: '12' }), /PIN_POLICY_VIOLATION/);
    assert.equal(key.control.setPin({ pin: '123456' }).set, true);
    assert.equal(await clientPin(), true);
    // A discoverable credential now needs user verification (makeCredUvNotRqd, CTAP 2.1 §6.1.2 step 7).
    assert.equal((await key.cbor(makeCredential('pin.example', { rk: true })))[0], Status.CTAP2_ERR_PUAT_REQUIRED);
    key.control.reset();
    assert.equal(key.control.pin().set, false, 'reset erases the PIN');
  });

  it('removes one credential, clears all, resets and power-cycles', async () => {
    await key.cbor(makeCredential('rm.example', { rk: true, user: 'one' }));
    await key.cbor(makeCredential('rm.example', { rk: true, user: 'two' }));
    const mine = key.control.credentials().filter((c) => c.rpId === 'rm.example');
    assert.equal(mine.length, 2);
    key.control.removeCredential(mine[0]!.credentialId);
    assert.equal(key.control.credentials().filter((c) => c.rpId === 'rm.example').length, 1);
    assert.throws(() => key.control.removeCredential(mine[0]!.credentialId), /no discoverable credential/);
    assert.ok(key.control.clearCredentials().removed >= 1);
    assert.equal((await key.cbor(getAssertion('rm.example')))[0], Status.CTAP2_ERR_NO_CREDENTIALS);
    // A non-resident credential survives clear, not reset (the wrapping key changes).
    const made = decodeMakeCredentialResponse(await key.cbor(makeCredential('reset.example')));
    const id = parseAuthenticatorData(made.authData).attestedCredentialData!.credentialId;
    assert.equal((await key.cbor(getAssertion('reset.example', id)))[0], Status.CTAP2_OK);
    key.control.reset();
    assert.equal((await key.cbor(getAssertion('reset.example', id)))[0], Status.CTAP2_ERR_NO_CREDENTIALS);
    // Power cycle: every CTAPHID channel is forgotten. Under channel policy 'allocated' the old CID is
    // refused until INIT; under the default 'any' it is taken again as a new channel.
    const { host } = await hidHost(key);
    key.control.powerCycle();
    assert.deepEqual(await host.ping(new Uint8Array([1])), new Uint8Array([1]));
    const strict = await openSoftKey({ dataDir: ':memory:', presence: 'auto', config: { hidChannels: 'allocated' } });
    try {
      const { host: strictHost } = await hidHost(strict);
      strict.control.powerCycle();
      await assert.rejects(strictHost.ping(new Uint8Array([1])), /INVALID_CHANNEL|channel/i);
    } finally {
      await strict.close();
    }
  });

  it("traces the Filecoin app's APDUs and shows its review as a prompt", async () => {
    initWalletSeed(key.device.vault);
    const app = key.traceWallet(createWalletApp({ vault: key.device.vault, review: key.review }));
    key.control.setPresence({ mode: 'panel' });
    const address = app.exchange(
      new Uint8Array([0x06, 0x01, 0x01, 0x00, 0x14, ...encodePath([0x8000002c, 0x800001cd, 0x80000000, 0, 0])]),
    );
    let prompt;
    for (let i = 0; i < 100 && !(prompt = key.control.prompts()[0]); i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(prompt?.kind, 'review');
    assert.equal(prompt?.message, 'Verify Filecoin address');
    assert.deepEqual(
      prompt?.items?.map((i) => i.value),
      [key.control.walletAddresses(1)[0]!.address],
    );
    key.control.answerPrompt(prompt.id, true);
    const response = await address;
    assert.deepEqual([...response.subarray(-2)], [0x90, 0x00]);
    const entries = key.control.trace().filter((e) => e.layer === 'apdu');
    assert.deepEqual(
      entries.map((e) => [e.direction, e.name, e.status]),
      [
        ['in', 'GET_ADDR_SECP256K1 P1=1', undefined],
        ['out', 'GET_ADDR_SECP256K1 P1=1', '9000 OK'],
      ],
    );
    key.control.setPresence({ mode: 'auto' });
  });

  it('records a decoded trace of CTAPHID and CTAP2 traffic', async () => {
    key.control.clearTrace();
    const { host } = await hidHost(key);
    await host.cbor(encodeSimpleCommand(Command.authenticatorGetInfo));
    const trace = key.control.trace();
    assert.ok(trace.some((e) => e.layer === 'ctaphid' && e.name === 'CTAPHID_INIT' && e.direction === 'out'));
    const out = trace.find((e) => e.layer === 'ctap2' && e.direction === 'out' && e.name === 'authenticatorGetInfo');
    assert.ok(out);
    assert.equal(out.status, 'CTAP2_OK');
    assert.match(out.detail!, /^\{1: \["U2F_V2", "FIDO_2_0"/);
    assert.equal(out.channel, host.cid!.toString(16).padStart(8, '0'));
  });
});
