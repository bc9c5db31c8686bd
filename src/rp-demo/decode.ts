/**
 * Readable decoding of what registration produced (WebAuthn L3 §6.1 authenticator data, §6.5
 * attestation object, §5.8.1 client data, RFC 9052/9053 COSE_Key), for the demo's result page.
 * Decoding is done by @simplewebauthn/server's helpers, not by softkey code.
 */
import { X509Certificate } from 'node:crypto';
import {
  convertAAGUIDToString,
  decodeAttestationObject,
  decodeClientDataJSON,
  decodeCredentialPublicKey,
  isoBase64URL,
  parseAuthenticatorData,
} from '@simplewebauthn/server/helpers';

/** A labelled value: [label, value, note?]. */
export type Row = [string, string, string?];

export interface DecodedRegistration {
  clientData: Row[];
  attestation: Row[];
  authenticatorData: Row[];
  flags: Array<{ name: string; bit: number; set: boolean; meaning: string }>;
  publicKey: Row[];
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

export const COSE_ALGORITHMS: Record<number, string> = {
  [-7]: 'ES256 (ECDSA P-256, SHA-256)',
  [-8]: 'EdDSA (Ed25519)',
  [-257]: 'RS256 (RSASSA-PKCS1-v1_5, SHA-256)',
  [-35]: 'ES384',
  [-36]: 'ES512',
};
const KTY: Record<number, string> = { 1: 'OKP', 2: 'EC2', 3: 'RSA' };
const CRV: Record<number, string> = { 1: 'P-256', 2: 'P-384', 3: 'P-521', 6: 'Ed25519' };

const FLAG_BITS = [
  ['UP', 0, 'user present'],
  ['UV', 2, 'user verified'],
  ['BE', 3, 'backup eligible'],
  ['BS', 4, 'backed up'],
  ['AT', 6, 'attested credential data included'],
  ['ED', 7, 'extension data included'],
] as const;

export function decodeFlags(flagsInt: number): DecodedRegistration['flags'] {
  return FLAG_BITS.map(([name, bit, meaning]) => ({ name, bit, set: (flagsInt & (1 << bit)) !== 0, meaning }));
}

export function decodePublicKey(coseKey: Uint8Array): Row[] {
  const map = decodeCredentialPublicKey(new Uint8Array(coseKey)) as unknown as Map<number, unknown>;
  const rows: Row[] = [];
  const kty = map.get(1) as number;
  const alg = map.get(3) as number;
  rows.push(['kty (1)', `${kty}`, KTY[kty] ?? 'unknown']);
  rows.push(['alg (3)', `${alg}`, COSE_ALGORITHMS[alg] ?? 'unknown']);
  if (kty === 3) {
    const n = map.get(-1) as Uint8Array;
    rows.push(['n (-1)', hex(n), `${n.length * 8}-bit modulus`]);
    rows.push(['e (-2)', hex(map.get(-2) as Uint8Array)]);
  } else {
    const crv = map.get(-1) as number;
    rows.push(['crv (-1)', `${crv}`, CRV[crv] ?? 'unknown']);
    rows.push(['x (-2)', hex(map.get(-2) as Uint8Array)]);
    if (map.has(-3)) rows.push(['y (-3)', hex(map.get(-3) as Uint8Array)]);
  }
  return rows;
}

export function decodeAuthenticatorData(authData: Uint8Array): {
  rows: Row[];
  flags: DecodedRegistration['flags'];
  publicKey: Row[];
} {
  const p = parseAuthenticatorData(new Uint8Array(authData));
  const rows: Row[] = [
    ['rpIdHash', hex(p.rpIdHash), 'SHA-256 of the RP ID'],
    [
      'flags',
      `0x${p.flags.flagsInt.toString(16).padStart(2, '0')}`,
      FLAG_BITS.filter(([, bit]) => p.flags.flagsInt & (1 << bit))
        .map(([n]) => n)
        .join(' ') || 'none',
    ],
    ['signCount', `${p.counter}`],
  ];
  if (p.aaguid) rows.push(['AAGUID', convertAAGUIDToString(p.aaguid)]);
  if (p.credentialID)
    rows.push(['credentialId', isoBase64URL.fromBuffer(p.credentialID), `${p.credentialID.length} bytes`]);
  if (p.extensionsData)
    rows.push([
      'extensions',
      JSON.stringify(p.extensionsData, (_k, v: unknown) => (v instanceof Uint8Array ? hex(v) : v)),
    ]);
  return {
    rows,
    flags: decodeFlags(p.flags.flagsInt),
    publicKey: p.credentialPublicKey ? decodePublicKey(p.credentialPublicKey) : [],
  };
}

function certificateRows(x5c: Uint8Array[]): Row[] {
  return x5c.map((der, i) => {
    try {
      const cert = new X509Certificate(Buffer.from(der));
      return [
        `x5c[${i}]`,
        cert.subject.replace(/\n/g, ', '),
        `issuer ${cert.issuer.replace(/\n/g, ', ')}; valid ${cert.validFrom} – ${cert.validTo}`,
      ] as Row;
    } catch {
      return [`x5c[${i}]`, `${der.length} bytes`, 'not a parsable X.509 certificate'] as Row;
    }
  });
}

export function decodeRegistration(response: {
  clientDataJSON: string;
  attestationObject: string;
}): DecodedRegistration {
  const clientData = decodeClientDataJSON(response.clientDataJSON) as unknown as Record<string, unknown>;
  const attObj = decodeAttestationObject(isoBase64URL.toBuffer(response.attestationObject));
  const fmt = attObj.get('fmt');
  const attStmt = attObj.get('attStmt');
  const attestation: Row[] = [['fmt', fmt]];
  const alg = attStmt.get('alg');
  if (alg !== undefined) attestation.push(['attStmt.alg', `${alg}`, COSE_ALGORITHMS[alg] ?? '']);
  const sig = attStmt.get('sig');
  if (sig) attestation.push(['attStmt.sig', hex(sig), `${sig.length} bytes`]);
  const x5c = attStmt.get('x5c');
  if (x5c) attestation.push(...certificateRows(x5c));
  if (attStmt.size === 0) attestation.push(['attStmt', '{}', 'no attestation statement']);
  const auth = decodeAuthenticatorData(attObj.get('authData'));
  return {
    clientData: Object.entries(clientData).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)] as Row),
    attestation,
    authenticatorData: auth.rows,
    flags: auth.flags,
    publicKey: auth.publicKey,
  };
}
