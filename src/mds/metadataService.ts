/**
 * A local FIDO Metadata Service (issue 16): a metadata BLOB per FIDO MDS 3.0 (§3.1.6 payload:
 * legalHeader, no, nextUpdate, entries; §3.1.1 entries: aaguid, metadataStatement, statusReports,
 * timeOfLastStatusChange) with one metadata statement (FIDO Metadata Statement 3.0 §4) per device
 * profile: its AAGUID, this key's attestation root and the authenticatorGetInfo the profile answers.
 * Signed by an MDS authority kept in the key's vault (src/crypto/attestation/metadataBlob.ts); status
 * reports are set per profile or AAGUID (REVOKED, USER_VERIFICATION_BYPASS, …), so an RP's
 * metadata checks can be tested. `softkey mds` serves it or writes it (--out).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from '../crypto/aead.js';
import { certificatePem } from '../crypto/attestation/certificates.js';
import {
  createMetadataAuthority,
  signMetadataBlob,
  type MetadataAuthority,
} from '../crypto/attestation/metadataBlob.js';
import * as b64u from '../encoding/base64url.js';
import { CoseAlg } from '../encoding/cose.js';
import { hostAllowed } from '../encoding/webGuard.js';
import type { Vault } from '../store/vault.js';
import { formatHostPort, parseHostPort } from '../main/address.js';
import { readInfo } from '../main/operations.js';
import { BUILT_IN_PROFILES } from '../main/profiles.js';
import { openSoftKey, type SoftKey } from '../main/softkey.js';

/** FIDO MDS 3.0 §3.1.4 AuthenticatorStatus. */
export const AUTHENTICATOR_STATUSES = [
  'NOT_FIDO_CERTIFIED',
  'FIDO_CERTIFIED',
  'USER_VERIFICATION_BYPASS',
  'ATTESTATION_KEY_COMPROMISE',
  'USER_KEY_REMOTE_COMPROMISE',
  'USER_KEY_PHYSICAL_COMPROMISE',
  'UPDATE_AVAILABLE',
  'REVOKED',
  'SELF_ASSERTION_SUBMITTED',
  'FIDO_CERTIFIED_L1',
  'FIDO_CERTIFIED_L1plus',
  'FIDO_CERTIFIED_L2',
  'FIDO_CERTIFIED_L2plus',
  'FIDO_CERTIFIED_L3',
  'FIDO_CERTIFIED_L3plus',
] as const;
export type AuthenticatorStatus = (typeof AUTHENTICATOR_STATUSES)[number];

export class MdsError extends RangeError {
  override name = 'MdsError';
}

export interface MetadataBlobOptions {
  /** Status reports by profile name or AAGUID (UUID); default NOT_FIDO_CERTIFIED for every entry. */
  statuses?: Record<string, AuthenticatorStatus | readonly AuthenticatorStatus[]>;
  /** The BLOB's serial number (§3.1.6 no); default 1. */
  no?: number;
  /** Default: 30 days from now. */
  nextUpdate?: Date;
  /** The profiles with a statement; default every built-in profile. */
  profiles?: readonly string[];
}

export interface MetadataBlob {
  /** The BLOB (a JWT) as served by an MDS. */
  blob: string;
  /** The MDS root certificate (PEM) an RP trusts for metadata (SimpleWebAuthn: identifier 'mds'). */
  root: string;
  payload: MetadataPayload;
}

export interface MetadataPayload {
  legalHeader: string;
  no: number;
  nextUpdate: string;
  entries: Array<{
    aaguid: string;
    metadataStatement: Record<string, unknown>;
    statusReports: Array<{ status: string; effectiveDate: string }>;
    timeOfLastStatusChange: string;
  }>;
}

const LEGAL_HEADER = 'softkey test metadata for relying-party tests; not issued by the FIDO Alliance';

/** FIDO Registry of Predefined Values §3.6.1 authentication algorithm names of COSE algorithms. */
const ALG_NAMES: Record<number, string> = {
  [CoseAlg.ES256]: 'secp256r1_ecdsa_sha256_raw',
  [CoseAlg.ES384]: 'secp384r1_ecdsa_sha384_raw',
  [CoseAlg.ES512]: 'secp521r1_ecdsa_sha512_raw',
  [CoseAlg.EdDSA]: 'ed25519_eddsa_sha512_raw',
  [CoseAlg.RS256]: 'rsassa_pkcsv15_sha256_raw',
};

