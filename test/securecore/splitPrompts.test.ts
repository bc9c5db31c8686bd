/**
 * Split mode's prompts at the front (`--presence panel`, docs/split.md "Prompts"), in one process:
 * the secure core's presence and review ports are FrontPrompts over an in-memory stream, the front
 * shows each promptRequest (0x0117) on a PresenceBroker in panel mode, the broker the device panel
 * and control API answer in normal mode. Approve, deny, no answer (the broker's user-action
 * timeout), CTAPHID_CANCEL (the core withdraws the prompt, 0x0119) and a lost core.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Duplex, PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import type { Encodable } from '../../src/encoding/cbor.js';
import { defaultConfig } from '../../src/authenticator/config.js';
import { PresenceBroker } from '../../src/control/presence.js';
import { encodeGetAssertionRequest } from '../../src/ctap2/getAssertion.js';
import { encodeMakeCredentialRequest } from '../../src/ctap2/makeCredential.js';
import { Status } from '../../src/ctap2/status.js';
import { brokerScreen, openSplitDevice } from '../../src/main/splitDevice.js';
import { FrontPrompts } from '../../src/split/core/frontPrompts.js';
import { SecureCoreService, serveSecureCore } from '../../src/split/core/secureCore.js';
import { testEnv } from '../helpers/env.js';

const sha256 = (s: string) => new Uint8Array(createHash('sha256').update(s).digest());
const RP = { id: 'prompts.example', name: 'Prompt Example' };

async function promptedSplitDevice(timeoutMs = 10_000) {
  const toCore = new PassThrough();
  const toFront = new PassThrough();
  const coreSide = Duplex.from({ readable: toCore, writable: toFront });
  const prompts = new FrontPrompts(coreSide);
  const env = { ...testEnv(), presence: prompts };
  const service = await SecureCoreService.create(env, defaultConfig());
  const served = serveSecureCore(service, coreSide, prompts);
  const broker = new PresenceBroker({ mode: 'panel', timeoutMs });
  const frontSide = Duplex.from({ readable: toFront, writable: toCore });
  const device = openSplitDevice({
    core: () => ({ stream: frontSide, close: () => (toCore.end(), toFront.end()) }),
    screen: brokerScreen(broker),
  });
  /** The stream breaks (the core process died). */
  const breakStream = () => (coreSide.destroy(), frontSide.destroy());
  return { device, broker, prompts, served, breakStream };
}

/** Waits until the broker shows a prompt (the core's request crossed the stream). */
async function nextPrompt(broker: PresenceBroker) {
  for (;;) {
    const [prompt] = broker.prompts();
    if (prompt) return prompt;
    await new Promise((r) => setTimeout(r, 5));
  }
}

const makeCredential = (extra: { extensions?: Map<string, Encodable> } = {}) =>
  encodeMakeCredentialRequest({
    clientDataHash: sha256('create'),
    rp: RP,
    user: { id: new Uint8Array([7]), name: 'alice', displayName: 'Alice' },
    pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
    options: { rk: true },
    ...extra,
  });

