/**
 * Cross-origin frames: the iframe `allow` attribute check of softkey/playwright (WebAuthn L3 §5.9,
 * Permissions Policy container policy) and the clientData a granted frame gets (L3 §5.8.1
 * crossOrigin, topOrigin; CCDToString member order).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allowAttributeGrants } from '../../src/bridge/playwright.js';
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