/** FIDO MDS upv of a CTAP getInfo version string. */
const UPV: Record<string, { major: number; minor: number }> = {
  FIDO_2_0: { major: 1, minor: 0 },
  FIDO_2_1_PRE: { major: 1, minor: 1 },
  FIDO_2_1: { major: 1, minor: 1 },
  FIDO_2_2: { major: 1, minor: 2 },
  FIDO_2_3: { major: 1, minor: 3 },
};

const uuid = (hex: string) => hex.replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
const day = (d: Date) => d.toISOString().slice(0, 10);
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

const VAULT_NAMES = [
  'mds-root-key',
  'mds-root-certificate',
  'mds-ca-key',
  'mds-ca-certificate',
  'mds-signer-key',
  'mds-signer-certificate',
];

/** The key's MDS authority, made once and kept in its vault (encrypted at rest). */
async function metadataAuthority(vault: Vault): Promise<MetadataAuthority> {
  const stored = VAULT_NAMES.map((n) => vault.get(n));
  if (stored.every((v) => v !== undefined)) {
    const [rk, rc, ck, cc, sk, sc] = stored;
    return {
      root: { alg: CoseAlg.ES256, secret: rk!, certificate: rc! },
      intermediate: { alg: CoseAlg.ES256, secret: ck!, certificate: cc! },
      signer: { alg: CoseAlg.RS256, secret: sk!, certificate: sc! },
    };
  }
  const a = await createMetadataAuthority({ random: randomBytes, notBefore: new Date(Date.now() - 24 * 3600 * 1000) });
  const values = [a.root, a.intermediate, a.signer].flatMap((k) => [k.secret, k.certificate]);
  VAULT_NAMES.forEach((n, i) => vault.set(n, values[i]!));
  return a;
}

/** authenticatorGetInfo as the metadata statement's authenticatorGetInfo member (§4: names, AAGUID in hex). */
async function getInfoOf(key: SoftKey): Promise<Record<string, unknown>> {
  const json = await readInfo(key);
  for (const [k, v] of Object.entries(json)) if (v instanceof Uint8Array) json[k] = b64u.encode(v);
  return json;
}

function statement(
  profile: string,
  getInfo: Record<string, unknown>,
  roots: readonly Uint8Array[],
): Record<string, unknown> {
  const spec = BUILT_IN_PROFILES.get(profile);
  const options = (getInfo.options ?? {}) as Record<string, boolean>;
  const offered = (getInfo.algorithms ?? [{ alg: CoseAlg.ES256 }]) as Array<{ alg: number }>;
  const algorithms = offered.map((a) => ALG_NAMES[a.alg]).filter(Boolean);
  const platform = options.plat === true || ((getInfo.transports ?? []) as string[]).includes('internal');
  return {
    legalHeader: LEGAL_HEADER,
    aaguid: uuid(getInfo.aaguid as string),
    description: `softkey, profile ${profile}${spec?.description ? `: ${spec.description}` : ''}`,
    authenticatorVersion: getInfo.firmwareVersion ?? 1,
    protocolFamily: 'fido2',
    schema: 3,
    upv: ((getInfo.versions ?? []) as string[]).flatMap((v) => (UPV[v] ? [UPV[v]] : [])),
    authenticationAlgorithms: algorithms,
    publicKeyAlgAndEncodings: ['cose'],
    attestationTypes: ['basic_full', 'self', 'attca', 'anonca', 'none'],
    userVerificationDetails: [
      [{ userVerificationMethod: 'presence_internal' }],
      ...(options.clientPin !== undefined ? [[{ userVerificationMethod: 'passcode_external' }]] : []),
      ...(options.uv !== undefined ? [[{ userVerificationMethod: 'fingerprint_internal' }]] : []),
    ],
    keyProtection: ['software'],
    matcherProtection: ['software'],
    cryptoStrength: 128,
    attachmentHint: platform ? ['internal'] : ['external', 'wired'],
    tcDisplay: [],
    attestationRootCertificates: roots.map(b64),
    authenticatorGetInfo: getInfo,
  };
}

/**
 * The metadata BLOB for `key`: a statement per profile (and for the key's own AAGUID when no
 * profile has it), its attestation root, signed by its MDS authority. One entry per AAGUID (§3.1.1):
 * profiles sharing an AAGUID (default and ctap20) share the first one's statement.
 */
