/**
 * Cross-origin frames: the iframe `allow` attribute check (WebAuthn L3 §5.9, Permissions Policy
 * container policy), the one-time grants the WebSocket bridge keeps between an embedder's connection
 * and its frame's, and the clientData a granted frame gets (L3 §5.8.1 crossOrigin, topOrigin;
 * CCDToString member order). The engines themselves: test/browser/engines.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allowAttributeGrants, FrameGrants } from '../../src/bridge/permissionsPolicy.js';
import { collectClientData } from '../../src/client/clientData.js';

const FRAME = 'https://idp.example';
const TOP = 'https://shop.example';

describe('iframe allow attribute → publickey-credentials-*', () => {
  it('grants on the feature with an empty allowlist (src), *, the frame origin or self for a same-origin frame', () => {
    const get = 'publickey-credentials-get';
    assert.equal(allowAttributeGrants('publickey-credentials-get', get, FRAME, TOP), true);
    assert.equal(allowAttributeGrants("camera 'none'; publickey-credentials-get *", get, FRAME, TOP), true);
    assert.equal(allowAttributeGrants(`publickey-credentials-get ${FRAME}`, get, FRAME, TOP), true);
    assert.equal(allowAttributeGrants("publickey-credentials-get 'self'", get, TOP, TOP), true);
  });
  it('refuses without the attribute, for another feature, another origin, self across origins, or none', () => {
    const create = 'publickey-credentials-create';
    assert.equal(allowAttributeGrants(null, create, FRAME, TOP), false);
    assert.equal(allowAttributeGrants('publickey-credentials-get', create, FRAME, TOP), false);
    assert.equal(allowAttributeGrants('publickey-credentials-create https://other.example', create, FRAME, TOP), false);
    assert.equal(allowAttributeGrants("publickey-credentials-create 'self'", create, FRAME, TOP), false);
    assert.equal(allowAttributeGrants("publickey-credentials-create 'none'", create, FRAME, TOP), false);
  });
});

describe('collectClientData with a top origin', () => {
  const challenge = new Uint8Array(16);
  it('a cross-origin caller: crossOrigin true, then topOrigin, in CCDToString order', () => {
    const text = new TextDecoder().decode(collectClientData('webauthn.get', challenge, FRAME, TOP).json);
    assert.equal(
      text,
      `{"type":"webauthn.get","challenge":"AAAAAAAAAAAAAAAAAAAAAA","origin":"${FRAME}","crossOrigin":true,"topOrigin":"${TOP}"}`,
    );
  });
  it('a top origin equal to the caller changes nothing', () => {
    const same = collectClientData('webauthn.create', challenge, TOP, TOP).json;
    assert.deepEqual(same, collectClientData('webauthn.create', challenge, TOP).json);
    assert.match(new TextDecoder().decode(same), /"crossOrigin":false}$/);
  });
});

describe('FrameGrants: an embedder vouches for its frame, once', () => {
  const GET = 'publickey-credentials-get' as const;
  const nonce = (n: number) => `nonce-${String(n).padStart(12, '0')}`;
  const MID = 'https://mid.example';

  it('a granted frame gets the top origin, once; another origin or feature gets nothing', () => {
    const grants = new FrameGrants();
    assert.equal(grants.offer(TOP, { nonce: nonce(1), frameOrigin: FRAME, feature: GET, allow: GET }), undefined);
    assert.equal(grants.take(nonce(1), 'https://evil.example', GET), undefined, 'bound to the frame origin');
    assert.equal(grants.offer(TOP, { nonce: nonce(2), frameOrigin: FRAME, feature: GET, allow: GET }), undefined);
    assert.equal(grants.take(nonce(2), FRAME, 'publickey-credentials-create'), undefined, 'bound to the feature');
    assert.equal(grants.offer(TOP, { nonce: nonce(3), frameOrigin: FRAME, feature: GET, allow: GET }), undefined);
    assert.equal(grants.take(nonce(3), FRAME, GET), TOP);
    assert.equal(grants.take(nonce(3), FRAME, GET), undefined, 'used up');
  });

  it('refuses without the allow attribute, with the message every channel uses', () => {
    const grants = new FrameGrants();
    assert.equal(
      grants.offer(TOP, { nonce: nonce(4), frameOrigin: FRAME, feature: GET, allow: 'publickey-credentials-create' }),
      `the embedding page has not granted ${GET} to ${FRAME} (iframe allow attribute)`,
    );
    assert.equal(grants.take(nonce(4), FRAME, GET), undefined);
  });

  it('nested frames: a middle frame vouches only with its own grant; the top of the chain is the top origin', () => {
    const grants = new FrameGrants();
    assert.match(
      grants.offer(MID, { nonce: nonce(5), frameOrigin: FRAME, feature: GET, allow: GET, via: nonce(99) }) ?? '',
      /is not itself granted/,
    );
    assert.equal(grants.offer(TOP, { nonce: nonce(6), frameOrigin: MID, feature: GET, allow: GET }), undefined);
    assert.equal(
      grants.offer(MID, { nonce: nonce(7), frameOrigin: FRAME, feature: GET, allow: GET, via: nonce(6) }),
      undefined,
    );
    assert.equal(grants.take(nonce(7), FRAME, GET), TOP);
    // A frame of its parent's own origin inherits the parent's standing (default allowlist 'self').
    assert.equal(grants.offer(TOP, { nonce: nonce(8), frameOrigin: TOP, feature: GET, allow: null }), undefined);
    assert.equal(grants.take(nonce(8), TOP, GET), TOP);
  });

  it('grants expire, malformed or reused nonces are refused', () => {
    let now = 0;
    const grants = new FrameGrants(() => now, 1000);
    assert.equal(
      grants.offer(TOP, { nonce: nonce(9), frameOrigin: FRAME, feature: GET, allow: `${GET} *` }),
      undefined,
    );
    assert.match(
      grants.offer(TOP, { nonce: nonce(9), frameOrigin: FRAME, feature: GET, allow: `${GET} *` }) ?? '',
      /in use/,
    );
    assert.match(
      grants.offer(TOP, { nonce: 'short', frameOrigin: FRAME, feature: GET, allow: `${GET} *` }) ?? '',
      /malformed/,
    );
    now = 1000;
    assert.equal(grants.take(nonce(9), FRAME, GET), undefined);
  });
});
