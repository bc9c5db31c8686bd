import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CtapHidDevice } from '../../src/ctaphid/channels.js';
import {
  BROADCAST_CID,
  CtapHidCommand as C,
  CtapHidError,
  CtapHidErrorCode as E,
  KeepaliveStatusCode,
} from '../../src/ctaphid/constants.js';
import { fragment } from '../../src/ctaphid/fragmenter.js';
import type { MessageHandler, TransactionContext } from '../../src/ctaphid/handler.js';
import {
  BUSY_FIRST_DELAY_MS,
  BUSY_MAX_DELAY_MS,
  CtapHidHost,
  type HidReportPipe,
} from '../../src/ctaphid/hostDevice.js';
import { concat, readU32be, u32be } from '../../src/encoding/bytes.js';
import { echoHandler, FakeScheduler, flush, seededRng } from './fakes.js';

const bytes = (...b: number[]) => new Uint8Array(b);
const isCode = (code: number) => (e: unknown) => e instanceof CtapHidError && e.code === code;

/** A device and a host in one process; reports cross in both directions asynchronously. */
function pair(handler: MessageHandler = echoHandler, hostOptions: { reinitOnInvalidChannel?: boolean } = {}) {
  const scheduler = new FakeScheduler();
  const toHost = new Set<(r: Uint8Array) => void>();
  const sentByHost: Uint8Array[] = [];
  const device = new CtapHidDevice({
    handler,
    send: (report) => queueMicrotask(() => toHost.forEach((cb) => cb(report))),
    scheduler,
    rng: seededRng(11),
    deviceVersion: [2, 0, 7],
  });
  const pipe: HidReportPipe = {
    send: (report) => {
      sentByHost.push(report);
      queueMicrotask(() => device.receive(report));
    },
    onReport: (cb) => toHost.add(cb),
  };
  const host = new CtapHidHost(pipe, { rng: seededRng(12), ...hostOptions });
  return { device, host, scheduler, sentByHost };
}

describe('CtapHidHost ↔ CtapHidDevice in process', () => {
  it('init records the channel, version and capabilities', async () => {
    const { host } = pair();
    const info = await host.init();
    assert.equal(host.cid, info.cid);
    assert.ok(info.cid !== 0 && info.cid !== BROADCAST_CID);
    assert.deepEqual(
      { protocolVersion: info.protocolVersion, deviceVersion: info.deviceVersion, capabilities: info.capabilities },
      { protocolVersion: 2, deviceVersion: [2, 0, 7], capabilities: 0x05 },
    );
  });

  it('ping, cbor and msg round-trip payloads of every size', async () => {
    const { host } = pair();
    await host.init();
    for (const n of [0, 1, 57, 58, 500, 7609]) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i ^ n) & 0xff);
      assert.deepEqual(await host.ping(data), data);
    }
    assert.deepEqual(await host.cbor(bytes(0x04)), bytes(0x04));
    assert.deepEqual(await host.msg(bytes(0, 3, 0, 0)), bytes(0, 3, 0, 0));
  });

  it('initialises on first use and queues concurrent calls', async () => {
    const { host } = pair();
    const results = await Promise.all([host.ping(bytes(1)), host.ping(bytes(2)), host.cbor(bytes(3))]);
    assert.deepEqual(results, [bytes(1), bytes(2), bytes(3)]);
    assert.notEqual(host.cid, undefined);
  });

  it('wink reaches the handler; lock(11) is rejected by the device with INVALID_PAR', async () => {
    let winks = 0;
    const { host } = pair({ ...echoHandler, wink: () => void winks++ });
    await host.wink();
    assert.equal(winks, 1);
    await host.lock(2);
    await assert.rejects(host.lock(11), isCode(E.ERR_INVALID_PAR));
    await host.lock(0);
  });

  it('device errors reject with CtapHidError', async () => {
    const { host } = pair();
    await assert.rejects(host.msg(new Uint8Array(0)), isCode(E.ERR_INVALID_LEN));
    await assert.rejects(host.ping(new Uint8Array(7610)), isCode(E.ERR_INVALID_LEN)); // refused before sending
  });

  it('reports keepalives and cancels through the AbortSignal', async () => {
    let seen: TransactionContext | undefined;
    const handler: MessageHandler = {
      ...echoHandler,
      cbor: (_request, ctx) => {
        seen = ctx;
        ctx.setStatus('upneeded');
        return new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve(bytes(0x2d))));
      },
    };
    const { host, scheduler, sentByHost } = pair(handler);
    await host.init();
    const statuses: number[] = [];
    const controller = new AbortController();
    const answer = host.cbor(bytes(0x01, 0xa0), {
      onKeepalive: (status) => {
        statuses.push(status);
        if (statuses.length === 2) controller.abort();
      },
      signal: controller.signal,
    });
    await flush();
    scheduler.advance(100);
    await flush();
    scheduler.advance(100);
    await flush();
    assert.deepEqual(await answer, bytes(0x2d)); // CTAP2_ERR_KEEPALIVE_CANCEL from the handler
    assert.deepEqual(statuses, [KeepaliveStatusCode.STATUS_UPNEEDED, KeepaliveStatusCode.STATUS_UPNEEDED]);
    assert.equal(seen!.signal.aborted, true);
    assert.equal(sentByHost.at(-1)![4], 0x80 | C.CTAPHID_CANCEL);
  });

  it('an already aborted signal rejects without sending anything', async () => {
    const { host, sentByHost } = pair();
    await host.init();
    const before = sentByHost.length;
    await assert.rejects(host.cbor(bytes(4), { signal: AbortSignal.abort() }), { name: 'AbortError' });
    assert.equal(sentByHost.length, before);
  });

  it('re-initialises after the device forgot its channel (power cycle)', async () => {
    const { host, device } = pair();
    const first = (await host.init()).cid;
    device.powerCycle();
    assert.deepEqual(await host.ping(bytes(5)), bytes(5));
    assert.notEqual(host.cid, first);

    const strict = pair(echoHandler, { reinitOnInvalidChannel: false });
    await strict.host.init();
    strict.device.powerCycle();
    await assert.rejects(strict.host.ping(bytes(5)), isCode(E.ERR_INVALID_CHANNEL));
  });
});

