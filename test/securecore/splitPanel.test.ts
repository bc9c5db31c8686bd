/**
 * `softkey start --split --presence panel` end to end (issue #17, docs/split.md "Prompts"): a real
 * split device (front + secure-core process), makeCredential over TCP HID, and the prompt the core
 * sends is seen and answered through the panel's own HTTP API and WebSocket (token from
 * control.json, as `softkey ctl` reads it). Approve → success, deny → CTAP2_ERR_OPERATION_DENIED,
 * no answer → CTAP2_ERR_USER_ACTION_TIMEOUT (--presence-timeout), KEEPALIVE UPNEEDED meanwhile.
 * The Filecoin app's transaction review (the core's wallet) reaches the same panel, driven by the
 * unmodified Zondax client: approve → a signature that verifies, deny → SW 0x6986.
 */
import '../helpers/tempHome.js';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { FilecoinApp } from '@zondax/ledger-filecoin';
import { walletCommand } from '../../src/cli/walletCommands.js';
import { openDataDir } from '../../src/main/dataDir.js';
import { ADDRESS_VECTORS, oracle, PATH, SpeculosTransport, TX, unhex, ZEMU_MNEMONIC } from '../wallet/helpers.js';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { randomBytes } from '../../src/crypto/aead.js';
import { CtapHidHost } from '../../src/ctaphid/hostDevice.js';
import { encodeMakeCredentialRequest } from '../../src/ctap2/makeCredential.js';
import { Status } from '../../src/ctap2/status.js';
import type { Prompt } from '../../src/control/presence.js';
import { connectTcpHid } from '../../src/transport/tcpHid.js';
import { freeTcpPort, startSoftkeyProcess, type SoftkeyProcess } from '../interop/startDevice.js';

const RP = { id: 'panel.example', name: 'Panel Example' };
const UPNEEDED = 2;

let device: SoftkeyProcess;
let hid: CtapHidHost;
let closePipe: () => Promise<void>;
let api: { url: string; token: string };

let apduPort: number;
const dataDir = mkdtempSync(join(tmpdir(), 'softkey-split-panel-'));

before(async () => {
  // The Filecoin app's seed (in the core's vault) for the transaction review.
  const code = await walletCommand(['import', '--data-dir', dataDir], {
    stdin: Readable.from([ZEMU_MNEMONIC + '\n']),
    stdout: () => {},
    stderr: () => {},
    openVault: (dir) => openDataDir(dir),
  });
  assert.equal(code, 0);
  const tcpPort = await freeTcpPort();
  apduPort = await freeTcpPort();
  device = await startSoftkeyProcess({
    dataDir,
    presence: 'panel',
    args: [
      '--split',
      '--panel',
      '127.0.0.1:0',
      '--presence-timeout',
      '2000',
      '--tcp-hid',
      `127.0.0.1:${tcpPort}`,
      '--apdu',
      `127.0.0.1:${apduPort}`,
    ],
    readyPattern: /presence: panel/,
    readyTimeoutMs: 40_000,
  });
  api = JSON.parse(readFileSync(join(device.dataDir, 'control.json'), 'utf8')) as { url: string; token: string };
  const pipe = await connectTcpHid({ port: tcpPort });
  closePipe = () => pipe.close();
  hid = new CtapHidHost(pipe, { rng: randomBytes });
  await hid.init();
});

