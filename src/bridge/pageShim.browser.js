/**
 * @param {{ channel: { kind: 'ws', url: string } | { kind: 'binding', name: string }, uvpa: boolean }} config
 */
function softkeyShim(config) {
  'use strict';
  if (typeof window === 'undefined' || /** @type {any} */ (window).__softkeyShimInstalled) return;
  if (!window.isSecureContext) return; // WebAuthn L3 §5.1: [SecureContext] only
  Object.defineProperty(window, '__softkeyShimInstalled', { value: true });

  // ---- bytes ----------------------------------------------------------------------------------
  function toB64u(buf) {
    var bytes =
      buf instanceof ArrayBuffer ? new Uint8Array(buf) : new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    var s = '';
    for (var i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }
  function fromB64u(str, field) {
    if (typeof str !== 'string' || !/^[A-Za-z0-9_-]*$/.test(str) || str.length % 4 === 1) {
      throw new DOMException(field + ' is not base64url', 'EncodingError');
    }
    var s = atob(str.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((str.length + 3) % 4));
    var out = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out.buffer;
  }
  function isBufferSource(v) {
    return v instanceof ArrayBuffer || ArrayBuffer.isView(v);
  }
  function bin(v, field) {
    if (!isBufferSource(v)) throw new TypeError(field + ' must be a BufferSource');
    return toB64u(v);
  }

  // ---- options → JSON (the ...OptionsJSON dictionaries) ------------------------------------------
  function copyPlain(v) {
    if (isBufferSource(v)) return toB64u(v);
    if (Array.isArray(v)) return v.map(copyPlain);
    if (v && typeof v === 'object') {
      var o = {};
      Object.keys(v).forEach(function (k) {
        if (v[k] !== undefined) o[k] = copyPlain(v[k]);
      });
      return o;
    }
    return v;
  }
  function descriptorsJSON(list, field) {
    if (list === undefined) return undefined;
    return Array.prototype.map.call(list, function (d, i) {
      var out = { type: d.type, id: bin(d.id, field + '[' + i + '].id') };
      if (d.transports !== undefined) out.transports = Array.prototype.slice.call(d.transports);
      return out;
    });
  }
  function creationJSON(pk) {
    if (!pk || typeof pk !== 'object') throw new TypeError('publicKey must be an object');
    if (!pk.rp || !pk.user) throw new TypeError('rp and user are required');
    var out = copyPlain(pk);
    out.challenge = bin(pk.challenge, 'challenge');
    out.user = copyPlain(pk.user);
    out.user.id = bin(pk.user.id, 'user.id');
    if (pk.excludeCredentials !== undefined)
      out.excludeCredentials = descriptorsJSON(pk.excludeCredentials, 'excludeCredentials');
    return out;
  }
  function requestJSON(pk) {
    if (!pk || typeof pk !== 'object') throw new TypeError('publicKey must be an object');
    var out = copyPlain(pk);
    out.challenge = bin(pk.challenge, 'challenge');
    if (pk.allowCredentials !== undefined)
      out.allowCredentials = descriptorsJSON(pk.allowCredentials, 'allowCredentials');
    return out;
  }

  // ---- JSON → options (parse...OptionsFromJSON, §5.1.9 / §5.1.10) --------------------------------
  function descriptorsFromJSON(list, field) {
    if (list === undefined) return undefined;
    return list.map(function (d, i) {
      var out = { type: d.type, id: fromB64u(d.id, field + '[' + i + '].id') };
      if (d.transports !== undefined) out.transports = d.transports.slice();
      return out;
    });
  }
  function prfValuesFromJSON(v, field) {
    var out = { first: fromB64u(v.first, field + '.first') };
    if (v.second !== undefined) out.second = fromB64u(v.second, field + '.second');
    return out;
  }
  function extensionsFromJSON(e) {
    if (e === undefined) return undefined;
    var out = Object.assign({}, e);
    if (e.prf) {
      out.prf = {};
      if (e.prf.eval) out.prf.eval = prfValuesFromJSON(e.prf.eval, 'extensions.prf.eval');
      if (e.prf.evalByCredential) {
        out.prf.evalByCredential = {};
        Object.keys(e.prf.evalByCredential).forEach(function (k) {
          out.prf.evalByCredential[k] = prfValuesFromJSON(
            e.prf.evalByCredential[k],
            'extensions.prf.evalByCredential.' + k,
          );
        });
      }
    }
    if (e.largeBlob && e.largeBlob.write !== undefined)
      out.largeBlob = Object.assign({}, e.largeBlob, {
        write: fromB64u(e.largeBlob.write, 'extensions.largeBlob.write'),
      });
    if (e.credBlob !== undefined) out.credBlob = fromB64u(e.credBlob, 'extensions.credBlob');
    return out;
  }
  function parseCreationOptionsFromJSON(json) {
    if (
      !json ||
      typeof json !== 'object' ||
      !json.rp ||
      !json.user ||
      json.challenge === undefined ||
      !Array.isArray(json.pubKeyCredParams)
    ) {
      throw new TypeError('rp, user, challenge and pubKeyCredParams are required');
    }
    var out = Object.assign({}, json);
    out.user = Object.assign({}, json.user, { id: fromB64u(json.user.id, 'user.id') });
    out.challenge = fromB64u(json.challenge, 'challenge');
    if (json.excludeCredentials !== undefined)
      out.excludeCredentials = descriptorsFromJSON(json.excludeCredentials, 'excludeCredentials');
    if (json.extensions !== undefined) out.extensions = extensionsFromJSON(json.extensions);
    return out;
  }
  function parseRequestOptionsFromJSON(json) {
    if (!json || typeof json !== 'object' || json.challenge === undefined) throw new TypeError('challenge is required');
    var out = Object.assign({}, json);
    out.challenge = fromB64u(json.challenge, 'challenge');
    if (json.allowCredentials !== undefined)
      out.allowCredentials = descriptorsFromJSON(json.allowCredentials, 'allowCredentials');
    if (json.extensions !== undefined) out.extensions = extensionsFromJSON(json.extensions);
    return out;
  }

  // ---- interfaces the engine may lack (WebKitGTK builds without WebAuthn) -------------------------
  function iface(name, parent) {
    if (typeof window[name] === 'function') return window[name];
    var C = function () {
      throw new TypeError('Illegal constructor');
    };
    Object.defineProperty(C, 'name', { value: name });
    if (parent) {
      C.prototype = Object.create(parent.prototype);
      Object.setPrototypeOf(C, parent);
    }
    Object.defineProperty(C.prototype, 'constructor', { value: C, writable: true, configurable: true });
    Object.defineProperty(C.prototype, Symbol.toStringTag, { value: name, configurable: true });
    Object.defineProperty(window, name, { value: C, writable: true, configurable: true });
    return C;
  }
  var Credential = iface('Credential');
  var PKC = iface('PublicKeyCredential', Credential);
  var AuthenticatorResponse = iface('AuthenticatorResponse');
  iface('AuthenticatorAttestationResponse', AuthenticatorResponse);
  iface('AuthenticatorAssertionResponse', AuthenticatorResponse);
  var CredentialsContainer = iface('CredentialsContainer');
  if (!navigator.credentials) {
    var ownContainer = Object.create(CredentialsContainer.prototype);
    var unsupported = function () {
      return Promise.reject(new DOMException('only public key credentials are available', 'NotSupportedError'));
    };
    Object.defineProperty(CredentialsContainer.prototype, 'create', {
      value: unsupported,
      writable: true,
      configurable: true,
    });
    Object.defineProperty(CredentialsContainer.prototype, 'get', {
      value: unsupported,
      writable: true,
      configurable: true,
    });
    Object.defineProperty(CredentialsContainer.prototype, 'store', {
      value: unsupported,
      writable: true,
      configurable: true,
    });
    Object.defineProperty(CredentialsContainer.prototype, 'preventSilentAccess', {
      value: function () {
        return Promise.resolve();
      },
      writable: true,
      configurable: true,
    });
    Object.defineProperty(Object.getPrototypeOf(navigator), 'credentials', {
      get: function () {
        return ownContainer;
      },
      enumerable: true,
      configurable: true,
    });
  }

  // ---- credentials (§5.1 PublicKeyCredential, §5.2.1, §5.2.2) ------------------------------------
  /** @param {string} name an interface of the page's global object */
  function protoOf(name) {
    var C = /** @type {any} */ (window)[name];
    return typeof C === 'function' && C.prototype ? C.prototype : Object.prototype;
  }
  function define(obj, props) {
    Object.keys(props).forEach(function (k) {
      Object.defineProperty(obj, k, {
        value: props[k],
        enumerable: typeof props[k] !== 'function',
        configurable: true,
      });
    });
    return obj;
  }
  function clientExtensionResults(json) {
    var out = {};
    Object.keys(json || {}).forEach(function (k) {
      out[k] = json[k];
    });
    if (json && json.prf) {
      out.prf = Object.assign({}, json.prf);
      if (json.prf.results) {
        out.prf.results = { first: fromB64u(json.prf.results.first, 'prf.first') };
        if (json.prf.results.second !== undefined)
          out.prf.results.second = fromB64u(json.prf.results.second, 'prf.second');
      }
    }
    if (json && json.largeBlob && json.largeBlob.blob !== undefined)
      out.largeBlob = Object.assign({}, json.largeBlob, { blob: fromB64u(json.largeBlob.blob, 'largeBlob.blob') });
    if (json && json.getCredBlob !== undefined) out.getCredBlob = fromB64u(json.getCredBlob, 'getCredBlob');
    return out;
  }
  function credentialFrom(json, kind) {
    var r = json.response;
    var response;
    if (kind === 'create') {
      var publicKey = r.publicKey === undefined ? null : fromB64u(r.publicKey, 'publicKey');
      var authData = fromB64u(r.authenticatorData, 'authenticatorData');
      response = define(Object.create(protoOf('AuthenticatorAttestationResponse')), {
        clientDataJSON: fromB64u(r.clientDataJSON, 'clientDataJSON'),
        attestationObject: fromB64u(r.attestationObject, 'attestationObject'),
        getTransports: function () {
          return (r.transports || []).slice();
        },
        getAuthenticatorData: function () {
          return authData.slice(0);
        },
        getPublicKey: function () {
          return publicKey === null ? null : publicKey.slice(0);
        },
        getPublicKeyAlgorithm: function () {
          return r.publicKeyAlgorithm;
        },
      });
    } else {
      response = define(Object.create(protoOf('AuthenticatorAssertionResponse')), {
        clientDataJSON: fromB64u(r.clientDataJSON, 'clientDataJSON'),
        authenticatorData: fromB64u(r.authenticatorData, 'authenticatorData'),
        signature: fromB64u(r.signature, 'signature'),
        userHandle: r.userHandle === undefined ? null : fromB64u(r.userHandle, 'userHandle'),
      });
    }
    var frozen = JSON.stringify(json);
    return define(Object.create(PKC.prototype), {
      id: json.id,
      rawId: fromB64u(json.rawId, 'rawId'),
      type: 'public-key',
      authenticatorAttachment: json.authenticatorAttachment || null,
      response: response,
      getClientExtensionResults: function () {
        return clientExtensionResults(json.clientExtensionResults);
      },
      toJSON: function () {
        return JSON.parse(frozen);
      },
    });
  }
  function errorFrom(e) {
    var name = e && typeof e.name === 'string' ? e.name : 'UnknownError';
    var message = e && typeof e.message === 'string' ? e.message : 'softkey bridge error';
    return name === 'TypeError' ? new TypeError(message) : new DOMException(message, name);
  }

  // ---- channel to softkey --------------------------------------------------------------------------
  var counter = 0;
  var prefix = Math.random().toString(36).slice(2, 10);
  var waiting = {};
  var opened = null;
  function failAll(err) {
    Object.keys(waiting).forEach(function (id) {
      var w = waiting[id];
      delete waiting[id];
      w.reject(err);
    });
  }
  /** @param {string} url the bridge's WebSocket URL */
  function connect(url) {
    if (opened) return opened;
    opened = new Promise(function (resolve, reject) {
      var ws;
      try {
        ws = new WebSocket(url);
      } catch (e) {
        opened = null;
        reject(new DOMException('cannot reach the softkey bridge', 'NotAllowedError'));
        return;
      }
      var ready = false;
      ws.onopen = function () {
        ready = true;
        resolve(ws);
      };
      ws.onmessage = function (ev) {
        var reply;
        try {
          reply = JSON.parse(ev.data);
        } catch (e) {
          return;
        }
        var w = reply && waiting[reply.id];
        if (!w) return;
        delete waiting[reply.id];
        if (reply.ok) w.resolve(reply.credential !== undefined ? reply.credential : reply.value);
        else w.reject(errorFrom(reply.error));
      };
      ws.onclose = function () {
        opened = null;
        var err = new DOMException(
          ready
            ? 'the softkey bridge closed the connection'
            : 'the softkey bridge refused the connection (origin or token)',
          'NotAllowedError',
        );
        if (!ready) reject(err);
        failAll(err);
      };
    });
    return opened;
  }
  function post(message) {
    if (config.channel.kind === 'binding') {
      var fn = /** @type {any} */ (window)[config.channel.name];
      if (typeof fn !== 'function')
        return Promise.reject(new DOMException('softkey is not attached to this page', 'NotAllowedError'));
      return fn(message);
    }
    return connect(config.channel.url).then(function (ws) {
      ws.send(JSON.stringify(message));
    });
  }
  // Over a WebSocket, softkey learns only the frame's own origin (the Origin header), not its
  // embedder's policy or top origin: a cross-origin frame is refused, as browsers do without the
  // embedder's permission (L3 §5.9). Through a binding, softkey decides in Node (playwright.ts).
  function crossOriginFrame() {
    if (config.channel.kind === 'binding' || window.top === window) return false;
    try {
      return window.top.location.origin !== location.origin;
    } catch (e) {
      return true;
    }
  }
  function call(type, options, signal, mediation, extra) {
    return new Promise(function (resolve, reject) {
      if (signal && signal.aborted) {
        reject(signal.reason);
        return;
      }
      if (crossOriginFrame()) {
        reject(new DOMException('softkey does not serve cross-origin frames', 'NotAllowedError'));
        return;
      }
      var id = prefix + '-' + ++counter;
      var done = false;
      var onAbort = function () {
        if (done) return;
        done = true;
        delete waiting[id];
        post({ type: 'abort', id: id }).catch(function () {});
        reject(signal.reason);
      };
      var finish = function (ok, value) {
        if (done) return;
        done = true;
        if (signal) signal.removeEventListener('abort', onAbort);
        if (!ok) {
          reject(value);
          return;
        }
        if (type !== 'create' && type !== 'get') {
          resolve(value);
          return;
        }
        try {
          resolve(credentialFrom(value, type));
        } catch (e) {
          reject(e);
        }
      };
      if (signal) signal.addEventListener('abort', onAbort);
      var message = { type: type, id: id, origin: location.origin, options: options };
      if (mediation !== undefined) message.mediation = mediation;
      if (extra)
        Object.keys(extra).forEach(function (k) {
          message[k] = extra[k];
        });
      if (config.channel.kind === 'binding') {
        post(message).then(
          function (reply) {
            if (reply && reply.ok) finish(true, reply.credential !== undefined ? reply.credential : reply.value);
            else finish(false, errorFrom(reply && reply.error));
          },
          function () {
            finish(false, new DOMException('the softkey bridge failed', 'NotAllowedError'));
          },
        );
      } else {
        waiting[id] = {
          resolve: function (c) {
            finish(true, c);
          },
          reject: function (e) {
            finish(false, e);
          },
        };
        post(message).catch(function (e) {
          delete waiting[id];
          finish(false, e);
        });
      }
    });
  }

  // ---- navigator.credentials ---------------------------------------------------------------------
  var container = Object.getPrototypeOf(navigator.credentials);
  var nativeCreate = container.create;
  var nativeGet = container.get;
  function replace(obj, name, fn) {
    Object.defineProperty(obj, name, { value: fn, writable: true, configurable: true, enumerable: false });
  }
  replace(container, 'create', function create(options) {
    if (!options || options.publicKey === undefined) return nativeCreate.apply(this, arguments);
    var json;
    try {
      json = creationJSON(options.publicKey);
    } catch (e) {
      return Promise.reject(e);
    }
    return call('create', json, options.signal, options.mediation);
  });
  replace(container, 'get', function get(options) {
    if (!options || options.publicKey === undefined) return nativeGet.apply(this, arguments);
    var json;
    try {
      json = requestJSON(options.publicKey);
    } catch (e) {
      return Promise.reject(e);
    }
    return call('get', json, options.signal, options.mediation);
  });

  // ---- PublicKeyCredential statics ---------------------------------------------------------------
  replace(PKC, 'isUserVerifyingPlatformAuthenticatorAvailable', function () {
    return Promise.resolve(config.uvpa);
  });
  // L3 §5.1.6: softkey's client offers passkey autofill (the accounts appear in softkey's autofill
  // UI, key.client.autofill, where a test or the user picks one).
  replace(PKC, 'isConditionalMediationAvailable', function () {
    return Promise.resolve(true);
  });
  // L3 §5.1.11: what softkey's client and authenticators support, asked of softkey; should the
  // bridge fail, what this shim alone knows (the promise never rejects).
  replace(PKC, 'getClientCapabilities', function () {
    return call('capabilities', undefined).catch(function () {
      return {
        conditionalGet: true,
        userVerifyingPlatformAuthenticator: config.uvpa,
        passkeyPlatformAuthenticator: config.uvpa,
      };
    });
  });
  // L3 §5.1.10 signal methods: validated and applied in softkey; resolve with undefined.
  [
    ['signalUnknownCredential', 'unknownCredential'],
    ['signalAllAcceptedCredentials', 'allAcceptedCredentials'],
    ['signalCurrentUserDetails', 'currentUserDetails'],
  ].forEach(function (m) {
    replace(PKC, m[0], function (options) {
      if (!options || typeof options !== 'object')
        return Promise.reject(new TypeError(m[0] + ': options must be an object'));
      return call('signal', copyPlain(options), undefined, undefined, { signal: m[1] }).then(function () {
        return undefined;
      });
    });
  });
  replace(PKC, 'parseCreationOptionsFromJSON', parseCreationOptionsFromJSON);
  replace(PKC, 'parseRequestOptionsFromJSON', parseRequestOptionsFromJSON);
}
