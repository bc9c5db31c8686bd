// jsdom under Jest lacks what @simplewebauthn/server (the relying party's side in these tests) needs
// from Node: TextEncoder/TextDecoder, WebCrypto and SubtleCrypto. softkey/testing itself needs none of them.
import { webcrypto } from 'node:crypto';
import { TextDecoder, TextEncoder } from 'node:util';

Object.assign(globalThis, { TextDecoder, TextEncoder, SubtleCrypto: webcrypto.subtle.constructor });
Object.defineProperty(globalThis, 'crypto', { value: webcrypto, configurable: true });
