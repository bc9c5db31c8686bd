/** Page scripts the WebDriver tests run with Execute Async Script (plain WebAuthn, as any test would). */

/** navigator.credentials.create() for rp localhost, user "user-1"; calls back { ok, json, challenge } or { ok: false, e }. */
export const CREATE_SCRIPT = `
  var done = arguments[arguments.length - 1];
  var challenge = crypto.getRandomValues(new Uint8Array(32));
  var b64u = function (b) { return btoa(String.fromCharCode.apply(null, new Uint8Array(b))).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, ''); };
  navigator.credentials.create({ publicKey: {
    rp: { id: 'localhost', name: 'WebDriver test' },
    user: { id: new TextEncoder().encode('user-1'), name: 'ada', displayName: 'Ada' },
    challenge: challenge,
    pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
    authenticatorSelection: { residentKey: 'required', userVerification: 'discouraged' },
    attestation: 'direct'
  } }).then(function (cred) {
    done({ ok: true, json: cred.toJSON(), challenge: b64u(challenge) });
  }, function (e) { done({ ok: false, e: String(e && e.name) + ': ' + String(e && e.message) }); });
`;

/** An AAGUID as @simplewebauthn/server prints it. */
export function uuid(aaguid: Uint8Array): string {
  const h = Buffer.from(aaguid).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
