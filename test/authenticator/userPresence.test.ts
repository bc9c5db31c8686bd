/**
 * collectUserPresence (authenticator/userPresence.ts): the spec's status for each outcome of the
 * UserPresence port (CTAP 2.1 §6.2.2 step 9, CTAP 2.3 §6.6 long touch), whether the port answers at
 * once (answerAtOnce: nothing to await) or through request(), and the keepalive status around it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RequestContext } from '../../src/ctap2/api.js';
import { CtapError, Status } from '../../src/ctap2/status.js';
import type { PresenceRequest, PresenceResult, UserPresence } from '../../src/authenticator/env.js';
import { collectUserPresence } from '../../src/authenticator/userPresence.js';
import { PresenceBroker } from '../../src/control/presence.js';

function context(signal = new AbortController().signal) {
  const statuses: string[] = [];
  const ctx: RequestContext = { signal, setStatus: (s) => void statuses.push(s) };
  return { ctx, statuses };
}

const touch: PresenceRequest = { operation: 'getAssertion', rpId: 'example.com', message: 'Sign in?' };
const longTouch: PresenceRequest = { operation: 'reset', message: 'Reset?', longTouch: true };

/** A port answering `result` at once (answerAtOnce) or only through request(). */
function port(result: PresenceResult, atOnce: boolean): UserPresence & { asked: number } {
  const p = {
    asked: 0,
    request: () => {
      p.asked++;
      return Promise.resolve(result);
    },
    ...(atOnce && { answerAtOnce: () => result }),
  };
  return p;
}

/** Runs collectUserPresence to its end: the status it fails with, or 'ok'; and whether it had to wait. */
async function outcome(presence: UserPresence, req: PresenceRequest, ctx: RequestContext) {
  let waited = false;
  try {
    const pending = collectUserPresence(presence, req, ctx);
    waited = pending !== undefined;
    await pending;
    return { status: 'ok' as const, waited };
  } catch (e) {
    assert.ok(e instanceof CtapError, `a CtapError, not ${String(e)}`);
    return { status: e.status, waited };
  }
}

const CASES: Array<[PresenceResult, PresenceRequest, number | 'ok']> = [
  ['approved', touch, 'ok'],
  ['longTouch', touch, 'ok'],
  ['denied', touch, Status.CTAP2_ERR_OPERATION_DENIED],
  ['timeout', touch, Status.CTAP2_ERR_USER_ACTION_TIMEOUT],
  ['longTouch', longTouch, 'ok'],
  ['approved', longTouch, Status.CTAP2_ERR_USER_ACTION_TIMEOUT],
];

describe('collectUserPresence', () => {
  for (const atOnce of [true, false]) {
    for (const [result, req, expected] of CASES) {
      it(`${atOnce ? 'answered at once' : 'through request()'}: ${result} for ${req.longTouch ? 'a long touch' : 'a touch'} is ${expected === 'ok' ? 'accepted' : `status 0x${expected.toString(16)}`}`, async () => {
        const presence = port(result, atOnce);
        const { ctx, statuses } = context();
        const got = await outcome(presence, req, ctx);
        assert.equal(got.status, expected);
        assert.equal(got.waited, !atOnce, 'nothing to await only when the port answered at once');
        assert.equal(presence.asked, atOnce ? 0 : 1, 'request() is not asked when answerAtOnce answers');
        assert.deepEqual(statuses, ['upneeded', 'processing']);
      });
    }
  }

  it('a port whose answerAtOnce has nothing falls back to request()', async () => {
    const presence = { ...port('denied', false), answerAtOnce: () => undefined };
    const { ctx } = context();
    assert.equal((await outcome(presence, touch, ctx)).status, Status.CTAP2_ERR_OPERATION_DENIED);
  });

  it('a cancelled request is KEEPALIVE_CANCEL before the port is asked', async () => {
    const abort = new AbortController();
    abort.abort();
    for (const atOnce of [true, false]) {
      const presence = port('approved', atOnce);
      let called = false;
      presence.answerAtOnce &&= () => ((called = true), 'approved');
      const { ctx, statuses } = context(abort.signal);
      assert.equal((await outcome(presence, touch, ctx)).status, Status.CTAP2_ERR_KEEPALIVE_CANCEL);
      assert.equal(called, false);
      assert.equal(presence.asked, 0);
      assert.deepEqual(statuses, []);
    }
  });

  it('a cancel while the port waits is KEEPALIVE_CANCEL', async () => {
    const abort = new AbortController();
    const presence: UserPresence = { request: () => new Promise<PresenceResult>(() => {}) };
    const { ctx, statuses } = context(abort.signal);
    const pending = outcome(presence, touch, ctx);
    await Promise.resolve();
    abort.abort();
    assert.equal((await pending).status, Status.CTAP2_ERR_KEEPALIVE_CANCEL);
    assert.deepEqual(statuses, ['upneeded', 'processing']);
  });
});

describe("the presence broker's answer at once", () => {
  it("'auto' answers at once (a long touch where only one counts); other modes and a withheld touch wait", async () => {
    const broker = new PresenceBroker({ mode: 'auto' });
    assert.equal(broker.answerAtOnce(touch), 'approved');
    assert.equal(broker.answerAtOnce(longTouch), 'longTouch');
    const { ctx } = context();
    assert.equal(collectUserPresence(broker, touch, ctx), undefined);
    broker.withhold = 'timeout';
    assert.equal(broker.answerAtOnce(touch), undefined);
    broker.withhold = undefined;
    broker.setMode('deny');
    assert.equal(broker.answerAtOnce(touch), undefined);
    assert.equal((await outcome(broker, touch, context().ctx)).status, Status.CTAP2_ERR_OPERATION_DENIED);
  });
});
