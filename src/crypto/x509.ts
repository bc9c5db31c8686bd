/**
 * @peculiar/x509 and the ASN.1 schema packages, loaded on first use. Together they are about 220
 * CommonJS modules and a third of a device's start-up CPU, which a process that makes no certificate
 * does not need to pay: a device restarted on a data dir that already holds its attestation identity,
 * the split-mode front, most CLI commands and most test files. All four packages are CommonJS
 * without an `exports` map, so require() returns the very module objects an `import` would have.
 */
import { webcrypto } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as X509 from '@peculiar/x509';
import type * as Asn1Android from '@peculiar/asn1-android';
import type * as Asn1Schema from '@peculiar/asn1-schema';
import type * as Asn1X509 from '@peculiar/asn1-x509';

const require = createRequire(import.meta.url);
let x509Module: typeof X509 | undefined;

/** @peculiar/x509, with WebCrypto from node:crypto as its provider. */
export function peculiarX509(): typeof X509 {
  if (x509Module === undefined) {
    require('reflect-metadata'); // @peculiar/x509 (through tsyringe) needs the Reflect metadata polyfill
    const loaded = require('@peculiar/x509') as typeof X509;
    loaded.cryptoProvider.set(webcrypto as unknown as Crypto);
    x509Module = loaded;
  }
  return x509Module;
}

/** @peculiar/asn1-schema (AsnConvert, OctetString). */
export const asn1Schema = (): typeof Asn1Schema => require('@peculiar/asn1-schema') as typeof Asn1Schema;

/** @peculiar/asn1-x509 (Name, GeneralName, SubjectAlternativeName, OIDs). */
export const asn1X509 = (): typeof Asn1X509 => require('@peculiar/asn1-x509') as typeof Asn1X509;

/** @peculiar/asn1-android (the Android key attestation KeyDescription schema). */
export const asn1Android = (): typeof Asn1Android => require('@peculiar/asn1-android') as typeof Asn1Android;
