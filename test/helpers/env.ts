/** A deterministic test Env: a clock you advance, a seeded RNG, scripted presence. */
import { createHash } from 'node:crypto';
import type { Clock, Env, PresenceRequest, PresenceResult, Rng, UserPresence } from '../../src/authenticator/env.js';
import { MemoryStore, MemoryVault } from '../../src/store/memoryStore.js';

export class TestClock implements Clock {
  constructor(public t = 1_700_000_000_000) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

/** SHA-256 counter-mode bytes from a seed: reproducible, not for production. */
export class SeededRng implements Rng {
  private counter = 0;
  constructor(private readonly seed = 'softkey-test') {}
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 32) {
      const block = createHash('sha256').update(`${this.seed}:${this.counter++}`).digest();
      out.set(block.subarray(0, Math.min(32, n - i)), i);
    }
    return out;
  }
}

export class ScriptedPresence implements UserPresence {
  readonly requests: PresenceRequest[] = [];
  answer: PresenceResult | 'hang' = 'approved';
  async request(req: PresenceRequest, signal: AbortSignal): Promise<PresenceResult> {
    this.requests.push(req);
    if (this.answer === 'hang') {
      return new Promise((resolve) => signal.addEventListener('abort', () => resolve('timeout'), { once: true }));
    }
    return this.answer;
  }
}

export function testEnv(): Env & {
  clock: TestClock;
  presence: ScriptedPresence;
  store: MemoryStore;
  vault: MemoryVault;
} {
  return {
    clock: new TestClock(),
    rng: new SeededRng(),
    presence: new ScriptedPresence(),
    store: new MemoryStore(),
    vault: new MemoryVault(),
  };
}

export function testContext() {
  const statuses: string[] = [];
  const controller = new AbortController();
  return { signal: controller.signal, setStatus: (s: string) => statuses.push(s), statuses, controller };
}
