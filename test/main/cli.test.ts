/** The softkey CLI: usage errors exit 2 with a clear message; info, credentials list and reset work. */
import '../helpers/tempHome.js';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { main } from '../../src/cli/main.js';
import { openSoftKey } from '../../src/main/softkey.js';
import { encodeMakeCredentialRequest } from '../../src/ctap2/makeCredential.js';

const dir = mkdtempSync(join(tmpdir(), 'softkey-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('softkey CLI', () => {
  it('rejects unknown commands and flags with exit code 2', async () => {
    // Usage is checked before any data directory opens: these never touch ~/.softkey.
    for (const argv of [
      ['frobnicate'],
      ['start', '--bogus'],
      ['start', '--presence', 'maybe'],
      ['start', '--udp', 'nonsense'],
      ['credentials'],
      ['start', '--presence-timeout', '-1'],
    ]) {
      const r = await run(...argv);
      assert.equal(r.code, 2, argv.join(' '));
      assert.match(r.err, /^softkey: [\s\S]+\nRun "softkey --help" for usage\.$/);
    }
  });

  it("bounds --reset-window-ms (CTAP 2.1 §6.6: at most the spec's 10 s) with or without --split", async () => {
    for (const value of ['99', '10001', '2s', '', '1e3']) {
      for (const split of [[], ['--split']]) {
        const r = await run('start', ...split, '--reset-window-ms', value);
        assert.equal(r.code, 2, `${split.join(' ')} --reset-window-ms "${value}"`);
        assert.match(r.err, /--reset-window-ms must be a whole number from 100 to 10000, got "/);
      }
    }
  });

  it('prints help and version', async () => {
    assert.match((await run('--help')).out, /softkey start/);
    assert.match((await run('--version')).out, /^\d+\.\d+\.\d+$/);
  });

  it('info prints getInfo as JSON', async () => {
    const r = await run('info', '--data-dir', dir);
    assert.equal(r.code, 0);
    const info = JSON.parse(r.out);
    assert.deepEqual(info.versions, ['U2F_V2', 'FIDO_2_0', 'FIDO_2_1', 'FIDO_2_3']);
    assert.match(info.aaguid, /^[0-9a-f]{32}$/);
  });

  it('lists discoverable credentials and resets', async () => {
    const key = await openSoftKey({ dataDir: dir });
    const response = await key.cbor(
      encodeMakeCredentialRequest({
        clientDataHash: new Uint8Array(32),
        rp: { id: 'cli.example' },
        user: { id: new Uint8Array([7]), name: 'carol', displayName: 'Carol' },
        pubKeyCredParams: [{ type: 'public-key', alg: -8 }],
        options: { rk: true },
      }),
    );
    assert.equal(response[0], 0);
    await key.close();
    const listed = await run('credentials', 'list', '--data-dir', dir);
    assert.equal(listed.code, 0);
    assert.match(listed.out, /cli\.example\tcarol\tCarol\talg -8\tcredProtect 1\tcounter 0/);
    const reset = await run('reset', '--data-dir', dir, '--yes');
    assert.equal(reset.code, 0, reset.err);
    assert.match((await run('credentials', 'list', '--data-dir', dir)).out, /no discoverable credentials/);
  });
});
