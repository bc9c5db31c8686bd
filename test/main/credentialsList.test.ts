/**
 * `softkey credentials list` prints the counter a relying party last saw (issue 18 item 9): from the
 * running device's control API when there is one; offline the stored value, marked "≤" when it may
 * be a reserved ceiling (a run that reserved counters is open, or did not close cleanly).
 */
import '../helpers/tempHome.js';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { main } from '../../src/cli/main.js';
import { decodeGetAssertionResponse } from '../../src/ctap2/getAssertion.js';
import { parseAuthenticatorData } from '../../src/ctap2/authenticatorData.js';
import { startControlServices } from '../../src/main/panel.js';
import { openSoftKey, type SoftKey } from '../../src/main/softkey.js';
import { COUNTER_RESERVATION, SqliteStore } from '../../src/store/sqliteStore.js';
import { getAssertion, makeCredential } from '../control/helpers.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tempDir = () => (dirs.push(mkdtempSync(join(tmpdir(), 'softkey-list-'))), dirs.at(-1)!);

async function list(dir: string) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['credentials', 'list', '--data-dir', dir], {
    out: (s) => out.push(s),
    err: (s) => err.push(s),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** A resident credential, then `n` assertions; returns the counter the relying party saw last. */
async function use(key: SoftKey, n: number): Promise<number> {
  assert.equal((await key.cbor(makeCredential('list.example', { rk: true })))[0], 0);
  let seen = 0;
  for (let i = 0; i < n; i++) {
    const r = await key.cbor(getAssertion('list.example'));
    assert.equal(r[0], 0);
    seen = parseAuthenticatorData(decodeGetAssertionResponse(r).authData).signCount;
  }
  return seen;
}

const counterOf = (out: string) => /\tcounter ([^\t]+)\t/.exec(out)?.[1];

describe('softkey credentials list', () => {
  it('asks the running device through its control API: the counter the relying party saw, not the ceiling', async () => {
    const dir = tempDir();
    const key = await openSoftKey({ dataDir: dir });
    const control = await startControlServices(key, { dataDir: dir, listen: '127.0.0.1:0' });
    try {
      const seen = await use(key, 2);
      assert.ok(seen > 0 && seen < COUNTER_RESERVATION);
      const r = await list(dir);
      assert.equal(r.code, 0, r.err);
      assert.equal(counterOf(r.out), String(seen));
      assert.match(r.out, /^list\.example\talice\tAlice\talg -7\t/);
      assert.match(r.err, new RegExp(`from the running device \\(pid ${process.pid}`));
    } finally {
      await control.close();
      await key.close();
    }
  });

  it('a run without a control API owns its directory: the offline list is refused (issue 18 item 2); exact after a clean close', async () => {
    const dir = tempDir();
    const key = await openSoftKey({ dataDir: dir }); // running without a control API (like --no-panel)
    const seen = await use(key, 2);
    const during = await list(dir);
    assert.equal(during.code, 1);
    assert.ok(during.err.includes(`the data directory ${dir} is in use by softkey pid ${process.pid}`), during.err);
    assert.match(during.err, /softkey ctl credentials list/);

    await key.close(); // a clean close writes the exact values
    const afterClose = await list(dir);
    assert.equal(counterOf(afterClose.out), String(seen));
    assert.match(afterClose.err, /exact/);
  });

  it('a crash leaves the mark; a later clean run does not clear what it cannot vouch for; reset does', async () => {
    const dir = tempDir();
    const key = await openSoftKey({ dataDir: dir });
    await use(key, 1);
    await key.close();
    // Crashed run: reserves, then its connection goes away without the flush of a clean close.
    const crashed = await openSoftKey({ dataDir: dir });
    await use(crashed, 1);
    (crashed.device.store as SqliteStore).db.close(); // no flushCounters: ceilings stay on disk
    await crashed.close(); // the store is already closed: nothing more is written
    const next = await openSoftKey({ dataDir: dir });
    assert.equal(next.device.store.countersMayBeAhead?.(), true, 'inherited from the crashed run');
    await use(next, 1);
    await next.close();
    const r = await list(dir);
    assert.match(counterOf(r.out) ?? '', /^≤ /, 'still a possible ceiling');
    const reset = await main(['reset', '--data-dir', dir, '--yes'], { out: () => {}, err: () => {} });
    assert.equal(reset, 0);
    const fresh = await openSoftKey({ dataDir: dir });
    assert.equal(fresh.device.store.countersMayBeAhead?.(), false, 'no counters, no ceilings');
    await fresh.close();
  });
});