after(async () => {
  await closePipe?.();
  await device?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function call(method: string, path: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${api.url}/api${path}`, { method, headers: { Authorization: `Bearer ${api.token}` } });
  return { status: res.status, body: await res.json() };
}

/** The first prompt the panel's WebSocket announces. */
function promptFromWebSocket(): { opened: Promise<unknown>; prompt: Promise<Prompt>; close(): void } {
  const ws = new WebSocket(`${api.url.replace('http', 'ws')}/ws?token=${encodeURIComponent(api.token)}`);
  const prompt = new Promise<Prompt>((resolve, reject) => {
    ws.on('error', reject);
    ws.on('message', (data: Buffer) => {
      const event = JSON.parse(data.toString('utf8')) as { type: string; prompts?: Prompt[] };
      if (event.type === 'prompts' && event.prompts?.[0]) resolve(event.prompts[0]);
    });
  });
  // The server subscribes the socket before its 101 answer leaves: once open, no event is missed.
  const opened = new Promise((resolve) => ws.once('open', resolve));
  return { opened, prompt, close: () => ws.close() };
}

function makeCredential(onKeepalive: (status: number) => void): Promise<Uint8Array> {
  const request = encodeMakeCredentialRequest({
    clientDataHash: new Uint8Array(createHash('sha256').update('panel').digest()),
    rp: RP,
    user: { id: randomBytes(16), name: 'alice', displayName: 'Alice' },
    pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
    options: { rk: true },
  });
  return hid.cbor(request, { onKeepalive });
}

describe('softkey start --split --presence panel', () => {
  it('prints the panel and writes control.json for it', () => {
    assert.match(device.output(), /device panel: http:\/\/127\.0\.0\.1:\d+\/\?token=/);
    assert.match(api.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('makeCredential over TCP HID: the prompt names the RP on the panel; approve → success', async () => {
    const ws = promptFromWebSocket();
    try {
      const keepalives: number[] = [];
      await ws.opened;
      const pending = makeCredential((s) => keepalives.push(s));
      const prompt = await ws.prompt;
      assert.equal(prompt.operation, 'makeCredential');
      assert.equal(prompt.rpId, RP.id);
      assert.equal(prompt.rpName, RP.name);
      assert.match(prompt.message, /panel\.example/);
      const listed = await call('GET', '/prompts');
      assert.equal(listed.status, 200);
      assert.deepEqual(
        (listed.body as Prompt[]).map((p) => [p.id, p.rpId]),
        [[prompt.id, RP.id]],
      );
      assert.deepEqual(await call('POST', `/prompts/${prompt.id}/approve`), { status: 200, body: { answered: true } });
      const r = await pending;
      assert.equal(r[0], Status.CTAP2_OK);
      assert.ok(keepalives.includes(UPNEEDED), 'KEEPALIVE UPNEEDED while the prompt waited');
    } finally {
      ws.close();
    }
  });

  it('deny on the panel → CTAP2_ERR_OPERATION_DENIED', async () => {
    const pending = makeCredential(() => {});
    const prompt = await waitForPrompt();
    assert.equal((await call('POST', `/prompts/${prompt.id}/deny`)).status, 200);
    assert.equal((await pending)[0], Status.CTAP2_ERR_OPERATION_DENIED);
  });

  it('no answer → CTAP2_ERR_USER_ACTION_TIMEOUT, and the prompt leaves the panel', async () => {
    const pending = makeCredential(() => {});
    const prompt = await waitForPrompt();
    assert.equal((await pending)[0], Status.CTAP2_ERR_USER_ACTION_TIMEOUT);
    assert.deepEqual((await call('GET', '/prompts')).body, []);
    assert.equal((await call('POST', `/prompts/${prompt.id}/approve`)).status, 404);
  });

  it('the Filecoin app in the core: the transaction review is on the panel, item by item', async () => {
    const transport = await SpeculosTransport.open({ apduPort, host: '127.0.0.1' });
    try {
      const fil = new FilecoinApp(transport);
      const tx = unhex(TX.manualBasic);
      const signing = fil.sign(PATH, Buffer.from(tx));
      const review = await waitForPrompt();
      assert.equal(review.kind, 'review');
      assert.equal(review.operation, 'signTransaction');
      assert.equal(review.message, 'Sign Filecoin transaction');
      const labels = review.items!.map((i) => i.label);
      for (const label of ['To', 'From', 'Value']) assert.ok(labels.includes(label), `${label} is shown`);
      assert.equal((await call('POST', `/prompts/${review.id}/approve`)).status, 200);
      const sig = await signing;
      const compact = new Uint8Array(sig.signature_compact);
      const key = unhex(ADDRESS_VECTORS.find((v) => v.path === PATH)!.pk);
      assert.ok(secp256k1.verify(compact.subarray(0, 64), oracle.cidDigest(tx), key, { prehash: false }));

      const refused = fil.sign(PATH, Buffer.from(tx)).then(
        () => assert.fail('a denied transaction is not signed'),
        (e: { returnCode: number }) => e.returnCode,
      );
      const second = await waitForPrompt();
      assert.equal((await call('POST', `/prompts/${second.id}/deny`)).status, 200);
      assert.equal(await refused, 0x6986);
    } finally {
      await transport.close();
    }
  });

  it('what the front does not hold is refused with the reason', async () => {
    const r = await call('GET', '/credentials');
    assert.equal(r.status, 400);
    assert.match((r.body as { error: string }).error, /not available in split mode/);
    assert.equal((await call('GET', '/state')).status, 200, 'the panel page loads its state');
  });
});

async function waitForPrompt(): Promise<Prompt> {
  for (;;) {
    const [prompt] = (await call('GET', '/prompts')).body as Prompt[];
    if (prompt) return prompt;
    await new Promise((r) => setTimeout(r, 20));
  }
}
