/**
 * Chromium, Firefox and WebKit, the same tests in each: the unchanged demo relying party registers and
 * signs in through softkey, and one WebAuthn L3 surface test (§5.1.3 create, §5.1.4 get, discoverable
 * get, excludeCredentials → InvalidStateError, AbortSignal, timeout, foreign rpId → SecurityError,
 * toJSON, getAuthenticatorData / getPublicKey / getPublicKeyAlgorithm / getTransports,
 * instanceof, client extension results). Page code is the same text in every engine; toJSON() output
 * is verified by @simplewebauthn/server, the RP's verdict is read from its database.
 *
 * Where engines differ, ENGINE_NOTES says so (and the README's browser table shows it).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server';
import { openSoftKey, type SoftKey } from '../../src/main/softkey.js';
import { createDemoServer } from '../../src/rp-demo/server.js';
import { ScriptedPresence } from '../helpers/env.js';
import { ENGINES, openEngine, pageServer, skip, type EngineName, type EnginePage } from './engines.js';

/** How each engine provides WebAuthn to the page; the shim fills what the engine lacks. */
export const ENGINE_NOTES: Record<
  EngineName,
  { nativeWebAuthn: boolean; channel: string; crossOriginFrames: boolean }
> = {
  chromium: { nativeWebAuthn: true, channel: 'Playwright binding (attach)', crossOriginFrames: true },
  firefox: { nativeWebAuthn: true, channel: 'WebSocket bridge (softkey/puppeteer attach)', crossOriginFrames: true },
  webkit: { nativeWebAuthn: false, channel: 'shim proxy + WebSocket bridge', crossOriginFrames: true },
};

async function until<T>(what: string, probe: () => Promise<T | undefined | null>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined && v !== null) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The page's #status once it reads success or error. */
const statusOf = (page: EnginePage) =>
  until('the demo status', () =>
    page.run(() => {
      const s = document.querySelector('#status');
      const state = s?.getAttribute('data-state');
      return state === 'success' || state === 'error' ? { state, text: s!.textContent ?? '' } : undefined;
    }),
  );

const fillAndSubmit = (page: EnginePage, form: { username: string; button: string; attestation?: string }) =>
  page.run((f) => {
    (document.querySelector('#username') as HTMLInputElement).value = f.username;
    const att = document.querySelector('#attestation') as HTMLSelectElement | null;
    if (att && f.attestation) att.value = f.attestation;
    setTimeout(() => (document.querySelector(f.button) as HTMLButtonElement).click(), 0);
    return true;
  }, form);

/**
 * A page that runs create(), or get() of the credential id it is given, when its embedder posts
 * { op, rawId? }, and posts back { outcome: 'ok', clientData, rawId } or { outcome: <the error's name> }.
 */
const FRAMED_PAGE = `<!doctype html><title>framed</title><script>
addEventListener('message', function (e) {
  if (!e.data || typeof e.data.op !== 'string') return;
  if (e.data.op === 'direct') {
    // Past the shim: this frame's own WebSocket to the bridge (as if its token had leaked), the
    // messages sent one after another; the replies (or how the socket ended) posted back.
    var replies = [];
    var ws = new WebSocket(e.data.url);
    var next = function () {
      if (replies.length === e.data.messages.length) { ws.close(); e.source.postMessage({ replies: replies }, '*'); }
      else ws.send(JSON.stringify(e.data.messages[replies.length]));
    };
    ws.onopen = next;
    ws.onmessage = function (m) { replies.push(JSON.parse(m.data)); next(); };
    ws.onclose = function (c) { if (replies.length < e.data.messages.length) e.source.postMessage({ replies: replies, closed: c.code }, '*'); };
    return;
  }
  var b64u = function (b) { return btoa(String.fromCharCode.apply(null, new Uint8Array(b))).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, ''); };
  var done = function (c) { e.source.postMessage({ outcome: 'ok', clientData: new TextDecoder().decode(c.response.clientDataJSON), rawId: b64u(c.rawId) }, '*'); };
  var failed = function (err) { e.source.postMessage({ outcome: err.name + ': ' + err.message }, '*'); };
  if (e.data.op === 'get') {
    var raw = atob(e.data.rawId.replace(/-/g, '+').replace(/_/g, '/'));
    var id = Uint8Array.from(raw, function (ch) { return ch.charCodeAt(0); });
    navigator.credentials.get({ publicKey: { challenge: new Uint8Array(32), rpId: location.hostname,
      allowCredentials: [{ type: 'public-key', id: id }] } }).then(done, failed);
    return;
  }
  navigator.credentials.create({ publicKey: { rp: { name: 'F', id: location.hostname }, user: { id: new Uint8Array([3]), name: 'f', displayName: 'F' },
    challenge: new Uint8Array(32), pubKeyCredParams: [{ type: 'public-key', alg: -7 }] } }).then(done, failed);
});
</script>`;