describe('CtapHidHost against scripted devices', () => {
  it('ignores INIT answers carrying another nonce', async () => {
    let onReport: (r: Uint8Array) => void = () => {};
    const pipe: HidReportPipe = {
      send: (report) => {
        const nonce = report.slice(7, 15);
        const answer = (n: Uint8Array, cid: number) =>
          fragment(BROADCAST_CID, C.CTAPHID_INIT, concat(n, u32be(cid), bytes(2, 9, 9, 9, 0x0d)))[0]!;
        queueMicrotask(() => {
          onReport(answer(new Uint8Array(8).fill(0xee), 0x01010101)); // someone else's
          onReport(answer(nonce, 0x02020202));
        });
      },
      onReport: (cb) => (onReport = cb),
    };
    const host = new CtapHidHost(pipe, { rng: seededRng(1) });
    const info = await host.init();
    assert.equal(info.cid, 0x02020202);
    assert.equal(info.capabilities, 0x0d);
    assert.deepEqual(info.deviceVersion, [9, 9, 9]);
  });

  it('times out with ERR_MSG_TIMEOUT when the device stays silent', async () => {
    const scheduler = new FakeScheduler();
    const host = new CtapHidHost(
      { send: () => {}, onReport: () => {} },
      { rng: seededRng(1), scheduler, timeoutMs: 1000 },
    );
    const pending = host.init();
    await flush();
    scheduler.advance(1000);
    await assert.rejects(pending, isCode(E.ERR_MSG_TIMEOUT));
    assert.equal(scheduler.pendingTimers, 0);
  });

  it('answers on other channels do not disturb ours', async () => {
    let onReport: (r: Uint8Array) => void = () => {};
    const ours = 0x0a0b0c0d;
    const pipe: HidReportPipe = {
      send: (report) => {
        const cid = readU32be(report, 0);
        queueMicrotask(() => {
          if (cid === BROADCAST_CID) {
            onReport(
              fragment(
                BROADCAST_CID,
                C.CTAPHID_INIT,
                concat(report.slice(7, 15), u32be(ours), bytes(2, 1, 0, 0, 5)),
              )[0]!,
            );
            return;
          }
          onReport(fragment(0x99999999, C.CTAPHID_ERROR, bytes(E.ERR_OTHER))[0]!);
          for (const r of fragment(ours, C.CTAPHID_PING, new Uint8Array(100).fill(7))) onReport(r);
        });
      },
      onReport: (cb) => (onReport = cb),
    };
    const host = new CtapHidHost(pipe, { rng: seededRng(2) });
    assert.deepEqual(await host.ping(new Uint8Array(100).fill(7)), new Uint8Array(100).fill(7));
  });
});

