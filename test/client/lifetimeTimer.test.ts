/**
 * The ceremonies' lifetimeTimers (WebAuthn L3 §5.1.3 step 10 / §5.1.4 step 9) share one Node timer
 * (ceremony.ts): each ceremony still ends with its own timeout whatever the order they start and
 * end in, and one that ends first is never stopped later. Nothing here measures time: the timeout
 * is read from each ceremony's error.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Ceremony } from '../../src/client/ceremony.js';
import { WebAuthnError } from '../../src/client/errors.js';
import type { CtapTransport } from '../../src/client/transport.js';

/** A device that never answers. */
const silent: CtapTransport = { cbor: () => new Promise<Uint8Array>(() => undefined) };

async function failure(p: Promise<unknown>): Promise<WebAuthnError> {
  const e = await p.then(
    () => assert.fail('the ceremony must not succeed'),
    (err: unknown) => err,
  );
  assert.ok(e instanceof WebAuthnError, String(e));
  return e;
}

describe('ceremony lifetimeTimer', () => {
  it('ceremonies started long-timeout first each end with their own timeout', async () => {
    const long = new Ceremony(silent, undefined, 600_000);
    const late = new Ceremony(silent, undefined, 300);
    const early = new Ceremony(silent, undefined, 150);
    try {
      const [a, b] = await Promise.all([
        failure(late.send(new Uint8Array([4]))),
        failure(early.send(new Uint8Array([4]))),
      ]);
      assert.equal(a.name, 'NotAllowedError');
      assert.match(a.message, /timed out after 300 ms/);
      assert.match(b.message, /timed out after 150 ms/);
      assert.equal(long.error(), undefined, 'the 10-minute ceremony still runs');
      assert.equal(long.signal.aborted, false);
    } finally {
      long.close();
      late.close();
      early.close();
    }
  });

  it('a ceremony closed before its deadline is not stopped later; one after it still times out', async () => {
    const done = new Ceremony(silent, undefined, 100);
    done.close();
    const next = new Ceremony(silent, undefined, 250);
    try {
      const e = await failure(next.send(new Uint8Array([4])));
      assert.match(e.message, /timed out after 250 ms/);
      assert.equal(done.error(), undefined, 'the closed ceremony was left alone');
    } finally {
      next.close();
    }
  });

  it("the caller's abort still ends a ceremony before its timeout", async () => {
    const controller = new AbortController();
    const c = new Ceremony(silent, controller.signal, 600_000);
    try {
      const pending = failure(c.send(new Uint8Array([4])));
      controller.abort(new Error('user left'));
      const e = await pending;
      assert.equal(e.name, 'AbortError');
      assert.equal((e.cause as Error).message, 'user left');
    } finally {
      c.close();
    }
  });
});