for (const engine of ENGINES) {
  describe(`${engine}: softkey behind navigator.credentials`, { skip: skip(engine) }, () => {
    const presence = new ScriptedPresence();
    let key: SoftKey;
    let page: EnginePage;
    let demo: Awaited<ReturnType<typeof createDemoServer>>;
    let site: Awaited<ReturnType<typeof pageServer>>;
    let framed: Awaited<ReturnType<typeof pageServer>>;

    before(async () => {
      key = await openSoftKey({ dataDir: ':memory:', presence });
      // key.client takes the RP's timeout as given (TESTING_TIMEOUTS), as Chromium's testing API does.
      const client = key.client;
      demo = await createDemoServer({ port: 0, dbPath: ':memory:' });
      site = await pageServer();
      framed = await pageServer(FRAMED_PAGE);
      const other = framed.origin.replace('localhost', '127.0.0.1');
      page = await openEngine(engine, { key, client, origins: [demo.origin, site.origin, other] });
    });
    after(async () => {
      await page?.close();
      await demo?.close();
      await site?.close();
      await framed?.close();
      await key?.close();
    });

    it('the demo RP registers and signs in (named, then discoverable); its database agrees', async () => {
      await page.goto(demo.url);
      await fillAndSubmit(page, { username: `Ada ${engine}`, button: '#register', attestation: 'none' });
      const reg = await until('the credential page', async () => {
        const u = await page.url();
        if (/\/credentials\/[^/]+$/.test(u)) return { url: u, error: '' };
        const error = await page.run(() => document.querySelector('#status[data-state=error]')?.textContent ?? null);
        return error ? { url: '', error } : undefined;
      });
      assert.ok(reg.url, `registration failed: ${reg.error}`);
      const url = reg.url;
      const id = decodeURIComponent(url.split('/').pop()!);
      const stored = demo.db.credential(id);
      assert.ok(stored, 'the RP stored the credential');
      assert.deepEqual({ alg: stored.alg, fmt: stored.fmt }, { alg: -7, fmt: 'none' });

      await page.goto(new URL('/login', demo.url).href);
      await fillAndSubmit(page, { username: `Ada ${engine}`, button: '#login' });
      const first = await statusOf(page);
      assert.equal(first.state, 'success', first.text);
      assert.match(first.text, new RegExp(`Signed in as Ada ${engine}`));
      await page.goto(new URL('/login', demo.url).href);
      await fillAndSubmit(page, { username: '', button: '#login' });
      const second = await statusOf(page);
      assert.equal(second.state, 'success', second.text);
      const now = demo.db.credential(id)!;
      assert.equal(now.loginCount, 2);
      assert.ok(now.counter > stored.counter, `counter ${stored.counter} → ${now.counter}`);
    });

    let credential: { id: string; publicKey: Uint8Array<ArrayBuffer>; counter: number };

    it('create(): a PublicKeyCredential with the L3 response methods; toJSON() verifies', async () => {
      await page.goto(site.origin);
      const r = await page.run(async () => {
        const b64u = (b: ArrayBuffer) =>
          btoa(String.fromCharCode(...new Uint8Array(b)))
            .replace(/\+/g, '-')
            .replace(/\//g, '_')
            .replace(/=+$/, '');
        const challenge = crypto.getRandomValues(new Uint8Array(32));
        const cred = (await navigator.credentials.create({
          publicKey: {
            rp: { name: 'Surface', id: 'localhost' },
            user: { id: new Uint8Array([9, 8, 7]), name: 'surface', displayName: 'Surface' },
            challenge,
            pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
            authenticatorSelection: { residentKey: 'required', userVerification: 'discouraged' },
            extensions: { credProps: true, prf: {} },
          },
        })) as PublicKeyCredential;
        const res = cred.response as AuthenticatorAttestationResponse;
        const json = cred.toJSON() as { response: { authenticatorData: string; publicKey: string } };
        (window as unknown as { __rawId: string }).__rawId = b64u(cred.rawId);
        return {
          challenge: b64u(challenge.buffer),
          checks: {
            isPkc: cred instanceof PublicKeyCredential,
            isCredential: cred instanceof Credential,
            isAttestation: res instanceof AuthenticatorAttestationResponse,
            isResponse: res instanceof AuthenticatorResponse,
            tag: Object.prototype.toString.call(cred),
            rawIdIsBuffer: cred.rawId instanceof ArrayBuffer,
            idMatches: cred.id === b64u(cred.rawId),
            type: cred.type,
            attachment: cred.authenticatorAttachment,
            transportsIsArray: Array.isArray(res.getTransports()),
            alg: res.getPublicKeyAlgorithm(),
            spkiLength: res.getPublicKey()!.byteLength,
            publicKeyMatchesJSON: b64u(res.getPublicKey()!) === json.response.publicKey,
            authDataMatchesJSON: b64u(res.getAuthenticatorData()) === json.response.authenticatorData,
            ext: JSON.parse(JSON.stringify(cred.getClientExtensionResults())),
          },
          json,
        };
      });
      assert.deepEqual(r.checks, {
        isPkc: true,
        isCredential: true,
        isAttestation: true,
        isResponse: true,
        tag: '[object PublicKeyCredential]',
        rawIdIsBuffer: true,
        idMatches: true,
        type: 'public-key',
        attachment: 'cross-platform',
        transportsIsArray: true,
        alg: -7,
        spkiLength: 91,
        publicKeyMatchesJSON: true,
        authDataMatchesJSON: true,
        ext: { credProps: { rk: true }, prf: { enabled: true } },
      });
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

    it('get() with allowCredentials and discoverable get(): assertions that verify; prf results are ArrayBuffers', async () => {
      const r = await page.run(async () => {
        const b64u = (b: ArrayBuffer) =>
          btoa(String.fromCharCode(...new Uint8Array(b)))
            .replace(/\+/g, '-')
            .replace(/\//g, '_')
            .replace(/=+$/, '');
        const raw = (window as unknown as { __rawId: string }).__rawId;
        const rawBytes = Uint8Array.from(atob(raw.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
        const out = [];
        for (const allow of [true, false]) {
          const challenge = crypto.getRandomValues(new Uint8Array(32));
          const cred = (await navigator.credentials.get({
            publicKey: {
              challenge,
              rpId: 'localhost',
              userVerification: 'discouraged',
              ...(allow && { allowCredentials: [{ type: 'public-key', id: rawBytes }] }),
              extensions: { prf: { eval: { first: new Uint8Array(32).fill(7) } } },
            },
          })) as PublicKeyCredential;
          const res = cred.response as AuthenticatorAssertionResponse;
          const prf = (cred.getClientExtensionResults() as { prf?: { results?: { first: ArrayBuffer } } }).prf;
          out.push({
            challenge: b64u(challenge.buffer),
            isAssertion: res instanceof AuthenticatorAssertionResponse,
            sameId: cred.id === raw,
            userHandle: [...new Uint8Array(res.userHandle!)],
            signatureIsBuffer: res.signature instanceof ArrayBuffer,
            prfFirst: prf?.results?.first instanceof ArrayBuffer ? b64u(prf.results.first) : null,
            json: cred.toJSON(),
          });
        }
        return out;
      });
      assert.equal(r.length, 2);
      for (const a of r) {
        assert.deepEqual(
          { isAssertion: a.isAssertion, sameId: a.sameId, userHandle: a.userHandle, sig: a.signatureIsBuffer },
          { isAssertion: true, sameId: true, userHandle: [9, 8, 7], sig: true },
        );
        const v = await verifyAuthenticationResponse({
          response: a.json as never,
          expectedChallenge: a.challenge,
          expectedOrigin: site.origin,
          expectedRPID: 'localhost',
          credential,
          requireUserVerification: false,
        });
        assert.equal(v.verified, true);
        credential = { ...credential, counter: v.authenticationInfo.newCounter };
      }
      assert.equal(r[0]!.prfFirst?.length, 43, 'prf: 32 bytes');
      assert.equal(r[0]!.prfFirst, r[1]!.prfFirst, 'prf: same salt, same credential, same output');
    });

    it('errors: excluded → InvalidStateError, foreign rpId → SecurityError, bad challenge → TypeError (DOMExceptions)', async () => {
      const r = await page.run(async () => {
        const raw = (window as unknown as { __rawId: string }).__rawId;
        const rawBytes = Uint8Array.from(atob(raw.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
        const name = (p: Promise<unknown>) =>
          p.then(
            () => 'ok',
            (e: Error) => `${e.name}:${e instanceof DOMException ? 'DOMException' : e.constructor.name}`,
          );
        const base = {
          rp: { name: 'Surface', id: 'localhost' },
          user: { id: new Uint8Array([1]), name: 'e', displayName: 'E' },
          challenge: new Uint8Array(32),
          pubKeyCredParams: [{ type: 'public-key' as const, alg: -7 }],
        };
        return {
          excluded: await name(
            navigator.credentials.create({
              publicKey: { ...base, excludeCredentials: [{ type: 'public-key', id: rawBytes }] },
            }),
          ),
          foreignRpCreate: await name(
            navigator.credentials.create({ publicKey: { ...base, rp: { name: 'Bank', id: 'bank.example' } } }),
          ),
          foreignRpGet: await name(
            navigator.credentials.get({ publicKey: { challenge: new Uint8Array(32), rpId: 'bank.example' } }),
          ),
          stringChallenge: await name(
            navigator.credentials.create({ publicKey: { ...base, challenge: 'AAAA' as never } }),
          ),
        };
      });
      assert.deepEqual(r, {
        excluded: 'InvalidStateError:DOMException',
        foreignRpCreate: 'SecurityError:DOMException',
        foreignRpGet: 'SecurityError:DOMException',
        stringChallenge: 'TypeError:TypeError',
      });
    });

    it('AbortSignal (before and during the ceremony) and the RP timeout end a waiting request', async () => {
      presence.answer = 'hang';
      try {
        const r = await page.run(async () => {
          const options = (extra: object) => ({
            publicKey: {
              rp: { name: 'Surface', id: 'localhost' },
              user: { id: new Uint8Array([2]), name: 'w', displayName: 'W' },
              challenge: new Uint8Array(32),
              pubKeyCredParams: [{ type: 'public-key' as const, alg: -7 }],
              timeout: 1000,
            },
            ...extra,
          });
          const name = (p: Promise<unknown>) =>
            p.then(
              () => 'ok',
              (e: Error) => `${e.name}:${e.message}`,
            );
          const pre = await name(
            navigator.credentials.create(
              options({ signal: AbortSignal.abort(new DOMException('early', 'AbortError')) }),
            ),
          );
          const controller = new AbortController();
          const pending = name(navigator.credentials.create(options({ signal: controller.signal })));
          await new Promise((resolve) => setTimeout(resolve, 200));
          controller.abort(new DOMException('user left', 'AbortError'));
          const during = await pending;
          const timedOut = await navigator.credentials
            .get({ publicKey: { challenge: new Uint8Array(32), rpId: 'localhost', timeout: 1000 } })
            .then(
              () => 'ok',
              (e: Error) => e.name,
            );
          return { pre, during, timedOut };
        });
        assert.deepEqual(r, { pre: 'AbortError:early', during: 'AbortError:user left', timedOut: 'NotAllowedError' });
      } finally {
        presence.answer = 'approved';
      }
    });

    it('frames: same-origin iframe served; a cross-origin one only with publickey-credentials-create / -get granted (L3 §5.9)', async () => {
      const cross = framed.origin.replace('localhost', '127.0.0.1');
      await page.goto(site.origin);
      const r = await page.run(
        async (urls) => {
          const load = (src: string, allow?: string) =>
            new Promise<HTMLIFrameElement>((resolve) => {
              const f = document.createElement('iframe');
              if (allow !== undefined) f.setAttribute('allow', allow);
              f.onload = () => resolve(f);
              f.src = src;
              document.body.append(f);
            });
          const same = await load(urls.same);
          const w = same.contentWindow as Window & typeof globalThis;
          const sameOutcome = await w.navigator.credentials
            .create({
              publicKey: {
                rp: { name: 'F', id: 'localhost' },
                user: { id: new Uint8Array([4]), name: 's', displayName: 'S' },
                challenge: new Uint8Array(32),
                pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
              },
            })
            .then(
              (c) => (c instanceof w.PublicKeyCredential ? 'ok' : 'not a PublicKeyCredential'),
              (e: Error) => e.name,
            );
          type Outcome = { outcome: string; clientData?: string; rawId?: string };
          const ask = (frame: HTMLIFrameElement, op: string, rawId?: string) =>
            new Promise<Outcome>((resolve) => {
              const onMessage = (e: MessageEvent) => {
                if (e.source !== frame.contentWindow) return;
                removeEventListener('message', onMessage);
                resolve(e.data as Outcome);
              };
              addEventListener('message', onMessage);
              frame.contentWindow!.postMessage({ op, rawId }, '*');
            });
          const plain = await load(urls.cross);
          const createOnly = await load(urls.cross, 'publickey-credentials-create');
          const getOnly = await load(urls.cross, `publickey-credentials-get ${urls.crossOrigin}`);
          const ungrantedCreate = await ask(plain, 'create');
          const grantedCreate = await ask(createOnly, 'create');
          return {
            same: sameOutcome,
            ungrantedCreate,
            grantedCreate,
            ungrantedGet: await ask(createOnly, 'get', grantedCreate.rawId),
            grantedGet: await ask(getOnly, 'get', grantedCreate.rawId),
          };
        },
        {
          same: `${site.origin}/frame`,
          cross: `${framed.origin.replace('localhost', '127.0.0.1')}/`,
          crossOrigin: framed.origin.replace('localhost', '127.0.0.1'),
        },
      );
      assert.deepEqual(
        { same: r.same, ungrantedCreate: r.ungrantedCreate.outcome, ungrantedGet: r.ungrantedGet.outcome },
        {
          same: 'ok',
          ungrantedCreate: `NotAllowedError: the embedding page has not granted publickey-credentials-create to ${cross} (iframe allow attribute)`,
          ungrantedGet: `NotAllowedError: the embedding page has not granted publickey-credentials-get to ${cross} (iframe allow attribute)`,
        },
      );
      // L3 §5.9: the embedder granted the feature; clientData says so (§5.8.1).
      for (const [what, outcome] of [
        ['create', r.grantedCreate],
        ['get', r.grantedGet],
      ] as const) {
        assert.equal(outcome.outcome, 'ok', `${what}: ${outcome.outcome}`);
        const cd = JSON.parse(outcome.clientData!) as {
          type: string;
          origin: string;
          crossOrigin: boolean;
          topOrigin: string;
        };
        assert.deepEqual(
          { type: cd.type, origin: cd.origin, crossOrigin: cd.crossOrigin, topOrigin: cd.topOrigin },
          { type: `webauthn.${what}`, origin: cross, crossOrigin: true, topOrigin: site.origin },
        );
      }
    });

    // Over a binding (Chromium) Playwright names the calling frame itself: there is no bridge to reach.
    if (ENGINE_NOTES[engine].channel.includes('WebSocket'))
      it('frames: one that reaches the bridge itself, past the shim, is refused like an ungranted frame (L3 §5.9)', async () => {
        assert.ok(page.bridgeUrl, 'the engine page names its bridge');
        const cross = framed.origin.replace('localhost', '127.0.0.1');
        await page.goto(site.origin);
        const options = (host: string) => ({
          rp: { name: 'F', id: host },
          user: { id: 'Aw', name: 'f', displayName: 'F' },
          challenge: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
          pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
        });
        const nonce = 'self-granted-0123456789';
        const fromFrame = [
          { type: 'create', id: 'd1', origin: cross, options: options('127.0.0.1') },
          { type: 'get', id: 'd2', origin: cross, options: { challenge: 'AAAA', rpId: '127.0.0.1' } },
          // A frame vouching for itself: refused, so the grant it names does not exist.
          {
            type: 'grant',
            id: 'd3',
            origin: cross,
            nonce,
            frameOrigin: cross,
            feature: 'publickey-credentials-create',
          },
          { type: 'create', id: 'd4', origin: cross, options: options('127.0.0.1'), grant: nonce },
          {
            type: 'signal',
            id: 'd5',
            origin: cross,
            signal: 'unknownCredential',
            options: { rpId: '127.0.0.1', credentialId: 'AAAA' },
          },
        ];
        const r = await page.run(
          async (a) => {
            const frame = await new Promise<HTMLIFrameElement>((resolve) => {
              const f = document.createElement('iframe');
              f.onload = () => resolve(f);
              f.src = a.src;
              document.body.append(f);
            });
            const answer = new Promise<{
              replies: Array<{ id: string; ok: boolean; error?: { name: string; message: string } }>;
            }>((resolve) =>
              addEventListener('message', (e) => {
                if (e.source === frame.contentWindow) resolve(e.data as never);
              }),
            );
            frame.contentWindow!.postMessage({ op: 'direct', url: a.url, messages: a.messages }, '*');
            // The same from the top-level page itself: served.
            const top = new WebSocket(a.url);
            const topReply = await new Promise<{ ok: boolean }>((resolve, reject) => {
              top.onopen = () => top.send(JSON.stringify(a.topCreate));
              top.onmessage = (m) => resolve(JSON.parse(m.data as string) as { ok: boolean });
              top.onclose = () => reject(new Error('the bridge closed the top-level connection'));
            });
            top.onclose = null;
            top.close();
            return { frame: await answer, top: topReply.ok };
          },
          {
            src: `${framed.origin.replace('localhost', '127.0.0.1')}/`,
            url: page.bridgeUrl,
            messages: fromFrame,
            topCreate: { type: 'create', id: 't1', origin: site.origin, options: options('localhost') },
          },
        );
        const notGranted = (f: string) =>
          `the embedding page has not granted ${f} to ${cross} (iframe allow attribute)`;
        assert.deepEqual(
          r.frame.replies.map((x) => [x.id, x.ok, x.error?.name, x.error?.message]),
          [
            ['d1', false, 'NotAllowedError', notGranted('publickey-credentials-create')],
            ['d2', false, 'NotAllowedError', notGranted('publickey-credentials-get')],
            ['d3', false, 'NotAllowedError', notGranted('publickey-credentials-create')],
            ['d4', false, 'NotAllowedError', notGranted('publickey-credentials-create')],
            ['d5', false, 'NotAllowedError', 'softkey does not serve cross-origin frames'],
          ],
        );
        assert.equal(r.top, true);
      });

    it(`statics and interfaces (${ENGINE_NOTES[engine].nativeWebAuthn ? 'native WebAuthn, shim over it' : 'no WebAuthn in this build: the shim provides it'})`, async () => {
      const r = await page.run(async () => ({
        uvpa: await PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable(),
        cma: await PublicKeyCredential.isConditionalMediationAvailable(),
        prf: (await PublicKeyCredential.getClientCapabilities())['extension:prf'],
        // WebAuthn L3 from softkey's client in every engine: passkey autofill and the signal methods.
        conditionalGet: (await PublicKeyCredential.getClientCapabilities()).conditionalGet,
        signal: await (PublicKeyCredential as unknown as { signalUnknownCredential(o: unknown): Promise<unknown> })
          .signalUnknownCredential({ rpId: location.hostname, credentialId: 'AAAA' })
          .then(
            (v) => `resolved ${String(v)}`,
            (e: Error) => e.name,
          ),
        parsed: new Uint8Array(
          PublicKeyCredential.parseRequestOptionsFromJSON({ challenge: 'AQID' }).challenge as ArrayBuffer,
        ).join(','),
        illegal: (() => {
          try {
            new (PublicKeyCredential as unknown as new () => unknown)();
            return 'constructed';
          } catch (e) {
            return (e as Error).name;
          }
        })(),
        containerTag: Object.prototype.toString.call(navigator.credentials),
      }));
      assert.deepEqual(r, {
        uvpa: false,
        cma: true,
        prf: true,
        conditionalGet: true,
        signal: 'resolved undefined',
        parsed: '1,2,3',
        illegal: 'TypeError',
        containerTag: '[object CredentialsContainer]',
      });
    });
  });
}
