/**
 * The page shim as page code sees it, in Chromium through attach(): PublicKeyCredential objects that
 * behave like the browser's own (prototypes, ArrayBuffers, getters, toJSON), the statics, errors as
 * DOMExceptions with WebAuthn names, AbortSignal. The page's toJSON() output is verified by
 * @simplewebauthn/server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server';
import type { Page } from 'playwright-core';
import { pageShimScript } from '../../src/bridge/pageShim.js';
import { startBridgeServer, type BridgeServer } from '../../src/bridge/server.js';
import type { BridgeClient } from '../../src/bridge/session.js';
import { openSoftKey, type SoftKey } from '../../src/main/softkey.js';
import { ScriptedPresence } from '../helpers/env.js';
import {
  attachedChromium,
  KEEP_NAMES_SHIM,
  launchChromium,
  pageServer,
  SKIP,
  type AttachedChromium,
} from './engines.js';

describe('page shim in Chromium', { skip: SKIP }, () => {
  let chromium: AttachedChromium;
  let page: Page;
  let key: SoftKey;
  const presence = new ScriptedPresence();
  let site: AttachedChromium['site'];

  before(async () => {
    key = await openSoftKey({ dataDir: ':memory:', presence });
    chromium = await attachedChromium(key);
    ({ page, site } = chromium);
  });
  after(async () => {
    await chromium?.close();
    await key?.close();
  });

  it('create() returns a PublicKeyCredential like the browser’s, and its toJSON() verifies', async () => {
    const r = await page.evaluate(async () => {
      const challenge = crypto.getRandomValues(new Uint8Array(32));
      const cred = (await navigator.credentials.create({
        publicKey: {
          rp: { name: 'Demo', id: 'localhost' },
          user: { id: new Uint8Array([9, 8, 7]), name: 'fred', displayName: 'Fred' },
          challenge,
          pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
          authenticatorSelection: { residentKey: 'required' },
          extensions: { credProps: true },
        },
      })) as PublicKeyCredential;
      const res = cred.response as AuthenticatorAttestationResponse;
      const b64u = (b: ArrayBuffer) =>
        btoa(String.fromCharCode(...new Uint8Array(b)))
          .replace(/\+/g, '-')
          .replace(/\//g, '_')
          .replace(/=+$/, '');
      window.__lastId = cred.rawId;
      return {
        challenge: b64u(challenge.buffer),
        isPkc: cred instanceof PublicKeyCredential,
        isAttestation: res instanceof AuthenticatorAttestationResponse,
        tag: Object.prototype.toString.call(cred),
        rawIdIsBuffer: cred.rawId instanceof ArrayBuffer,
        idMatches: cred.id === b64u(cred.rawId),
        type: cred.type,
        attachment: cred.authenticatorAttachment,
        transports: res.getTransports(),
        alg: res.getPublicKeyAlgorithm(),
        spkiLength: res.getPublicKey()!.byteLength,
        authDataMatches:
          b64u(res.getAuthenticatorData()) ===
          (cred.toJSON() as { response: { authenticatorData: string } }).response.authenticatorData,
        ext: cred.getClientExtensionResults(),
        json: cred.toJSON(),
      };
    });
    assert.deepEqual(
      {
        isPkc: r.isPkc,
        isAttestation: r.isAttestation,
        tag: r.tag,
        rawIdIsBuffer: r.rawIdIsBuffer,
        idMatches: r.idMatches,
        type: r.type,
        alg: r.alg,
        spki: r.spkiLength,
        authData: r.authDataMatches,
      },
      {
        isPkc: true,
        isAttestation: true,
        tag: '[object PublicKeyCredential]',
        rawIdIsBuffer: true,
        idMatches: true,
        type: 'public-key',
        alg: -7,
        spki: 91,
        authData: true,
      },
    );
    assert.equal(r.attachment, 'cross-platform');
    assert.ok(Array.isArray(r.transports));
    assert.deepEqual(r.ext, { credProps: { rk: true } });
    const v = await verifyRegistrationResponse({
      response: r.json as never,
      expectedChallenge: r.challenge,
      expectedOrigin: site.origin,
      expectedRPID: 'localhost',
      requireUserVerification: false,
    });
    assert.equal(v.verified, true);
    credential = v.registrationInfo.credential;
  });

  let credential: { id: string; publicKey: Uint8Array<ArrayBuffer>; counter: number };

  it('get() returns an assertion with userHandle and signature as ArrayBuffers; toJSON() verifies', async () => {
    const r = await page.evaluate(async () => {
      const challenge = crypto.getRandomValues(new Uint8Array(32));
      const cred = (await navigator.credentials.get({
        publicKey: { challenge, rpId: 'localhost' },
      })) as PublicKeyCredential;
      const res = cred.response as AuthenticatorAssertionResponse;
      const b64u = (b: ArrayBuffer) =>
        btoa(String.fromCharCode(...new Uint8Array(b)))
          .replace(/\+/g, '-')
          .replace(/\//g, '_')
          .replace(/=+$/, '');
      return {
        challenge: b64u(challenge.buffer),
        isAssertion: res instanceof AuthenticatorAssertionResponse,
        userHandle: [...new Uint8Array(res.userHandle!)],
        signatureIsBuffer: res.signature instanceof ArrayBuffer,
        json: cred.toJSON(),
      };
    });
    assert.equal(r.isAssertion, true);
    assert.deepEqual(r.userHandle, [9, 8, 7]);
    assert.equal(r.signatureIsBuffer, true);
    const v = await verifyAuthenticationResponse({
      response: r.json as never,
      expectedChallenge: r.challenge,
      expectedOrigin: site.origin,
      expectedRPID: 'localhost',
      credential,
      requireUserVerification: false,
    });
    assert.equal(v.verified, true);
    assert.ok(v.authenticationInfo.newCounter > 0);
  });

  it('prf: create and get give the same 32-byte ArrayBuffer for the same salt', async () => {
    const r = await page.evaluate(async () => {
      const salt = new Uint8Array(32).fill(1);
      const b64 = (b: ArrayBuffer) => btoa(String.fromCharCode(...new Uint8Array(b)));
      const made = (await navigator.credentials.create({
        publicKey: {
          rp: { name: 'Demo', id: 'localhost' },
          user: { id: new Uint8Array([5]), name: 'p', displayName: 'P' },
          challenge: new Uint8Array(32),
          pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
          extensions: { prf: { eval: { first: salt } } },
        },
      })) as PublicKeyCredential;
      const got = (await navigator.credentials.get({
        publicKey: {
          challenge: new Uint8Array(32),
          rpId: 'localhost',
          allowCredentials: [{ type: 'public-key', id: made.rawId }],
          extensions: { prf: { eval: { first: salt } } },
        },
      })) as PublicKeyCredential;
      type Prf = { prf?: { enabled?: boolean; results?: { first: ArrayBuffer } } };
      const c = (made.getClientExtensionResults() as Prf).prf;
      const g = (got.getClientExtensionResults() as Prf).prf;
      return {
        enabled: c?.enabled,
        buffers: c?.results?.first instanceof ArrayBuffer && g?.results?.first instanceof ArrayBuffer,
        length: g?.results?.first.byteLength,
        same: b64(c!.results!.first) === b64(g!.results!.first),
      };
    });
    assert.deepEqual(r, { enabled: true, buffers: true, length: 32, same: true });
  });

  it('statics: no platform authenticator, conditional mediation, capabilities, parse…FromJSON', async () => {
    const r = await page.evaluate(async () => {
      const creation = PublicKeyCredential.parseCreationOptionsFromJSON({
        rp: { name: 'x' },
        user: { id: 'AQID', name: 'a', displayName: 'A' },
        challenge: 'AAAAAAAAAAAAAAAAAAAAAA',
        pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
        excludeCredentials: [{ type: 'public-key', id: 'BAUG' }],
      });
      let bad = '';
      try {
        PublicKeyCredential.parseRequestOptionsFromJSON({ challenge: '***' });
      } catch (e) {
        bad = `${(e as DOMException).name}:${e instanceof DOMException}`;
      }
      const caps = await PublicKeyCredential.getClientCapabilities();
      return {
        uvpa: await PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable(),
        cma: await PublicKeyCredential.isConditionalMediationAvailable(),
        prf: caps['extension:prf'],
        userId: [...new Uint8Array(creation.user.id as ArrayBuffer)],
        challengeBytes: (creation.challenge as ArrayBuffer).byteLength,
        excludeId: [...new Uint8Array(creation.excludeCredentials![0]!.id as ArrayBuffer)],
        bad,
      };
    });
    // Conditional mediation is softkey's passkey autofill (client.autofill): available.
    assert.deepEqual(r, {
      uvpa: false,
      cma: true,
      prf: true,
      userId: [1, 2, 3],
      challengeBytes: 16,
      excludeId: [4, 5, 6],
      bad: 'EncodingError:true',
    });
  });

  it('errors are DOMExceptions with WebAuthn names (TypeError for a non-BufferSource challenge)', async () => {
    const r = await page.evaluate(async () => {
      const run = async (publicKey: PublicKeyCredentialCreationOptions) => {
        try {
          await navigator.credentials.create({ publicKey });
          return 'ok';
        } catch (e) {
          return `${(e as Error).name}:${e instanceof DOMException ? 'DOMException' : (e as Error).constructor.name}`;
        }
      };
      const base = {
        rp: { name: 'Demo', id: 'localhost' },
        user: { id: new Uint8Array([1]), name: 'a', displayName: 'A' },
        challenge: new Uint8Array(32),
        pubKeyCredParams: [{ type: 'public-key' as const, alg: -7 }],
      };
      return {
        foreignRp: await run({ ...base, rp: { name: 'Bank', id: 'bank.example' } }),
        excluded: await run({
          ...base,
          excludeCredentials: [{ type: 'public-key', id: window.__lastId as ArrayBuffer }],
        }),
        stringChallenge: await run({ ...base, challenge: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAA' as never }),
        shortChallenge: await run({ ...base, challenge: new Uint8Array(4) }),
        badAlg: await run({ ...base, pubKeyCredParams: [{ type: 'public-key', alg: -65535 }] }),
      };
    }, undefined);
    assert.deepEqual(r, {
      foreignRp: 'SecurityError:DOMException',
      excluded: 'InvalidStateError:DOMException',
      stringChallenge: 'TypeError:TypeError',
      shortChallenge: 'TypeError:TypeError',
      badAlg: 'NotSupportedError:DOMException',
    });
  });

  it('AbortSignal: an aborted signal rejects at once, an abort while waiting for the user cancels', async () => {
    presence.answer = 'hang';
    try {
      const r = await page.evaluate(async () => {
        const options = (signal: AbortSignal) => ({
          publicKey: {
            rp: { name: 'Demo', id: 'localhost' },
            user: { id: new Uint8Array([2]), name: 'b', displayName: 'B' },
            challenge: new Uint8Array(32),
            pubKeyCredParams: [{ type: 'public-key' as const, alg: -7 }],
          },
          signal,
        });
        const name = (p: Promise<unknown>) =>
          p.then(
            () => 'ok',
            (e: Error) => `${e.name}:${e.message}`,
          );
        const pre = await name(
          navigator.credentials.create(options(AbortSignal.abort(new DOMException('early', 'AbortError')))),
        );
        const controller = new AbortController();
        const pending = name(navigator.credentials.create(options(controller.signal)));
        await new Promise((resolve) => setTimeout(resolve, 300));
        controller.abort(new DOMException('user left', 'AbortError'));
        return { pre, during: await pending };
      });
      assert.deepEqual(r, { pre: 'AbortError:early', during: 'AbortError:user left' });
    } finally {
      presence.answer = 'approved';
    }
  });
});

declare global {
  interface Window {
    __lastId?: ArrayBuffer;
  }
}

describe('page shim: a binding that rejects, and installing the shim again', { skip: SKIP }, () => {
  let chromium: AttachedChromium;
  let key: SoftKey;
  let page: Page;
  const calls: Record<string, number> = { A: 0, B: 0 };

  before(async () => {
    key = await openSoftKey({ dataDir: ':memory:' });
    chromium = await attachedChromium(key);
    const context = await chromium.browser.newContext();
    await context.addInitScript({ content: KEEP_NAMES_SHIM });
    // Bridges of the test's own: A and B answer with their name; "throws" rejects as a Node handler can.
    for (const name of ['A', 'B'])
      await context.exposeBinding(`__bridge${name}`, (_source, m: { id: string }) => {
        calls[name]!++;
        return { id: m.id, ok: false, error: { name: 'NotAllowedError', message: `answered by ${name}` } };
      });
    await context.exposeBinding('__bridgeThrows', (_source, m: { options: { challenge: string } }) => {
      if (m.options.challenge === 'AQ')
        throw Object.assign(new Error('request r9 is already running'), { name: 'InvalidStateError' });
      throw new Error('boom');
    });
    page = await context.newPage();
    await page.goto(chromium.site.origin);
  });
  after(async () => {
    await chromium?.close();
    await key?.close();
  });

  const install = (name: string) => page.evaluate(pageShimScript({ kind: 'binding', name: `__bridge${name}` }));
  const getOutcome = (challenge: number[]) =>
    page.evaluate(
      (c) =>
        navigator.credentials.get({ publicKey: { challenge: new Uint8Array(c) } }).then(
          () => 'resolved',
          (e: Error) => `${e instanceof DOMException ? 'DOMException' : e.constructor.name} ${e.name}: ${e.message}`,
        ),
      challenge,
    );

  it('a binding rejection keeps its DOMException name and message; anything else is NotAllowedError, explained', async () => {
    await install('Throws');
    assert.equal(await getOutcome([1]), 'DOMException InvalidStateError: request r9 is already running');
    assert.equal(await getOutcome([2]), 'DOMException NotAllowedError: the softkey bridge failed: boom');
  });

  it('installing again re-configures the window (the latest channel wins), wraps once, and the marker holds', async () => {
    const identity = () =>
      page.evaluate(() => {
        const w = window as unknown as { __firstGet?: unknown };
        w.__firstGet ??= navigator.credentials.get;
        return w.__firstGet === navigator.credentials.get;
      });
    assert.equal(await identity(), true);
    await install('A');
    await install('A');
    assert.match(await getOutcome([3]), /answered by A$/);
    await install('B');
    assert.match(await getOutcome([4]), /answered by B$/);
    assert.deepEqual(calls, { A: 1, B: 1 }, 'one bridge call per get: navigator.credentials is wrapped once');
    assert.equal(await identity(), true, 'the same wrapper as the first install');
    const marker = await page.evaluate(() => {
      const w = window as unknown as Record<string | symbol, unknown>;
      const key = Symbol.for('softkey.pageShim');
      let replaced = 'no';
      try {
        w[key] = { configure: () => undefined };
        w.__softkeyShimInstalled = false;
      } catch {
        replaced = 'threw';
      }
      // Non-WebAuthn requests still reach the browser's own get(), not the shim again (no recursion).
      const native = navigator.credentials.get({ mediation: 'silent' } as CredentialRequestOptions).then(
        () => 'resolved',
        (e: Error) => e.name,
      );
      return Promise.all([native]).then(([n]) => ({
        replaced,
        stillInstalled: w.__softkeyShimInstalled,
        deleted: delete w[key],
        native: n,
      }));
    });
    assert.deepEqual(
      { stillInstalled: marker.stillInstalled, deleted: marker.deleted },
      { stillInstalled: true, deleted: false },
    );
    assert.notEqual(marker.native, 'RangeError', 'the native get is not the shim');
  });
});

describe(
  'page shim over a WebSocket: the bridge URL stays hidden; a re-configured shim uses its new connection',
  {
    skip: SKIP,
  },
  () => {
    let key: SoftKey;
    let site: Awaited<ReturnType<typeof pageServer>>;
    let browser: Awaited<ReturnType<typeof launchChromium>>;
    let page: Page;
    const bridges: BridgeServer[] = [];
    const served: Record<string, number> = { A: 0, B: 0 };

    before(async () => {
      key = await openSoftKey({ dataDir: ':memory:' });
      site = await pageServer();
      for (const name of ['A', 'B']) {
        const counting: BridgeClient = {
          create: (o, c) => (served[name]!++, key.client.create(o, c)),
          get: (o, c) => (served[name]!++, key.client.get(o, c)),
        };
        bridges.push(
          await startBridgeServer({
            client: counting,
            token: `shim-test-token-${name}-0123456789`,
            port: 0,
            allowedOrigins: [site.origin],
          }),
        );
      }
      browser = await launchChromium();
      const context = await browser.newContext();
      await context.addInitScript({ content: KEEP_NAMES_SHIM });
      await context.addInitScript({ content: bridges[0]!.shimScript() });
      page = await context.newPage();
      await page.goto(site.origin);
    });
    after(async () => {
      await browser?.close();
      for (const b of bridges) await b.close();
      await site?.close();
      await key?.close();
    });

    const create = () =>
      navigator.credentials
        .create({
          publicKey: {
            rp: { name: 'Demo', id: 'localhost' },
            user: { id: new Uint8Array([5]), name: 'w', displayName: 'W' },
            challenge: new Uint8Array(32),
            pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
          },
        })
        .then(
          (c) => (c instanceof PublicKeyCredential ? 'ok' : 'not a PublicKeyCredential'),
          (e: Error) => `${e.name}: ${e.message}`,
        );

    it('page script that wraps WebSocket, send, addEventListener and MessageEvent.data never sees the token', async () => {
      const r = await page.evaluate(async (run) => {
        const seen: string[] = [];
        const Native = WebSocket;
        const wrapped = function (this: unknown, url: string | URL, protocols?: string | string[]) {
          seen.push(`new ${String(url)}`);
          return new Native(url, protocols);
        } as unknown as typeof WebSocket;
        wrapped.prototype = Native.prototype;
        window.WebSocket = wrapped;
        const send = Native.prototype.send;
        Native.prototype.send = function (this: WebSocket, d) {
          seen.push(`send ${this.url}`);
          send.call(this, d);
        };
        const listen = EventTarget.prototype.addEventListener;
        EventTarget.prototype.addEventListener = function (this: EventTarget, ...a: Parameters<typeof listen>) {
          if (this instanceof Native) seen.push(`listen ${this.url}`);
          listen.apply(this, a);
        };
        const data = Object.getOwnPropertyDescriptor(MessageEvent.prototype, 'data')!.get!;
        Object.defineProperty(MessageEvent.prototype, 'data', {
          configurable: true,
          get(this: MessageEvent) {
            if (this.target instanceof Native) seen.push(`data ${this.target.url}`);
            return data.call(this) as unknown;
          },
        });
        const outcome = await (0, eval)(`(${run})()`);
        return { outcome: outcome as string, seen };
      }, create.toString());
      assert.deepEqual(r, { outcome: 'ok', seen: [] });
    });

    it('a request made right after re-configuring is answered on the new connection, not failed by the old', async () => {
      const before = { ...served };
      const outcome = await page.evaluate(
        async ([script, run]) => {
          (0, eval)(script!);
          return (await (0, eval)(`(${run})()`)) as string;
        },
        [bridges[1]!.shimScript(), create.toString()],
      );
      assert.equal(outcome, 'ok');
      assert.deepEqual({ A: served.A! - before.A!, B: served.B! - before.B! }, { A: 0, B: 1 });
    });
  },
);
