/**
 * The short soak (issue #18; `npm run soak` is the long one): `softkey start` as a real process,
 * killed with SIGKILL at random points while resident credentials and assertions are made, then
 * restarted. Nothing acknowledged may be lost, counters never go back, and PIN retries never come
 * back after a kill. Each mode prints its figures (and seed, to replay a failure).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatSoakReport, runSoak, soakPassed } from '../../scripts/soak.js';

for (const split of [false, true]) {
  describe(`soak, ${split ? 'split' : 'normal'} mode`, () => {
    it(
      '60 resident credentials and 30 assertions across 5 kill -9s: nothing acknowledged is lost',
      { timeout: 300_000 },
      async () => {
        const seed = Math.floor(Math.random() * 2 ** 31);
        const r = await runSoak({ creds: 60, assertions: 30, kills: 5, split, seed });
        console.log(formatSoakReport(r));
        assert.equal(r.kills, 5);
        assert.equal(r.restarts, 6, 'one restart per kill, and one after the clean stop');
        assert.ok(r.acknowledged >= 60, `${r.acknowledged} acknowledged`);
        assert.ok(r.assertions >= 30, `${r.assertions} assertions`);
        assert.deepEqual(r.lost, []);
        assert.equal(r.found, r.acknowledged);
        assert.equal(r.phantoms, 0);
        assert.deepEqual(r.counterRegressions, []);
        assert.ok(r.countersChecked >= r.assertions + r.acknowledged, 'every credential was asserted at the end');
        assert.equal(r.badSignatures, 0);
        assert.equal(r.pinChecks, 6);
        assert.ok(r.pinChecksBelowMax >= 1, 'some restart followed wrong PINs');
        assert.deepEqual(r.pinViolations, []);
        assert.equal(r.hangs, 0);
        assert.deepEqual(r.errors, []);
        assert.ok(soakPassed(r));
      },
    );
  });
}