export async function metadataBlob(key: SoftKey, options: MetadataBlobOptions = {}): Promise<MetadataBlob> {
  const der = (pem: string) => new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64'));
  const roots = (await key.control.attestationRoots()).roots.map(der);
  const profiles = options.profiles ?? [...BUILT_IN_PROFILES.keys()];
  const statements = new Map<string, { names: string[]; statement: Record<string, unknown> }>();
  for (const profile of profiles) {
    if (!BUILT_IN_PROFILES.has(profile)) {
      throw new MdsError(`unknown profile "${profile}" (known: ${[...BUILT_IN_PROFILES.keys()].join(', ')})`);
    }
    const temp = await openSoftKey({ dataDir: ':memory:', profile });
    try {
      const s = statement(profile, await getInfoOf(temp), roots);
      const id = s.aaguid as string;
      statements.set(id, {
        names: [...(statements.get(id)?.names ?? []), profile],
        statement: statements.get(id)?.statement ?? s,
      });
    } finally {
      await temp.close();
    }
  }
  const own = statement('default', await getInfoOf(key), roots);
  if (!statements.has(own.aaguid as string))
    statements.set(own.aaguid as string, { names: ['this key'], statement: own });

  const known = new Set([...statements.values()].flatMap((s) => s.names).concat([...statements.keys()]));
  for (const [name, value] of Object.entries(options.statuses ?? {})) {
    if (!known.has(name.toLowerCase()) && !known.has(name)) {
      throw new MdsError(`no statement for "${name}" (a profile name or an AAGUID of the BLOB)`);
    }
    for (const s of [value].flat()) {
      if (!(AUTHENTICATOR_STATUSES as readonly string[]).includes(s)) {
        throw new MdsError(`unknown status "${s}" (FIDO MDS 3.0: ${AUTHENTICATOR_STATUSES.join(', ')})`);
      }
    }
  }
  const today = day(new Date());
  const entries = [...statements].map(([aaguid, { names, statement: metadataStatement }]) => {
    const set = [...names, aaguid].map((n) => options.statuses?.[n]).find((s) => s !== undefined);
    const statuses = set === undefined ? ['NOT_FIDO_CERTIFIED'] : [set].flat();
    const statusReports = statuses.map((status) => ({ status, effectiveDate: today }));
    return { aaguid, metadataStatement, statusReports, timeOfLastStatusChange: today };
  });
  const no = options.no ?? 1;
  if (!Number.isInteger(no) || no < 1) throw new MdsError('no must be a whole number ≥ 1');
  const payload: MetadataPayload = {
    legalHeader: LEGAL_HEADER,
    no,
    nextUpdate: day(options.nextUpdate ?? new Date(Date.now() + 30 * 24 * 3600 * 1000)),
    entries,
  };
  const authority = await metadataAuthority(key.device.vault);
  return { blob: signMetadataBlob(authority, payload), root: certificatePem(authority.root.certificate), payload };
}

export interface MetadataServiceServer {
  /** Where the BLOB is served (an unguessable path on loopback). */
  readonly url: string;
  /** The MDS root (PEM), also served at url + '/root.pem'. */
  readonly root: string;
  /** Sets (or with undefined clears) a profile's or AAGUID's status reports; the next BLOB has a higher no. */
  setStatus(
    profileOrAaguid: string,
    status: AuthenticatorStatus | readonly AuthenticatorStatus[] | undefined,
  ): Promise<void>;
  close(): Promise<void>;
}

/** Serves the BLOB over HTTP on loopback (default 127.0.0.1, a free port), Host-checked, at a random path. */
export async function startMetadataService(
  key: SoftKey,
  options: MetadataBlobOptions & { listen?: string } = {},
): Promise<MetadataServiceServer> {
  const statuses: Record<string, AuthenticatorStatus | readonly AuthenticatorStatus[]> = { ...options.statuses };
  let no = options.no ?? 1;
  let current = await metadataBlob(key, { ...options, statuses, no });
  const token = b64u.encode(randomBytes(18));
  const listen = parseHostPort(options.listen ?? '127.0.0.1:0', '--listen');
  let port = 0;
  const server: Server = createServer((req, res) => {
    if (!hostAllowed(req.headers.host, port, [listen.host])) {
      res.writeHead(421, { 'content-type': 'text/plain' }).end('the Host header does not name this server\n');
      return;
    }
    if (req.method !== 'GET') return void res.writeHead(405).end();
    if (req.url === `/${token}`)
      return void res.writeHead(200, { 'content-type': 'application/jwt' }).end(current.blob);
    if (req.url === `/${token}/root.pem`)
      return void res.writeHead(200, { 'content-type': 'application/x-pem-file' }).end(current.root);
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://${formatHostPort({ host: listen.host, port })}/${token}`,
    root: current.root,
    async setStatus(name, status) {
      if (status === undefined) delete statuses[name];
      else statuses[name] = status;
      current = await metadataBlob(key, { ...options, statuses, no: ++no });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
