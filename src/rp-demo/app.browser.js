'use strict';
(function () {
  /** The browser build of @simplewebauthn/browser: the page loads it before this script. */
  var webauthn = /** @type {typeof import('@simplewebauthn/browser')} */ (Reflect.get(window, 'SimpleWebAuthnBrowser'));
  /** @typedef {import('@simplewebauthn/browser').PublicKeyCredentialCreationOptionsJSON} CreationOptionsJSON */
  /** @typedef {import('@simplewebauthn/browser').PublicKeyCredentialRequestOptionsJSON} RequestOptionsJSON */
  /** @typedef {{ credentialId: string, username: string, url: string }} Registered what /api/register/verify answers */
  /** @typedef {{ username: string, counter: number, userVerified: boolean, url: string }} SignedIn /api/login/verify */
  /**
   * @param {string} id an element every demo page has
   * @returns {HTMLElement}
   */
  function element(id) {
    var el = document.getElementById(id);
    if (!el) throw new Error('the demo page has no #' + id + ' element');
    return el;
  }
  var status = element('status');
  /**
   * @param {string} state the status element's data-state (pending, success, error)
   * @param {string} text
   */
  function show(state, text) {
    status.dataset.state = state;
    status.textContent = text;
  }
  var onPanel = document.getElementById('approve-on-panel');
  var waiting = onPanel
    ? 'Waiting for the authenticator: approve the request on its device panel (link above)…'
    : 'Waiting for the authenticator…';
  /**
   * POSTs JSON to the demo server; resolves with its JSON answer (of the type the caller expects,
   * the shapes of src/rp-demo/server.ts), rejects with its `error` text when it answers an error.
   * @template T
   * @param {string} path
   * @param {object} body
   * @returns {Promise<T>}
   */
  async function post(path, body) {
    var res = await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      credentials: 'same-origin',
    });
    var data = await res.json().catch(function () {
      return {};
    });
    if (!res.ok) throw new Error(data.error || 'HTTP ' + res.status);
    return data;
  }
  /** @param {unknown} e a thrown value: an Error, a DOMException or anything else */
  function describe(e) {
    var err = typeof e === 'object' && e !== null ? e : undefined;
    return (
      (err && 'name' in err && err.name ? String(err.name) + ': ' : '') +
      (err && 'message' in err && err.message ? String(err.message) : String(e))
    );
  }
  const registerForm = document.getElementById('register-form');
  if (registerForm instanceof HTMLFormElement)
    registerForm.addEventListener('submit', async function (ev) {
      ev.preventDefault();
      show('pending', waiting);
      try {
        /** @type {CreationOptionsJSON} */
        var optionsJSON = await post('/api/register/options', {
          username: registerForm.username.value,
          attestation: registerForm.attestation.value,
          authenticator: registerForm.authenticator.value,
        });
        var credential = await webauthn.startRegistration({ optionsJSON: optionsJSON });
        /** @type {Registered} */
        var result = await post('/api/register/verify', { credential: credential });
        show('success', 'Registered ' + result.credentialId + ' for ' + result.username + '.');
        location.href = result.url;
      } catch (e) {
        show('error', 'Registration failed: ' + describe(e));
      }
    });
  const loginForm = document.getElementById('login-form');
  /** @param {SignedIn} result */
  function signedIn(result) {
    show(
      'success',
      'Signed in as ' +
        result.username +
        '. Signature counter is now ' +
        result.counter +
        (result.userVerified ? ' (user verified).' : '.'),
    );
    var a = document.createElement('a');
    a.href = result.url;
    a.textContent = ' View the credential →';
    a.id = 'credential-link';
    status.appendChild(a);
  }
  // Passkey upgrade (WebAuthn L3 conditional create): after a sign-in with a security key, when the
  // browser has a passkey platform authenticator, save a passkey there too, without a prompt.
  /** @param {{ authenticatorAttachment?: string | null | undefined }} credential the signed-in credential */
  async function upgrade(credential) {
    var note = document.getElementById('upgrade');
    if (
      !note ||
      credential.authenticatorAttachment === 'platform' ||
      typeof PublicKeyCredential.getClientCapabilities !== 'function'
    )
      return;
    var caps = await PublicKeyCredential.getClientCapabilities();
    if (!caps.conditionalCreate || !caps.passkeyPlatformAuthenticator) return;
    try {
      /** @type {CreationOptionsJSON} */
      var optionsJSON = await post('/api/register/options', { upgrade: true, authenticator: 'platform' });
      var created = await webauthn.startRegistration({ optionsJSON: optionsJSON, useAutoRegister: true });
      /** @type {Registered} */
      var result = await post('/api/register/verify', { credential: created });
      note.dataset.state = 'created';
      note.textContent =
        'A passkey for ' + result.username + ' was also saved on this device (' + result.credentialId + ').';
    } catch (e) {
      note.dataset.state = 'skipped';
      note.textContent = 'No passkey upgrade: ' + describe(e);
    }
  }
  /** @type {AbortController | null} */
  var autofillAbort = null;
  var modalStarted = false;
  if (loginForm instanceof HTMLFormElement)
    loginForm.addEventListener('submit', async function (ev) {
      ev.preventDefault();
      modalStarted = true;
      if (autofillAbort) autofillAbort.abort();
      show('pending', waiting);
      try {
        /** @type {RequestOptionsJSON} */
        var optionsJSON = await post('/api/login/options', {
          username: loginForm.username.value,
          authenticator: loginForm.authenticator.value,
        });
        var credential = await webauthn.startAuthentication({ optionsJSON: optionsJSON });
        /** @type {SignedIn} */
        var result = await post('/api/login/verify', { credential: credential });
        signedIn(result);
        await upgrade(credential);
      } catch (e) {
        show('error', 'Sign-in failed: ' + describe(e));
      }
    });
  // Passkey autofill (WebAuthn L3 conditional mediation): the user name field offers the passkeys.
  // Its own AbortController, so a modal sign-in (above) cancels it and nothing cancels the modal one.
  async function autofill() {
    var PKC = window.PublicKeyCredential;
    if (
      !PKC ||
      typeof PKC.isConditionalMediationAvailable !== 'function' ||
      typeof PKC.parseRequestOptionsFromJSON !== 'function'
    )
      return;
    if (!(await PKC.isConditionalMediationAvailable())) return;
    var optionsJSON = await post('/api/login/options', { autofill: true });
    if (modalStarted) return;
    autofillAbort = new AbortController();
    /** @type {Credential | null} */
    var got;
    try {
      got = await navigator.credentials.get({
        mediation: 'conditional',
        publicKey: PKC.parseRequestOptionsFromJSON(optionsJSON),
        signal: autofillAbort.signal,
      });
    } catch (e) {
      return;
    } // cancelled by a modal sign-in, or dismissed
    // A conditional get() answers a PublicKeyCredential (WebAuthn L3 §5.1.4).
    var credential = /** @type {PublicKeyCredential} */ (got);
    try {
      show('pending', waiting);
      signedIn(
        await post('/api/login/verify', {
          credential: credential.toJSON(),
          autofill: true,
        }),
      );
      await upgrade(credential);
    } catch (e) {
      show('error', 'Sign-in failed: ' + describe(e));
    }
  }
  if (loginForm) autofill().catch(function () {});
})();
