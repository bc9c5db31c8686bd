/**
 * `softkey ctl` against a real `softkey start --presence panel` process: it finds the device
 * through <dataDir>/control.json, answers prompts a CTAPHID client (over UDP) is waiting on, arms
 * faults that client then sees, and refuses bad usage with exit code 2.
 */
import '../helpers/tempHome.js';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Command } from '../../src/ctap2/commands.js';
import { encodeSimpleCommand } from '../../src/ctap2/hostCodec.js';
import { decodeGetAssertionResponse } from '../../src/ctap2/getAssertion.js';
import { parseAuthenticatorData } from '../../src/ctap2/authenticatorData.js';
import { Status } from '../../src/ctap2/status.js';
import { connectSoftKey, type SoftKeyConnection } from '../../src/main/softkey.js';
import { softkeyCommand, startSoftkeyProcess, type SoftkeyProcess } from '../interop/startDevice.js';
import { getAssertion, makeCredential } from './helpers.js';

function ctl(dataDir: string, ...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const { command, args: base, cwd } = softkeyCommand();
  const child = spawn(command, [...base, 'ctl', '--data-dir', dataDir, ...args], { cwd });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out, err })));
}

/** `softkey ctl prompts` until one is pending (fails after 20 tries). */
async function promptsSoon(dataDir: string): Promise<Array<{ id: string; rpId: string; message: string }>> {
  for (let i = 0; i < 20; i++) {
    const prompts = JSON.parse((await ctl(dataDir, 'prompts')).out) as Array<{
      id: string;
      rpId: string;
      message: string;
    }>;
    if (prompts.length > 0) return prompts;
  }
  throw new Error('no prompt appeared');
}

const PROMPT_WAIT_MS = 240_000;

describe('softkey ctl', () => {
  let device: SoftkeyProcess;
  let client: SoftKeyConnection;
  before(async () => {
    device = await startSoftkeyProcess({
      presence: 'panel',
      // Each `softkey ctl` is a new node process; on a loaded CI machine two of them (list the
      // prompts, then answer) can outlast the default 30 s prompt wait, so this device waits longer.
      args: ['--panel', '127.0.0.1:0', '--no-bridge', '--no-demo', '--presence-timeout', String(PROMPT_WAIT_MS)],
      readyPattern: /press Ctrl-C/,
    });
    client = await connectSoftKey({
      udp: `127.0.0.1:${device.udpPort}`,
      replyTo: `127.0.0.1:${device.replyPort}`,
      timeoutMs: PROMPT_WAIT_MS + 30_000,
    });
  });
  after(async () => {
    await client?.close();
    await device?.stop();
  });

  it('finds the device through a 0600 control.json', () => {
    const file = `${device.dataDir}/control.json`;
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const info = JSON.parse(readFileSync(file, 'utf8'));
    assert.match(info.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(
      device.output(),
      new RegExp(`device panel: ${info.url.replace(/[.]/g, '\\.')}/\\?token=${info.token}`),
    );
  });

  it('approves and denies the prompts a client waits on', async () => {
    const pending = client.cbor(makeCredential('ctl.example', { rk: true }));
    let prompts = await promptsSoon(device.dataDir);
    assert.equal(prompts[0]!.rpId, 'ctl.example');
    assert.match(prompts[0]!.message, /^Register with ctl\.example RP \(ctl\.example\) as Alice\?$/);
    const approved = await ctl(device.dataDir, 'approve', prompts[0]!.id);
    assert.equal(approved.code, 0, approved.err);
    assert.equal((await pending)[0], Status.CTAP2_OK);
    const list = JSON.parse((await ctl(device.dataDir, 'credentials', 'list')).out) as Array<{ rpId: string }>;
    assert.deepEqual(
      list.map((c) => c.rpId),
      ['ctl.example'],
    );
    const denied = client.cbor(getAssertion('ctl.example'));
    prompts = await promptsSoon(device.dataDir);
    assert.equal((await ctl(device.dataDir, 'deny', prompts[0]!.id)).code, 0);
    assert.equal((await denied)[0], Status.CTAP2_ERR_OPERATION_DENIED);
  });

  it('arms a CTAP error fault that the client then gets, and switches presence', async () => {
    const set = await ctl(device.dataDir, 'faults', 'set', '--error', 'getInfo:CTAP2_ERR_NOT_ALLOWED');
    assert.equal(set.code, 0, set.err);
    // Echoed by name, as given, not as bytes (issue 18 item 9).
    assert.deepEqual(JSON.parse(set.out), {
      ctapError: { command: 'authenticatorGetInfo', status: 'CTAP2_ERR_NOT_ALLOWED' },
    });
    assert.deepEqual(JSON.parse((await ctl(device.dataDir, 'faults', 'show')).out), JSON.parse(set.out));
    assert.equal(
      (await client.cbor(encodeSimpleCommand(Command.authenticatorGetInfo)))[0],
      Status.CTAP2_ERR_NOT_ALLOWED,
    );
    assert.equal((await client.cbor(encodeSimpleCommand(Command.authenticatorGetInfo)))[0], Status.CTAP2_OK);
    assert.deepEqual(JSON.parse((await ctl(device.dataDir, 'presence', 'deny')).out), {
      mode: 'deny',
      timeoutMs: PROMPT_WAIT_MS,
    });
    assert.equal((await client.cbor(makeCredential('ctl.example')))[0], Status.CTAP2_ERR_OPERATION_DENIED);
  });

  it('arms a deliberately wrong answer (override) that a CTAP client then gets, once; lists the catalog', async () => {
    assert.equal((await ctl(device.dataDir, 'presence', 'auto')).code, 0);
    const armed = await ctl(device.dataDir, 'override', 'up-cleared', '--once', '--ceremony', 'authentication');
    assert.equal(armed.code, 0, armed.err);
    assert.deepEqual(JSON.parse(armed.out), {
      armed: [{ answer: 'up-cleared', ceremonies: ['authentication'], once: true }],
    });
    const flags = async () => {
      const r = await client.cbor(getAssertion('ctl.example'));
      assert.equal(r[0], Status.CTAP2_OK);
      return parseAuthenticatorData(decodeGetAssertionResponse(r).authData).flags;
    };
    assert.equal((await flags()) & 0x01, 0, 'UP cleared, as armed');
    assert.equal((await flags()) & 0x01, 1, 'once: the next answer is honest');
    assert.deepEqual(JSON.parse((await ctl(device.dataDir, 'override', 'show')).out), { armed: [] });
    const list = JSON.parse((await ctl(device.dataDir, 'override', 'list')).out) as Array<{
      name: string;
      check: string;
    }>;
    assert.equal(list.length, 22);
    assert.match(list.find((w) => w.name === 'up-cleared')!.check, /UP bit/);
    const unknown = await ctl(device.dataDir, 'override', 'nope');
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /unknown wrong answer "nope"/);
  });

  it('exits 2 on usage mistakes and 1 when the device refuses', async () => {
    const unknown = await ctl(device.dataDir, 'explode');
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /unknown operation "explode"/);
    assert.equal((await ctl(device.dataDir, 'faults', 'set')).code, 2);
    assert.equal((await ctl(device.dataDir, 'approve')).code, 2);
    const refused = await ctl(device.dataDir, 'presence', 'sometimes');
    assert.equal(refused.code, 1);
    assert.match(refused.err, /mode must be one of/);
    const nowhere = await ctl('/nonexistent-softkey-dir', 'state');
    assert.equal(nowhere.code, 1);
    assert.match(nowhere.err, /no running softkey found/);
  });
});
