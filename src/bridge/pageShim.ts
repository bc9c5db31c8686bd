/**
 * The page shim: a self-contained browser script (plain ES2020, no imports) that takes over the
 * page-facing half of WebAuthn L3: §5.1.3 navigator.credentials.create({ publicKey }), §5.1.4
 * navigator.credentials.get({ publicKey }), the PublicKeyCredential statics (§5.1.7
 * isUserVerifyingPlatformAuthenticatorAvailable, §5.1.6 isConditionalMediationAvailable, §5.1.9 /
 * §5.1.10 parse…OptionsFromJSON, §5.1.11 getClientCapabilities, §5.1.10 the signal methods) and the objects they return
 * (PublicKeyCredential, AuthenticatorAttestationResponse, AuthenticatorAssertionResponse, with
 * ArrayBuffers, getters and toJSON()). The ceremony itself runs in softkey (protocol.ts): options go
 * out as JSON with the page's origin, a toJSON()-shaped credential or an error name comes back.
 *
 * Credentials are built on the browser's own prototypes when it has them, so `instanceof
 * PublicKeyCredential` holds; every field is an own property (the native getters are never called).
 * Other credential types (password, federated, identity) go to the browser untouched.
 *
 * In an engine built without WebAuthn (WebKitGTK: no navigator.credentials, no PublicKeyCredential)
 * the shim defines the missing interfaces itself (Credential Management §2.2 CredentialsContainer,
 * Credential; L3 §5.1 PublicKeyCredential, §5.2 AuthenticatorResponse and its two subclasses) as
 * constructors that throw "Illegal constructor" like the platform's, each with its toStringTag, so
 * page code sees the same shapes and `instanceof` answers in every engine.
 *
 * A cross-origin frame is served when its embedders grant `publickey-credentials-create` / `-get`
 * (L3 §5.9): over a binding softkey reads the iframes itself; over a WebSocket the frame's shim asks
 * its parent's shim, which vouches for it to softkey (permissionsPolicy.ts). Installing the shim again
 * in a window re-configures it (the latest channel wins) and wraps navigator.credentials only once.
 *
 * It is kept as a file read as a string (not a function's source) so no bundler or transpiler helper
 * can leak into it.
 */
import { browserScript } from '../encoding/browserScript.js';

export type ShimChannel =
  /** A WebSocket to the bridge server, token in the URL. */
  | { kind: 'ws'; url: string }
  /**
   * A Playwright binding (page.exposeBinding) called with the request. With `json`, the request and
   * the reply travel as JSON text: a driver then passes one string each way instead of serializing
   * the objects field by field (Playwright's own value serialization is the costly part of a call).
   */
  | { kind: 'binding'; name: string; json?: boolean };

/** What the PublicKeyCredential statics report about the key behind the bridge. */
export interface ShimStatics {
  /** L3 §5.1.7: a platform authenticator with built-in UV is there (a platform profile). */
  userVerifyingPlatformAuthenticator?: boolean;
}

/** The shim, configured: evaluate it in a page before the page's own scripts run. */
export function pageShimScript(channel: ShimChannel, statics: ShimStatics = {}): string {
  return `(${SHIM_SOURCE})(${JSON.stringify({ channel, uvpa: statics.userVerifyingPlatformAuthenticator === true })});\n`;
}

/**
 * The shim's source, one function of `config`: pageShim.browser.js, plain ES2020 type-checked against the DOM
 * by tsconfig.dom.json and shipped beside this module.
 */
const SHIM_SOURCE = browserScript(import.meta.url, 'pageShim.browser.js');
