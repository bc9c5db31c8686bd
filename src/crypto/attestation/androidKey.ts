/**
 * WebAuthn L3 §8.4 Android Key Attestation Statement Format: the credential key's own certificate
 * carries the Android Keystore key description extension 1.3.6.1.4.1.11129.2.1.17 (Android "Key and
 * ID attestation" schema, encoded with @peculiar/asn1-android) and sig is the credential key's
 * signature over authenticatorData ‖ clientDataHash. §8.4.1 fields an RP checks:
 * attestationChallenge = clientDataHash; no allApplications in either list; origin
 * KM_ORIGIN_GENERATED and purpose KM_PURPOSE_SIGN (here in teeEnforced). x5c is leaf →
 * intermediate → root, as Android sends its whole chain.
 */
import type { KeyDescription } from '@peculiar/asn1-android';
import type { Encodable } from '../../encoding/cbor.js';
import type { CoseKey, CredentialAlg } from '../../encoding/cose.js';
import { asn1Android, asn1Schema, peculiarX509 } from '../x509.js';
import { issueCertificate, type AttestationAuthority, type LeafOptions } from './certificates.js';

/** Keymaster tag values (hardware/interfaces/keymaster 4.0 types.hal). */
export const KM = {
  PURPOSE_SIGN: 2,
  ALGORITHM_RSA: 1,
  ALGORITHM_EC: 3,
  DIGEST_SHA_2_256: 4,
  EC_CURVE_P_256: 1,
  EC_CURVE_25519: 4,
  ORIGIN_GENERATED: 0,
} as const;

export function keyDescription(o: {
  clientDataHash: Uint8Array;
  publicKey: CoseKey;
  createdAt: number;
}): KeyDescription {
  const { AuthorizationList, IntegerSet, KeyDescription, RootOfTrust, SecurityLevel, Version, VerifiedBootState } =
    asn1Android();
  const { OctetString } = asn1Schema();
  const keyFacts =
    o.publicKey.kty === 'RSA'
      ? { algorithm: KM.ALGORITHM_RSA, keySize: o.publicKey.n.length * 8 }
      : {
          algorithm: KM.ALGORITHM_EC,
          keySize: 256,
          ecCurve: o.publicKey.kty === 'EC2' ? KM.EC_CURVE_P_256 : KM.EC_CURVE_25519,
        };
  return new KeyDescription({
    attestationVersion: Version.KM4,
    attestationSecurityLevel: SecurityLevel.trustedEnvironment,
    keymasterVersion: 41,
    keymasterSecurityLevel: SecurityLevel.trustedEnvironment,
    attestationChallenge: new OctetString(o.clientDataHash),
    uniqueId: new OctetString(new Uint8Array(0)),
    softwareEnforced: new AuthorizationList({ creationDateTime: o.createdAt }),
    teeEnforced: new AuthorizationList({
      purpose: new IntegerSet([KM.PURPOSE_SIGN]),
      ...keyFacts,
      digest: new IntegerSet([KM.DIGEST_SHA_2_256]),
      origin: KM.ORIGIN_GENERATED,
      rootOfTrust: new RootOfTrust({
        verifiedBootKey: new OctetString(new Uint8Array(32)),
        deviceLocked: true,
        verifiedBootState: VerifiedBootState.verified,
      }),
    }),
  });
}

/** §8.4: a certificate for this credential key with the key description, and sig by the credential key. */
export async function androidKeyStatement(
  authority: AttestationAuthority,
  o: LeafOptions & {
    alg: CredentialAlg;
    publicKey: CoseKey;
    clientDataHash: Uint8Array;
    sig: Uint8Array;
    createdAt: number;
  },
): Promise<Map<string, Encodable>> {
  const { id_ce_keyDescription } = asn1Android();
  const description = new (peculiarX509().Extension)(
    id_ce_keyDescription,
    false,
    asn1Schema().AsnConvert.serialize(keyDescription(o)),
  );
  const leaf = await issueCertificate({
    subject: 'CN=Android Keystore Key',
    publicKey: o.publicKey,
    issuer: authority.intermediate,
    random: o.random,
    notBefore: o.notBefore,
    extensions: [description],
  });
  return new Map<string, Encodable>([
    ['alg', o.alg],
    ['sig', o.sig],
    ['x5c', [leaf, authority.intermediate.certificate, authority.root.certificate]],
  ]);
}