describe('CtapHidHost: ERR_CHANNEL_BUSY', () => {
  /** One device, two hosts (two programs on one USB key), one fake clock for all three. */
  function twoHosts(busyTimeoutMs?: number) {
    const scheduler = new FakeScheduler();
    const listeners = new Set<(r: Uint8Array) => void>();
    const busyAnswers: number[] = [];
    const device = new CtapHidDevice({
      handler: echoHandler,
      send: (report) => {
        if (report[4] === (0x80 | C.CTAPHID_ERROR) && report[7] === E.ERR_CHANNEL_BUSY)
          busyAnswers.push(readU32be(report, 0));
        queueMicrotask(() => listeners.forEach((cb) => cb(report)));
      },
      scheduler,
      rng: seededRng(21),
      deviceVersion: [2, 0, 7],
    });
    const host = (seed: number) =>
      new CtapHidHost(
        { send: (report) => queueMicrotask(() => device.receive(report)), onReport: (cb) => listeners.add(cb) },
        { rng: seededRng(seed), scheduler, ...(busyTimeoutMs !== undefined && { busyTimeoutMs }) },
      );
    return { scheduler, busyAnswers, a: host(31), b: host(32) };
  }

  /** Advances the fake clock in 5 ms steps until `p` settles (or `limitMs` passed); the time it took. */
  async function settle(scheduler: FakeScheduler, p: Promise<unknown>, limitMs: number): Promise<number> {
    let done = false;
    p.then(
      () => (done = true),
      () => (done = true),
    );
    const start = scheduler.now();
    for (await flush(); !done && scheduler.now() - start < limitMs; await flush()) scheduler.advance(5);
    return scheduler.now() - start;
  }

  it('retries with a backoff while another channel holds the lock, and succeeds once it is released', async () => {
    const { scheduler, busyAnswers, a, b } = twoHosts();
    await a.init();
    await b.init();
    await a.lock(2); // CTAPHID_LOCK for 2 s (§11.2.9.2.4)
    const answer = b.ping(bytes(9, 9));
    const took = await settle(scheduler, answer, 5000);
    assert.deepEqual(await answer, bytes(9, 9));
    assert.ok(took >= 2000, `answered after the lock ran out (${took} ms)`);
    const busy = busyAnswers.filter((cid) => cid === b.cid).length;
    assert.ok(busy >= 2, `the device said busy ${busy} times and the host kept asking`);
    // Backoff doubles from BUSY_FIRST_DELAY_MS: 2 s of lock takes about log2(2000/10) + 1 tries, not 200.
    assert.ok(busy <= Math.ceil(Math.log2(2000 / BUSY_FIRST_DELAY_MS)) + 2, `${busy} retries`);
  });

  it('gives up with ERR_CHANNEL_BUSY once the backoff bound is spent', async () => {
    const { scheduler, busyAnswers, a, b } = twoHosts(500);
    await a.init();
    await b.init();
    await a.lock(10);
    const answer = b.ping(bytes(1));
    const took = await settle(scheduler, answer, 5000);
    await assert.rejects(
      answer,
      (e: unknown) => isCode(E.ERR_CHANNEL_BUSY)(e) && /stayed busy .* retries over \d+ ms/.test((e as Error).message),
    );
    assert.ok(took <= 500 + 10, `gave up within the bound (${took} ms)`);
    // Delays 10, 20, 40, 80, 160 fit in 500 ms; 320 more would not: 1 try + 5 retries.
    let retries = 0;
    for (
      let waited = 0, d = BUSY_FIRST_DELAY_MS;
      waited + d <= 500;
      waited += d, d = Math.min(2 * d, BUSY_MAX_DELAY_MS)
    )
      retries++;
    assert.equal(busyAnswers.filter((cid) => cid === b.cid).length, 1 + retries);

    const { a: a2, b: noRetry, busyAnswers: once } = twoHosts(0);
    await a2.lock(1);
    await noRetry.init();
    await assert.rejects(noRetry.ping(bytes(1)), isCode(E.ERR_CHANNEL_BUSY));
    assert.equal(once.length, 1, 'busyTimeoutMs 0: no retry');
  });
});
