/**
 * @param {{ channel: { kind: 'ws', url: string } | { kind: 'binding', name: string, json?: boolean }, uvpa: boolean }} config
 */
function softkeyShim(config) {
  'use strict';
  // The JSON forms of WebAuthn L3 §5.1.9/§5.1.10 as far as the shim reads them; other members pass through.
  /**
   * @typedef {typeof config} ShimConfig
   * @typedef {{ configure: (next: ShimConfig) => void }} ShimHandle what a window the shim is installed in holds
   * @typedef {{ [member: string]: unknown }} JsonObject
   * @typedef {{ type: unknown, id: unknown, transports?: string[] }} DescriptorJSON
   * @typedef {{ first: unknown, second?: unknown }} PrfValuesJSON
   * @typedef {{ eval?: PrfValuesJSON, evalByCredential?: Record<string, PrfValuesJSON> }} PrfInputsJSON
   * @typedef {{ [name: string]: unknown, prf?: PrfInputsJSON, largeBlob?: JsonObject, credBlob?: unknown }} ExtensionsJSON
   * @typedef {{ first: ArrayBuffer, second?: ArrayBuffer }} PrfValues
   * @typedef {{ eval?: PrfValues, evalByCredential?: Record<string, PrfValues> }} PrfInputs
   * @typedef {{ [member: string]: unknown, user: { id: unknown }, challenge: unknown,
   *   excludeCredentials?: DescriptorJSON[], extensions?: ExtensionsJSON }} CreationOptionsJSON
   * @typedef {{ [member: string]: unknown, challenge: unknown, allowCredentials?: DescriptorJSON[],
   *   extensions?: ExtensionsJSON }} RequestOptionsJSON
   */
  // What softkey's bridge answers (bridge/server.ts): a credential as WebAuthn L3 §5.1.8 toJSON() gives it.
  /**
   * @typedef {{ clientDataJSON: unknown, attestationObject?: unknown, authenticatorData?: unknown,
   *   transports?: string[], publicKey?: unknown, publicKeyAlgorithm?: number, signature?: unknown,
   *   userHandle?: unknown }} ResponseJSON
   * @typedef {{ [name: string]: unknown, prf?: { [member: string]: unknown, results?: PrfValuesJSON },
   *   largeBlob?: { [member: string]: unknown, blob?: unknown }, getCredBlob?: unknown }} ExtensionResultsJSON
   * @typedef {{ id: string, rawId: unknown, authenticatorAttachment?: string | null, response: ResponseJSON,
   *   clientExtensionResults?: ExtensionResultsJSON }} CredentialJSON
   * @typedef {{ name?: unknown, message?: unknown }} ErrorJSON
   * @typedef {{ id: string, ok?: boolean, credential?: CredentialJSON, value?: unknown, error?: ErrorJSON }} Reply
   * @typedef {{ [member: string]: unknown, type: string, id: string, mediation?: unknown, grant?: string }} BridgeMessage
   * @typedef {{ resolve: (value: unknown) => void, reject: (e: unknown) => void }} Waiter a call the socket answers
   * @typedef {{ create: Function, get: Function }} Natives a container prototype's own create and get
   */
  if (typeof window === 'undefined') return;
  if (!window.isSecureContext) return; // WebAuthn L3 §5.1: [SecureContext] only
  /**
   * What the page's global object holds under a name: an interface, the binding, the shim's handle;
   * unknown until checked.
   * @param {string | symbol} name
   * @returns {unknown}
   */
  function globalNamed(name) {
    return Reflect.get(window, name);
  }
  // Installed once per window. A later install (a second attach, a new bridge) re-configures the
  // first: its channel and statics win; create/get are wrapped once per container, never twice.
  var INSTALLED = Symbol.for('softkey.pageShim');
  var installed = globalNamed(INSTALLED);
  if (installed) {
    // This shim's own frozen handle, defined (non-writable) at the end of the first install.
    /** @type {ShimHandle} */ (installed).configure(config);
    return;
  }
  var settings = { channel: config.channel, uvpa: config.uvpa === true };
  // What the WebSocket channel uses, taken now, before any page script runs: a page that wraps
  // WebSocket (a monitoring library, or script in a frame) never sees the bridge URL and its token.
  var WS = typeof WebSocket === 'function' ? WebSocket : null;
  var apply = Reflect.apply;
  var wsSend = WS && WS.prototype.send;
  var wsClose = WS && WS.prototype.close;
  var listen = WS && WS.prototype.addEventListener;
  // A DOM without the accessor (happy-dom keeps data as a plain field) is read as a property.
  var dataField = typeof MessageEvent === 'function' && Object.getOwnPropertyDescriptor(MessageEvent.prototype, 'data');
  /** @type {(this: MessageEvent) => unknown} */
  var messageData =
    dataField && dataField.get
      ? dataField.get
      : /** @this {MessageEvent} */
        function () {
          return this.data;
        };

  // ---- bytes ----------------------------------------------------------------------------------
  // The engine's own base64url (TC39 Uint8Array base64, where it has it), else btoa/atob. Not in the
  // ES2020 lib the page scripts are checked against: read as unknown, typed once found to be functions.
  /**
   * @typedef {(this: Uint8Array, options: { alphabet: 'base64url', omitPadding: boolean }) => string} ToBase64
   * @typedef {(this: Uint8ArrayConstructor, text: string, options: { alphabet: 'base64url' }) =>
   *   Uint8Array<ArrayBuffer>} FromBase64
   */
  /** @type {unknown} */
  var fromBase64 = Reflect.get(Uint8Array, 'fromBase64');
  /** @type {unknown} */
  var toBase64 = Reflect.get(Uint8Array.prototype, 'toBase64');
  var nativeFrom = typeof fromBase64 === 'function' ? /** @type {FromBase64} */ (fromBase64) : null;
  var nativeTo = typeof toBase64 === 'function' ? /** @type {ToBase64} */ (toBase64) : null;
  /** @type {{ alphabet: 'base64url', omitPadding: boolean }} */
  var B64U_TO = { alphabet: 'base64url', omitPadding: true };
  /** @type {{ alphabet: 'base64url' }} */
  var B64U_FROM = { alphabet: 'base64url' };
  var B64U = /^[A-Za-z0-9_-]*$/;
  /** @param {ArrayBuffer | ArrayBufferView} buf */
  function toB64u(buf) {
    var bytes =
      buf instanceof ArrayBuffer ? new Uint8Array(buf) : new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    if (nativeTo) return apply(nativeTo, bytes, [B64U_TO]);
    var s = '';
    for (var i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }
  /**
   * @param {unknown} str
   * @param {string} field the member named in the EncodingError
   * @returns {ArrayBuffer}
   */
  function fromB64u(str, field) {
    if (typeof str !== 'string' || !B64U.test(str) || str.length % 4 === 1) {
      throw new DOMException(field + ' is not base64url', 'EncodingError');
    }
    if (nativeFrom) return apply(nativeFrom, Uint8Array, [str, B64U_FROM]).buffer;
    var s = atob(str.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((str.length + 3) % 4));
    var out = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out.buffer;
  }
  /**
   * @param {unknown} v
   * @returns {v is ArrayBuffer | ArrayBufferView}
   */
  function isBufferSource(v) {
    return v instanceof ArrayBuffer || ArrayBuffer.isView(v);
  }
  /**
   * @param {unknown} v
   * @param {string} field
   */
  function bin(v, field) {
    if (!isBufferSource(v)) throw new TypeError(field + ' must be a BufferSource');
    return toB64u(v);
  }

  // ---- options → JSON (the ...OptionsJSON dictionaries) ------------------------------------------
  /**
   * A deep copy with every BufferSource as base64url and undefined members left out.
   * @param {unknown} v
   * @returns {unknown}
   */
  function copyPlain(v) {
    if (isBufferSource(v)) return toB64u(v);
    if (Array.isArray(v)) return v.map(copyPlain);
    if (v && typeof v === 'object') {
      var from = /** @type {JsonObject} */ (v);
      /** @type {JsonObject} */
      var o = {};
      Object.keys(from).forEach(function (k) {
        if (from[k] !== undefined) o[k] = copyPlain(from[k]);
      });
      return o;
    }
    return v;
  }
  /** @param {object} v an object (not an array or a BufferSource): its copyPlain is an object */
  function copyObject(v) {
    return /** @type {JsonObject} */ (copyPlain(v));
  }
  /**
   * @param {ArrayLike<PublicKeyCredentialDescriptor> | undefined} list the page's array (read as array-like)
   * @param {string} field
   */
  function descriptorsJSON(list, field) {
    if (list === undefined) return undefined;
    return Array.prototype.map.call(
      list,
      function (/** @type {PublicKeyCredentialDescriptor} */ d, /** @type {number} */ i) {
        /** @type {{ type: unknown, id: string, transports?: string[] }} */
        var out = { type: d.type, id: bin(d.id, field + '[' + i + '].id') };
        if (d.transports !== undefined) out.transports = Array.prototype.slice.call(d.transports);
        return out;
      },
    );
  }
  /** @param {PublicKeyCredentialCreationOptions} pk the page's publicKey member */
  function creationJSON(pk) {
    if (!pk || typeof pk !== 'object') throw new TypeError('publicKey must be an object');
    if (!pk.rp || !pk.user) throw new TypeError('rp and user are required');
    var out = copyObject(pk);
    out.challenge = bin(pk.challenge, 'challenge');
    var user = (out.user = copyObject(pk.user));
    user.id = bin(pk.user.id, 'user.id');
    if (pk.excludeCredentials !== undefined)
      out.excludeCredentials = descriptorsJSON(pk.excludeCredentials, 'excludeCredentials');
    return out;
  }
  /** @param {PublicKeyCredentialRequestOptions} pk the page's publicKey member */
  function requestJSON(pk) {
    if (!pk || typeof pk !== 'object') throw new TypeError('publicKey must be an object');
    var out = copyObject(pk);
    out.challenge = bin(pk.challenge, 'challenge');
    if (pk.allowCredentials !== undefined)
      out.allowCredentials = descriptorsJSON(pk.allowCredentials, 'allowCredentials');
    return out;
  }

  // ---- JSON → options (parse...OptionsFromJSON, §5.1.9 / §5.1.10) --------------------------------
  /**
   * @param {DescriptorJSON[] | undefined} list
   * @param {string} field
   */
  function descriptorsFromJSON(list, field) {
    if (list === undefined) return undefined;
    return list.map(function (d, i) {
      /** @type {{ type: unknown, id: ArrayBuffer, transports?: string[] }} */
      var out = { type: d.type, id: fromB64u(d.id, field + '[' + i + '].id') };
      if (d.transports !== undefined) out.transports = d.transports.slice();
      return out;
    });
  }
  /**
   * @param {PrfValuesJSON} v
   * @param {string} field
   * @returns {PrfValues}
   */
  function prfValuesFromJSON(v, field) {
    /** @type {PrfValues} */
    var out = { first: fromB64u(v.first, field + '.first') };
    if (v.second !== undefined) out.second = fromB64u(v.second, field + '.second');
    return out;
  }
  /** @param {ExtensionsJSON | undefined} e */
  function extensionsFromJSON(e) {
    if (e === undefined) return undefined;
    /** @type {JsonObject} */
    var out = Object.assign({}, e);
    if (e.prf) {
      /** @type {PrfInputs} */
      var prf = (out.prf = {});
      if (e.prf.eval) prf.eval = prfValuesFromJSON(e.prf.eval, 'extensions.prf.eval');
      const byCredential = e.prf.evalByCredential;
      if (byCredential) {
        /** @type {Record<string, PrfValues>} */
        var evals = (prf.evalByCredential = {});
        Object.keys(byCredential).forEach(function (k) {
          evals[k] = prfValuesFromJSON(
            /** @type {PrfValuesJSON} */ (byCredential[k]), // k is one of its own keys
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
  /**
   * @param {CreationOptionsJSON} json
   * @returns {JsonObject} the PublicKeyCredentialCreationOptions
   */
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
    /** @type {JsonObject} */
    var out = Object.assign({}, json);
    out.user = Object.assign({}, json.user, { id: fromB64u(json.user.id, 'user.id') });
    out.challenge = fromB64u(json.challenge, 'challenge');
    if (json.excludeCredentials !== undefined)
      out.excludeCredentials = descriptorsFromJSON(json.excludeCredentials, 'excludeCredentials');
    if (json.extensions !== undefined) out.extensions = extensionsFromJSON(json.extensions);
    return out;
  }
  /**
   * @param {RequestOptionsJSON} json
   * @returns {JsonObject} the PublicKeyCredentialRequestOptions
   */
  function parseRequestOptionsFromJSON(json) {
    if (!json || typeof json !== 'object' || json.challenge === undefined) throw new TypeError('challenge is required');
    /** @type {JsonObject} */
    var out = Object.assign({}, json);
    out.challenge = fromB64u(json.challenge, 'challenge');
    if (json.allowCredentials !== undefined)
      out.allowCredentials = descriptorsFromJSON(json.allowCredentials, 'allowCredentials');
    if (json.extensions !== undefined) out.extensions = extensionsFromJSON(json.extensions);
    return out;
  }

  // ---- interfaces the engine may lack (WebKitGTK builds without WebAuthn) -------------------------
  /**
   * @param {string} name
   * @param {Function} [parent]
   * @returns {Function}
   */
  function iface(name, parent) {
    var existing = globalNamed(name);
    if (typeof existing === 'function') return existing;
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
    var C = globalNamed(name);
    return typeof C === 'function' && C.prototype ? C.prototype : Object.prototype;
  }
  /**
   * A new object of `proto` with `props` as its own properties (methods not enumerable), made in one
   * Object.create: one call per credential, not one per property (each costs more on a DOM prototype).
   * @param {object} proto
   * @param {{ [name: string]: unknown }} props
   * @returns {object}
   */
  function define(proto, props) {
    /** @type {PropertyDescriptorMap} */
    var descriptors = {};
    for (var k in props) {
      var value = props[k];
      descriptors[k] = { value: value, enumerable: typeof value !== 'function', configurable: true };
    }
    return Object.create(proto, descriptors);
  }
  /** @param {ExtensionResultsJSON | undefined} given the credential's own results: read, copied, never handed out */
  function clientExtensionResults(given) {
    /** @type {ExtensionResultsJSON | undefined} a copy, so what the page changes stays out of toJSON() */
    var json = given === undefined ? undefined : JSON.parse(JSON.stringify(given));
    /** @type {JsonObject} */
    var out = {};
    /** @type {JsonObject} */
    var all = json || {};
    Object.keys(all).forEach(function (k) {
      out[k] = all[k];
    });
    if (json && json.prf) {
      /** @type {JsonObject} */
      var prf = (out.prf = Object.assign({}, json.prf));
      if (json.prf.results) {
        /** @type {PrfValues} */
        var results = (prf.results = { first: fromB64u(json.prf.results.first, 'prf.first') });
        if (json.prf.results.second !== undefined) results.second = fromB64u(json.prf.results.second, 'prf.second');
      }
    }
    if (json && json.largeBlob && json.largeBlob.blob !== undefined)
      out.largeBlob = Object.assign({}, json.largeBlob, { blob: fromB64u(json.largeBlob.blob, 'largeBlob.blob') });
    if (json && json.getCredBlob !== undefined) out.getCredBlob = fromB64u(json.getCredBlob, 'getCredBlob');
    return out;
  }
  /**
   * @param {CredentialJSON} json
   * @param {string} kind create or get
   */
  function credentialFrom(json, kind) {
    var r = json.response;
    var response;
    if (kind === 'create') {
      var publicKey = r.publicKey === undefined ? null : fromB64u(r.publicKey, 'publicKey');
      var authData = fromB64u(r.authenticatorData, 'authenticatorData');
      response = define(protoOf('AuthenticatorAttestationResponse'), {
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
      response = define(protoOf('AuthenticatorAssertionResponse'), {
        clientDataJSON: fromB64u(r.clientDataJSON, 'clientDataJSON'),
        authenticatorData: fromB64u(r.authenticatorData, 'authenticatorData'),
        signature: fromB64u(r.signature, 'signature'),
        userHandle: r.userHandle === undefined ? null : fromB64u(r.userHandle, 'userHandle'),
      });
    }
    // json is this credential's own parse of softkey's reply, never handed out: toJSON copies it when asked.
    return define(PKC.prototype, {
      id: json.id,
      rawId: fromB64u(json.rawId, 'rawId'),
      type: 'public-key',
      authenticatorAttachment: json.authenticatorAttachment || null,
      response: response,
      getClientExtensionResults: function () {
        return clientExtensionResults(json.clientExtensionResults);
      },
      toJSON: function () {
        return JSON.parse(JSON.stringify(json));
      },
    });
  }
  // The DOMException names WebAuthn and the bridge use (WebIDL §2.8.1 error names).
  var ERROR_NAMES = [
    'NotAllowedError',
    'InvalidStateError',
    'SecurityError',
    'NotSupportedError',
    'AbortError',
    'ConstraintError',
    'EncodingError',
    'UnknownError',
    'TimeoutError',
    'DataError',
    'OperationError',
    'NetworkError',
  ];
  /** @param {ErrorJSON | null | undefined} e */
  function errorFrom(e) {
    var name = e && typeof e.name === 'string' ? e.name : 'UnknownError';
    var message = e && typeof e.message === 'string' ? e.message : 'softkey bridge error';
    return name === 'TypeError' ? new TypeError(message) : new DOMException(message, name);
  }
  // A binding call that rejects (the Node side threw): its WebAuthn name and message go through;
  // anything else (the binding gone, the page closing) is the bridge failing, NotAllowedError.
  /** @param {ErrorJSON | null | undefined} e */
  function rejectionFrom(e) {
    var name = e && typeof e.name === 'string' ? e.name : '';
    if (name === 'TypeError' || ERROR_NAMES.indexOf(name) >= 0) return errorFrom(e);
    var message = e && typeof e.message === 'string' && e.message ? ': ' + e.message : '';
    return new DOMException('the softkey bridge failed' + message, 'NotAllowedError');
  }

  // ---- channel to softkey --------------------------------------------------------------------------
  var counter = 0;
  function nonce() {
    var bytes = crypto.getRandomValues(new Uint8Array(18));
    return toB64u(bytes);
  }
  var prefix = nonce()
    .slice(0, 8)
    .replace(/[^A-Za-z0-9]/g, 'x');
  // The open (or opening) connection: its socket and the requests waiting for an answer on it. A
  // connection that closes fails only its own requests (a re-configured shim has a new one).
  /** @typedef {{ ws: WebSocket, waiting: { [id: string]: Waiter } }} Connection */
  /** @type {Connection | null} */
  var conn = null;
  /** @type {Promise<Connection> | null} */
  var opened = null;
  /**
   * @param {Connection} c
   * @param {DOMException} err
   */
  function failAll(c, err) {
    Object.keys(c.waiting).forEach(function (id) {
      var w = c.waiting[id];
      delete c.waiting[id];
      if (w) w.reject(err);
    });
  }
  function connect() {
    if (opened) return opened;
    var url = /** @type {{ kind: 'ws', url: string }} */ (settings.channel).url;
    /** @type {Promise<Connection>} */
    var mine = (opened = new Promise(function (resolve, reject) {
      /** @type {WebSocket} */
      var ws;
      try {
        if (!WS || !listen) throw new Error('no WebSocket');
        ws = new WS(url);
      } catch (e) {
        opened = null;
        reject(new DOMException('cannot reach the softkey bridge', 'NotAllowedError'));
        return;
      }
      var ready = false;
      /** @type {Connection} */
      var c = { ws: ws, waiting: {} };
      apply(listen, ws, [
        'open',
        function () {
          ready = true;
          if (opened === mine) conn = c;
          else if (wsClose) apply(wsClose, ws, []); // re-configured meanwhile
          resolve(c);
        },
      ]);
      apply(listen, ws, [
        'message',
        function (/** @type {Event} */ ev) {
          /** @type {Reply | null} */
          var reply;
          try {
            // A 'message' listener is given MessageEvents; JSON.parse reads its data as a string.
            reply = JSON.parse(String(apply(messageData, /** @type {MessageEvent} */ (ev), [])));
          } catch (e) {
            return;
          }
          var w = reply && c.waiting[reply.id];
          if (!reply || !w) return;
          delete c.waiting[reply.id];
          if (reply.ok) w.resolve(reply.credential !== undefined ? reply.credential : reply.value);
          else w.reject(errorFrom(reply.error));
        },
      ]);
      apply(listen, ws, [
        'close',
        function () {
          if (conn === c) conn = null;
          if (opened === mine) opened = null;
          var err = new DOMException(
            ready
              ? 'the softkey bridge closed the connection'
              : 'the softkey bridge refused the connection (origin or token)',
            'NotAllowedError',
          );
          if (!ready) reject(err);
          failAll(c, err);
        },
      ]);
    }));
    return opened;
  }
  /**
   * Sends one message over the WebSocket; `w`, when given, waits for the answer to `message.id`.
   * On an open connection it goes at once (no promise turn: each costs a get() in some engines).
   * @param {BridgeMessage} message
   * @param {Waiter} [w]
   * @returns {Connection | Promise<Connection>} the connection it went on
   */
  function sendOverSocket(message, w) {
    /** @param {Connection} c */
    var sendOn = function (c) {
      if (w) c.waiting[message.id] = w;
      if (wsSend) apply(wsSend, c.ws, [JSON.stringify(message)]); // a connection exists only where WS does
      return c;
    };
    return conn ? sendOn(conn) : connect().then(sendOn);
  }
  /**
   * Calls the binding with one message; resolves to the reply, as JSON text on a `json` channel
   * (read it with replyOf, in the same turn: one promise turn fewer per call).
   * @param {BridgeMessage} message
   * @returns {Promise<unknown>}
   */
  function post(message) {
    var channel = /** @type {{ kind: 'binding', name: string, json?: boolean }} */ (settings.channel);
    var fn = globalNamed(channel.name);
    if (typeof fn !== 'function')
      return Promise.reject(new DOMException('softkey is not attached to this page', 'NotAllowedError'));
    return fn(channel.json ? JSON.stringify(message) : message);
  }
  /**
   * @param {unknown} raw what the binding resolved to
   * @returns {Reply | undefined}
   */
  function replyOf(raw) {
    return typeof raw === 'string' ? JSON.parse(raw) : /** @type {Reply | undefined} */ (raw);
  }
  // Whether this document is not same-origin with all its ancestors (L3 §5.9, §5.8.1 crossOrigin).
  function crossOriginFrame() {
    if (window.top === window) return false;
    try {
      for (var w = /** @type {Window} */ (window); w !== w.top; w = w.parent)
        if (w.parent.location.origin !== location.origin) return true;
      return false;
    } catch (e) {
      return true;
    }
  }

  // ---- cross-origin frames over the WebSocket (permissionsPolicy.ts) --------------------------------
  // Through a binding softkey reads the embedding iframes itself (playwright.ts). Over a WebSocket it
  // sees only this document's origin, so the frame asks its parent window; the parent's shim hands
  // softkey the iframe's allow attribute, and softkey records a one-time grant the request then names.
  // The answer comes back on a MessageChannel; the request is taken by the parent's shim before
  // any listener of the page's own (capture, registered first, stopImmediatePropagation).
  /**
   * @param {string} feature
   * @returns {Promise<string>} the grant's nonce
   */
  function askGrant(feature) {
    return new Promise(function (resolve, reject) {
      var id = nonce();
      var channel = new MessageChannel();
      var timer = setTimeout(function () {
        channel.port1.close();
        reject(
          new DOMException(
            'the embedding page did not answer (softkey is not in it): ' + feature + ' not granted',
            'NotAllowedError',
          ),
        );
      }, 10000);
      channel.port1.onmessage = function (ev) {
        clearTimeout(timer);
        channel.port1.close();
        var r = ev.data || {};
        if (r.ok === true) resolve(id);
        else reject(errorFrom(r.error));
      };
      window.parent.postMessage({ softkeyGrant: { nonce: id, feature: feature } }, '*', [channel.port2]);
    });
  }
  /**
   * @param {MessageEvent} e
   * @param {MessagePort} port
   */
  function giveGrant(e, port) {
    var req = e.data.softkeyGrant;
    /** @param {{ ok: boolean, error?: ErrorJSON }} r */
    var answer = function (r) {
      port.postMessage(r);
      port.close();
    };
    /** @param {string} text */
    var refuse = function (text) {
      answer({ ok: false, error: { name: 'NotAllowedError', message: text } });
    };
    if (
      typeof req.nonce !== 'string' ||
      (req.feature !== 'publickey-credentials-create' && req.feature !== 'publickey-credentials-get')
    ) {
      refuse('malformed softkey grant request');
      return;
    }
    if (settings.channel.kind !== 'ws') {
      refuse('softkey reaches this page through a binding, not the bridge');
      return;
    }
    var frames = document.querySelectorAll('iframe, frame');
    /** @type {HTMLIFrameElement | null} */
    var frame = null;
    for (var i = 0; i < frames.length; i++) {
      var candidate = /** @type {HTMLIFrameElement} */ (frames[i]);
      if (candidate.contentWindow === e.source) frame = candidate;
    }
    if (!frame) {
      refuse('not a frame of the embedding page');
      return;
    }
    const asking = frame;
    /** @type {Promise<string | undefined>} */
    var standing = crossOriginFrame() ? askGrant(req.feature) : Promise.resolve(undefined);
    standing
      .then(function (via) {
        /** @type {JsonObject} */
        var extra = {
          nonce: req.nonce,
          frameOrigin: e.origin,
          feature: req.feature,
          allow: asking.getAttribute('allow'),
        };
        if (via !== undefined) extra.via = via;
        return call('grant', undefined, undefined, undefined, extra);
      })
      .then(
        function () {
          answer({ ok: true });
        },
        function (err) {
          answer({ ok: false, error: { name: err.name, message: err.message } });
        },
      );
  }
  window.addEventListener(
    'message',
    function (e) {
      var d = e.data;
      if (
        !d ||
        typeof d !== 'object' ||
        !d.softkeyGrant ||
        typeof d.softkeyGrant !== 'object' ||
        !e.ports ||
        !e.ports[0]
      )
        return;
      e.stopImmediatePropagation();
      giveGrant(e, e.ports[0]);
    },
    true,
  );

  /**
   * One request to softkey: a ceremony (create, get) resolves with a PublicKeyCredential, the others
   * with softkey's value.
   * @param {string} type
   * @param {unknown} options
   * @param {AbortSignal} [signal]
   * @param {unknown} [mediation]
   * @param {JsonObject} [extra] members added to the message
   * @returns {Promise<unknown>}
   */
  function call(type, options, signal, mediation, extra) {
    return new Promise(function (resolve, reject) {
      if (signal && signal.aborted) {
        reject(signal.reason);
        return;
      }
      var ceremony = type === 'create' || type === 'get';
      var overSocket = settings.channel.kind === 'ws';
      if (overSocket && !ceremony && type !== 'grant' && crossOriginFrame()) {
        reject(new DOMException('softkey does not serve cross-origin frames', 'NotAllowedError'));
        return;
      }
      var id = prefix + '-' + ++counter;
      var done = false;
      var sent = false;
      /** @type {Connection | Promise<Connection> | null} */
      var onSocket = null;
      var onAbort = function () {
        if (done) return;
        done = true;
        if (!sent) {
          reject(/** @type {AbortSignal} */ (signal).reason); // listened to only on a signal
          return;
        }
        if (overSocket && onSocket) {
          /** @param {Connection} c */
          var abortOn = function (c) {
            delete c.waiting[id];
            if (wsSend) apply(wsSend, c.ws, [JSON.stringify({ type: 'abort', id: id })]);
          };
          if (onSocket instanceof Promise) onSocket.then(abortOn, function () {});
          else abortOn(onSocket);
        } else if (!overSocket) post({ type: 'abort', id: id }).catch(function () {});
        reject(/** @type {AbortSignal} */ (signal).reason);
      };
      /**
       * @param {boolean} ok
       * @param {unknown} value softkey's value, or the error
       */
      var finish = function (ok, value) {
        if (done) return;
        done = true;
        if (signal) signal.removeEventListener('abort', onAbort);
        if (!ok) {
          reject(value);
          return;
        }
        if (!ceremony) {
          resolve(value);
          return;
        }
        try {
          resolve(credentialFrom(/** @type {CredentialJSON} */ (value), type)); // a ceremony's value
        } catch (e) {
          reject(e);
        }
      };
      if (signal) signal.addEventListener('abort', onAbort);
      /** @type {BridgeMessage} */
      var message = { type: type, id: id, origin: location.origin, options: options };
      if (mediation !== undefined) message.mediation = mediation;
      if (extra)
        Object.keys(extra).forEach(function (k) {
          message[k] = extra[k];
        });
      var send = function () {
        if (done) return;
        sent = true;
        if (settings.channel.kind === 'binding') {
          post(message).then(
            function (raw) {
              /** @type {Reply | undefined} */
              var reply;
              try {
                reply = replyOf(raw);
              } catch (e) {
                finish(false, new DOMException('the softkey bridge sent an unreadable reply', 'NotAllowedError'));
                return;
              }
              if (reply && reply.ok) finish(true, reply.credential !== undefined ? reply.credential : reply.value);
              else finish(false, errorFrom(reply && reply.error));
            },
            function (e) {
              finish(false, rejectionFrom(e));
            },
          );
        } else {
          onSocket = sendOverSocket(message, {
            resolve: function (c) {
              finish(true, c);
            },
            reject: function (e) {
              finish(false, e);
            },
          });
          if (onSocket instanceof Promise)
            onSocket.catch(function (e) {
              finish(false, e);
            });
        }
      };
      if (overSocket && ceremony && crossOriginFrame()) {
        askGrant(type === 'create' ? 'publickey-credentials-create' : 'publickey-credentials-get').then(
          function (grant) {
            message.grant = grant;
            send();
          },
          function (e) {
            finish(false, e);
          },
        );
      } else send();
    });
  }

  // ---- navigator.credentials ---------------------------------------------------------------------
  /**
   * @param {object} obj
   * @param {string} name
   * @param {Function} fn
   */
  function replace(obj, name, fn) {
    Object.defineProperty(obj, name, { value: fn, writable: true, configurable: true, enumerable: false });
  }
  // The browser's own create/get of each container prototype wrapped, kept once (wrapping is idempotent).
  /** @type {WeakMap<object, Natives>} */
  var natives = new WeakMap();
  /** @type {Natives | null} */
  var firstNatives = null;
  /**
   * @param {CredentialsContainer | undefined} self
   * @param {'create' | 'get'} name
   */
  function nativeOf(self, name) {
    var n = (self && natives.get(Object.getPrototypeOf(self))) || firstNatives;
    if (!n) throw new TypeError('Illegal invocation'); // create/get are installed only after firstNatives is set
    return n[name];
  }
  /**
   * @this {CredentialsContainer | undefined}
   * @param {CredentialCreationOptions & { mediation?: CredentialMediationRequirement }} [options]
   */
  function create(options) {
    if (!options || options.publicKey === undefined) return nativeOf(this, 'create').apply(this, arguments);
    var json;
    try {
      json = creationJSON(options.publicKey);
    } catch (e) {
      return Promise.reject(e);
    }
    return call('create', json, options.signal, options.mediation);
  }
  /**
   * @this {CredentialsContainer | undefined}
   * @param {CredentialRequestOptions} [options]
   */
  function get(options) {
    if (!options || options.publicKey === undefined) return nativeOf(this, 'get').apply(this, arguments);
    var json;
    try {
      json = requestJSON(options.publicKey);
    } catch (e) {
      return Promise.reject(e);
    }
    return call('get', json, options.signal, options.mediation);
  }
  function wrapContainer() {
    var container = navigator.credentials && Object.getPrototypeOf(navigator.credentials);
    if (!container || natives.has(container)) return;
    var n = { create: container.create, get: container.get };
    natives.set(container, n);
    if (!firstNatives) firstNatives = n;
    replace(container, 'create', create);
    replace(container, 'get', get);
  }
  wrapContainer();

  // ---- later installs ------------------------------------------------------------------------------
  /** @param {ShimConfig} next */
  function configure(next) {
    if (!next || !next.channel || (next.channel.kind !== 'ws' && next.channel.kind !== 'binding')) return;
    settings.uvpa = next.uvpa === true;
    if (JSON.stringify(next.channel) !== JSON.stringify(settings.channel)) {
      settings.channel = next.channel;
      opened = null;
      if (conn) {
        var old = conn;
        conn = null;
        if (wsClose) apply(wsClose, old.ws, []);
      }
    }
    wrapContainer();
  }
  Object.defineProperty(window, INSTALLED, { value: Object.freeze({ configure: configure }) });
  Object.defineProperty(window, '__softkeyShimInstalled', { value: true });

  // ---- PublicKeyCredential statics ---------------------------------------------------------------
  replace(PKC, 'isUserVerifyingPlatformAuthenticatorAvailable', function () {
    return Promise.resolve(settings.uvpa);
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
        userVerifyingPlatformAuthenticator: settings.uvpa,
        passkeyPlatformAuthenticator: settings.uvpa,
      };
    });
  });
  // L3 §5.1.10 signal methods: validated and applied in softkey; resolve with undefined.
  /** @type {[string, string][]} */
  var signals = [
    ['signalUnknownCredential', 'unknownCredential'],
    ['signalAllAcceptedCredentials', 'allAcceptedCredentials'],
    ['signalCurrentUserDetails', 'currentUserDetails'],
  ];
  signals.forEach(function (m) {
    replace(PKC, m[0], function (/** @type {unknown} */ options) {
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
