/**
 * oneAtATime (main/hidFront.ts), the queue in front of a device's in-process CTAP exchange: one
 * command at a time in arrival order, a command sent while another runs waits for it, and an idle
 * device starts a command at once with the exchange's own answer.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { oneAtATime, type Exchange } from '../../src/main/hidFront.js';

/** An exchange whose commands end when the test says: each call is recorded with its resolvers. */
function manualExchange() {
  const calls: Array<{ request: number; resolve: (r: Uint8Array) => void; reject: (e: Error) => void }> = [];
  const run: Exchange = (request) =>
    new Promise<Uint8Array>((resolve, reject) => calls.push({ request: request[0]!, resolve, reject }));
  return { run, calls };
}

const turns = async (n = 5) => {
  for (let i = 0; i < n; i++) await Promise.resolve();
};

describe('oneAtATime', () => {
  it('an idle device starts the command before cbor() returns and answers with its response', async () => {
    const { run, calls } = manualExchange();
    const cbor = oneAtATime(run);
    const answer = cbor(Uint8Array.of(4));
    assert.deepEqual(
      calls.map((c) => c.request),
      [4],
    );
    calls[0]!.resolve(Uint8Array.of(0, 0xa0));
    assert.deepEqual(await answer, Uint8Array.of(0, 0xa0));
  });

  it('runs commands one at a time in arrival order, also after a rejection', async () => {
    const { run, calls } = manualExchange();
    const cbor = oneAtATime(run);
    const first = cbor(Uint8Array.of(1));
    const second = cbor(Uint8Array.of(2));
    const third = cbor(Uint8Array.of(3));
    await turns();
    assert.deepEqual(
      calls.map((c) => c.request),
      [1],
      'the second waits for the first',
    );
    calls[0]!.reject(new Error('lost'));
    await assert.rejects(first, /lost/);
    await turns();
    assert.deepEqual(
      calls.map((c) => c.request),
      [1, 2],
    );
    calls[1]!.resolve(Uint8Array.of(0x22));
    assert.deepEqual(await second, Uint8Array.of(0x22));
    await turns();
    assert.deepEqual(
      calls.map((c) => c.request),
      [1, 2, 3],
    );
    calls[2]!.resolve(Uint8Array.of(0x33));
    assert.deepEqual(await third, Uint8Array.of(0x33));
    // Idle again: the next command starts at once.
    void cbor(Uint8Array.of(5));
    assert.equal(calls.length, 4);
  });

  it('a command sent from inside a running one waits for it rather than running beside it', async () => {
    const started: number[] = [];
    const ended: number[] = [];
    let cbor: ReturnType<typeof oneAtATime> | undefined;
    let inner: Promise<Uint8Array> | undefined;
    const run: Exchange = async (request) => {
      const n = request[0]!;
      started.push(n);
      if (n === 1) inner = cbor!(Uint8Array.of(2)); // synchronously, while command 1 runs
      await turns();
      ended.push(n);
      return Uint8Array.of(n);
    };
    cbor = oneAtATime(run);
    assert.deepEqual(await cbor(Uint8Array.of(1)), Uint8Array.of(1));
    assert.deepEqual(await inner, Uint8Array.of(2));
    assert.deepEqual(started, [1, 2]);
    assert.deepEqual(ended, [1, 2]);
  });

  it('an exchange that throws synchronously rejects that command only', async () => {
    let calls = 0;
    const cbor = oneAtATime((request) => {
      calls++;
      if (request[0] === 1) throw new Error('at once');
      return Promise.resolve(Uint8Array.of(0));
    });
    await assert.rejects(cbor(Uint8Array.of(1)), /at once/);
    assert.deepEqual(await cbor(Uint8Array.of(2)), Uint8Array.of(0));
    assert.equal(calls, 2);
  });
});