describe('split mode: the core’s prompts are answered at the front', () => {
  it('makeCredential: the prompt names the RP and the user, approve → success, UPNEEDED meanwhile', async () => {
    const { device, broker } = await promptedSplitDevice();
    const statuses: string[] = [];
    const pending = device.cbor(makeCredential(), { setStatus: (s) => statuses.push(s) });
    const prompt = await nextPrompt(broker);
    assert.equal(prompt.kind, 'presence');
    assert.equal(prompt.operation, 'makeCredential');
    assert.equal(prompt.rpId, RP.id);
    assert.equal(prompt.rpName, RP.name);
    assert.equal(prompt.userName, 'alice');
    assert.match(prompt.message, /prompts\.example/);
    assert.ok(statuses.includes('upneeded'), 'keepalives say UPNEEDED while the prompt waits');
    assert.equal(broker.answer(prompt.id, true), true);
    const r = await pending;
    assert.equal(r[0], Status.CTAP2_OK);
    assert.deepEqual(broker.prompts(), []);
    device.close();
  });

  it('deny → CTAP2_ERR_OPERATION_DENIED; a request sent whole (extensions, 0x0113) prompts the same way', async () => {
    const { device, broker } = await promptedSplitDevice();
    const denied = device.cbor(makeCredential());
    broker.answer((await nextPrompt(broker)).id, false);
    assert.equal((await denied)[0], Status.CTAP2_ERR_OPERATION_DENIED);

    const whole = device.cbor(makeCredential({ extensions: new Map([['credProtect', 1]]) }));
    const prompt = await nextPrompt(broker);
    assert.equal(prompt.rpId, RP.id);
    broker.answer(prompt.id, true);
    assert.equal((await whole)[0], Status.CTAP2_OK);

    // getAssertion: the prompt names the RP it signs in to.
    const assertion = device.cbor(encodeGetAssertionRequest({ rpId: RP.id, clientDataHash: sha256('get') }));
    const signIn = await nextPrompt(broker);
    assert.equal(signIn.operation, 'getAssertion');
    assert.equal(signIn.rpId, RP.id);
    broker.answer(signIn.id, true);
    assert.equal((await assertion)[0], Status.CTAP2_OK);
    device.close();
  });

  it('no answer: the broker’s user-action timeout → CTAP2_ERR_USER_ACTION_TIMEOUT, as in normal mode', async () => {
    const { device, broker } = await promptedSplitDevice(200);
    const r = await device.cbor(makeCredential());
    assert.equal(r[0], Status.CTAP2_ERR_USER_ACTION_TIMEOUT);
    assert.deepEqual(broker.prompts(), []);
    device.close();
  });

  it('CTAPHID_CANCEL: the core withdraws the prompt (0x0119), the request ends with KEEPALIVE_CANCEL', async () => {
    const { device, broker } = await promptedSplitDevice();
    const cancel = new AbortController();
    const pending = device.cbor(makeCredential(), { signal: cancel.signal });
    const prompt = await nextPrompt(broker);
    cancel.abort();
    assert.equal((await pending)[0], Status.CTAP2_ERR_KEEPALIVE_CANCEL);
    while (broker.prompts().length > 0) await new Promise((r) => setTimeout(r, 5));
    assert.equal(broker.answer(prompt.id, true), false, 'the withdrawn prompt can no longer be answered');
    // The link is still in step: the next request prompts and succeeds.
    const next = device.cbor(makeCredential());
    broker.answer((await nextPrompt(broker)).id, true);
    assert.equal((await next)[0], Status.CTAP2_OK);
    device.close();
  });

  it('the Filecoin app’s review: title and every item reach the front; a long touch approves', async () => {
    const { broker, prompts, device } = await promptedSplitDevice();
    await device.authenticator.ready(); // the link is up
    const items = [
      { label: 'To', value: 'f1abjxfbp274xpdqcpuaykwkfb43omjotacm2p3za' },
      { label: 'Value', value: 'FIL 0.000000000000100000' },
    ];
    const pending = prompts.review({ title: 'Sign Filecoin transaction', items });
    const prompt = await nextPrompt(broker);
    assert.equal(prompt.kind, 'review');
    assert.equal(prompt.operation, 'signTransaction');
    assert.equal(prompt.message, 'Sign Filecoin transaction');
    assert.deepEqual(prompt.items, items);
    broker.answer(prompt.id, 'longTouch');
    assert.equal(await pending, 'approved');
    device.close();
  });

  it('the stream breaks while a prompt waits: the core stops waiting, the front takes the prompt down', async () => {
    const { broker, prompts, device, served, breakStream } = await promptedSplitDevice();
    await device.authenticator.ready();
    const pending = prompts.request(
      { operation: 'selection', message: 'Select this key?' },
      new AbortController().signal,
    );
    await nextPrompt(broker);
    breakStream();
    assert.equal(await pending, 'timeout');
    await served;
    while (broker.prompts().length > 0) await new Promise((r) => setTimeout(r, 5));
    device.close();
  });
});
