'use strict';
(function () {
  /** The browser build of @simplewebauthn/browser: the page loads it before this script. */
  var webauthn = /** @type {typeof import('@simplewebauthn/browser')} */ (
    /** @type {any} */ (window).SimpleWebAuthnBrowser
  );
  var status = document.getElementById('status');
  function show(state, text) {
    status.dataset.state = state;
    status.textContent = text;
  }
  var onPanel = document.getElementById('approve-on-panel');
  var waiting = onPanel
    ? 'Waiting for the authenticator: approve the request on its device panel (link above)…'
    : 'Waiting for the authenticator…';
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
  function describe(e) {
    return (e && e.name ? e.name + ': ' : '') + (e && e.message ? e.message : String(e));
  }
  var registerForm = /** @type {HTMLFormElement | null} */ (document.getElementById('register-form'));
  if (registerForm)
    registerForm.addEventListener('submit', async function (ev) {
      ev.preventDefault();
      show('pending', waiting);
      try {
        var optionsJSON = await post('/api/register/options', {
          username: registerForm.username.value,
          attestation: registerForm.attestation.value,
          authenticator: registerForm.authenticator.value,
        });
        var credential = await webauthn.startRegistration({ optionsJSON: optionsJSON });
        var result = await post('/api/register/verify', { credential: credential });
        show('success', 'Registered ' + result.credentialId + ' for ' + result.username + '.');
        location.href = result.url;
      } catch (e) {
        show('error', 'Registration failed: ' + describe(e));
      }
    });
  var loginForm = /** @type {HTMLFormElement | null} */ (document.getElementById('login-form'));
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
  async function upgrade(credential) {
    var note = document.getElementById('upgrade');
    if (
      credential.authenticatorAttachment === 'platform' ||
      typeof PublicKeyCredential.getClientCapabilities !== 'function'
    )
      return;
    var caps = await PublicKeyCredential.getClientCapabilities();
    if (!caps.conditionalCreate || !caps.passkeyPlatformAuthenticator) return;
    try {
      var optionsJSON = await post('/api/register/options', { upgrade: true, authenticator: 'platform' });
      var created = await webauthn.startRegistration({ optionsJSON: optionsJSON, useAutoRegister: true });
      var result = await post('/api/register/verify', { credential: created });
      note.dataset.state = 'created';
      note.textContent =
        'A passkey for ' + result.username + ' was also saved on this device (' + result.credentialId + ').';
    } catch (e) {
      note.dataset.state = 'skipped';
      note.textContent = 'No passkey upgrade: ' + describe(e);
    }
  }
  var autofillAbort = null;
  var modalStarted = false;
  if (loginForm)
    loginForm.addEventListener('submit', async function (ev) {
      ev.preventDefault();
      modalStarted = true;
      if (autofillAbort) autofillAbort.abort();
      show('pending', waiting);
      try {
        var optionsJSON = await post('/api/login/options', {
          username: loginForm.username.value,
          authenticator: loginForm.authenticator.value,
        });
        var credential = await webauthn.startAuthentication({ optionsJSON: optionsJSON });
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
    var credential;
    try {
      credential = await navigator.credentials.get({
        mediation: 'conditional',
        publicKey: PKC.parseRequestOptionsFromJSON(optionsJSON),
        signal: autofillAbort.signal,
      });
    } catch (e) {
      return;
    } // cancelled by a modal sign-in, or dismissed
    try {
      show('pending', waiting);
      signedIn(
        await post('/api/login/verify', {
          credential: /** @type {PublicKeyCredential} */ (credential).toJSON(),
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
