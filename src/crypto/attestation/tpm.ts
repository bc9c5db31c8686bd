/**
 * WebAuthn L3 §8.3 TPM Attestation Statement Format, ver "2.0": pubArea is the credential key's
 * TPMT_PUBLIC and certInfo a TPMS_ATTEST of type TPM_ST_ATTEST_CERTIFY (TPM 2.0 Library Part 2
 * §12.2.4, §10.12.8, §10.12.12) whose extraData is the hash of authenticatorData ‖ clientDataHash
 * and whose attested name is nameAlg ‖ H(pubArea); sig is the AIK's signature over certInfo.
 * The AIK certificate follows §8.3.1 "TPM Attestation Statement Certificate Requirements": version
 * 3, empty Subject, a critical subjectAltName directoryName with tcg-at-tpmManufacturer, -Model and
 * -Version (TCG EK Credential Profile §3.2.9), extKeyUsage tcg-kp-AIKCertificate 2.23.133.8.3,
 * basicConstraints cA FALSE, and the AAGUID extension.
 */
import type { Name } from '@peculiar/asn1-x509';
import { concat, u16be, u32be } from '../../encoding/bytes.js';
import type { Encodable } from '../../encoding/cbor.js';
import { CoseAlg, type CoseKey } from '../../encoding/cose.js';
import { publicKeyOfSecret, signWithSecret } from '../credentialKeys.js';
import { sha256 } from '../hash.js';
import { asn1Schema, asn1X509, peculiarX509 } from '../x509.js';
import {
  certifiedKey,
  issueCertificate,
  type AttestationAuthority,
  type CertifiedKey,
  type LeafOptions,
} from './certificates.js';
import { aaguidExtension } from './packed.js';

/** TPM 2.0 Part 2 §6 constants (the spec's names). */
export const TPM_ALG = { RSA: 0x0001, SHA256: 0x000b, NULL: 0x0010, ECC: 0x0023 } as const;
export const TPM_ECC_NIST_P256 = 0x0003;
export const TPM_GENERATED_VALUE = 0xff544347;
export const TPM_ST_ATTEST_CERTIFY = 0x8017;
/** TPMA_OBJECT: fixedTPM | fixedParent | sensitiveDataOrigin | userWithAuth | noDA | sign. */
const OBJECT_ATTRIBUTES = (1 << 1) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 10) | (1 << 18);
export const OID_TCG_KP_AIK_CERTIFICATE = '2.23.133.8.3';
export const OID_TCG_AT_TPM = { manufacturer: '2.23.133.2.1', model: '2.23.133.2.2', version: '2.23.133.2.3' } as const;
/** The FIDO Alliance's conformance-test TPM vendor ID (TCG vendor ID registry style "id:XXXXXXXX"). */
export const TPM_MANUFACTURER = 'id:FFFFF1D0';

/** The credential algorithms a TPM attests here: RSA and NIST P-256 keys (Ed25519 has no TPMT_PUBLIC form in 2.0). */
export const TPM_ALGORITHMS: number[] = [CoseAlg.ES256, CoseAlg.RS256];

const tpm2b = (b: Uint8Array) => concat(u16be(b.length), b);
const u64be = (n: bigint) => {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, n);
  return out;
};

/** TPMT_PUBLIC of a credential key (symmetric and scheme TPM_ALG_NULL: an unrestricted signing key). */
export function tpmtPublic(key: CoseKey): Uint8Array {
  const head = (type: number) =>
    concat(u16be(type), u16be(TPM_ALG.SHA256), u32be(OBJECT_ATTRIBUTES), tpm2b(new Uint8Array(0)));
  if (key.kty === 'RSA') {
    // exponent 0 means the default 2^16 + 1 (Part 2 §12.2.3.5); other exponents are written out.
    const e = key.e.reduce((acc, b) => acc * 256 + b, 0);
    const params = concat(
      u16be(TPM_ALG.NULL),
      u16be(TPM_ALG.NULL),
      u16be(key.n.length * 8),
      u32be(e === 65537 ? 0 : e),
    );
    return concat(head(TPM_ALG.RSA), params, tpm2b(key.n));
  }
  if (key.kty === 'EC2') {
    const params = concat(u16be(TPM_ALG.NULL), u16be(TPM_ALG.NULL), u16be(TPM_ECC_NIST_P256), u16be(TPM_ALG.NULL));
    return concat(head(TPM_ALG.ECC), params, tpm2b(key.x), tpm2b(key.y));
  }
  throw new Error('tpm attests RSA and P-256 credentials only');
}

/** TPMS_ATTEST for TPM2_Certify of the key whose TPMT_PUBLIC is pubArea. */
export function tpmsAttestCertify(o: {
  pubArea: Uint8Array;
  extraData: Uint8Array;
  signerName: Uint8Array;
  clock: bigint;
  firmwareVersion?: bigint;
}): Uint8Array {
  const name = concat(u16be(TPM_ALG.SHA256), sha256(o.pubArea));
  const clockInfo = concat(u64be(o.clock), u32be(1), u32be(0), new Uint8Array([1]));
  return concat(
    u32be(TPM_GENERATED_VALUE),
    u16be(TPM_ST_ATTEST_CERTIFY),
    tpm2b(o.signerName),
    tpm2b(o.extraData),
    clockInfo,
    u64be(o.firmwareVersion ?? 0x0002000100000000n),
    tpm2b(name),
    tpm2b(name),
  );
}

function tcgDirectoryName(o: { manufacturer: string; model: string; version: string }): Name {
  const { AttributeTypeAndValue, AttributeValue, Name, RelativeDistinguishedName } = asn1X509();
  const rdn = (type: string, value: string) =>
    new RelativeDistinguishedName([
      new AttributeTypeAndValue({ type, value: new AttributeValue({ utf8String: value }) }),
    ]);
  const at = OID_TCG_AT_TPM;
  return new Name([rdn(at.manufacturer, o.manufacturer), rdn(at.model, o.model), rdn(at.version, o.version)]);
}

/** The AIK certificate (§8.3.1) for one AAGUID, issued by the intermediate CA. */
export function createAikLeaf(
  authority: AttestationAuthority,
  o: LeafOptions & { aaguid: Uint8Array },
): Promise<CertifiedKey> {
  const { GeneralName, SubjectAlternativeName, id_ce_subjectAltName } = asn1X509();
  const { AsnConvert } = asn1Schema();
  const x509 = peculiarX509();
  const directoryName = tcgDirectoryName({ manufacturer: TPM_MANUFACTURER, model: 'softkey', version: 'id:00020001' });
  const san = new SubjectAlternativeName([new GeneralName({ directoryName })]);
  return certifiedKey(CoseAlg.ES256, (publicKey) =>
    issueCertificate({
      subject: '',
      publicKey,
      issuer: authority.intermediate,
      random: o.random,
      notBefore: o.notBefore,
      extensions: [
        // RFC 5280 §4.2.1.6: with an empty subject the subjectAltName is critical.
        new x509.Extension(id_ce_subjectAltName, true, AsnConvert.serialize(san)),
        new x509.ExtendedKeyUsageExtension([OID_TCG_KP_AIK_CERTIFICATE], false),
        aaguidExtension(o.aaguid),
      ],
    }),
  );
}

/** §8.3 attestation statement: alg is the AIK's (ES256), extraData = SHA-256(authData ‖ clientDataHash). */
export function tpmStatement(
  aik: CertifiedKey,
  authority: AttestationAuthority,
  o: { publicKey: CoseKey; signed: Uint8Array; clock: bigint },
): Map<string, Encodable> {
  const pubArea = tpmtPublic(o.publicKey);
  // qualifiedSigner: the AIK's Name, nameAlg ‖ H(its TPMT_PUBLIC) (Part 1 §16).
  const signerName = concat(u16be(TPM_ALG.SHA256), sha256(tpmtPublic(publicKeyOfSecret(aik.alg, aik.secret))));
  const certInfo = tpmsAttestCertify({ pubArea, extraData: sha256(o.signed), signerName, clock: o.clock });
  return new Map<string, Encodable>([
    ['ver', '2.0'],
    ['alg', aik.alg],
    ['x5c', [aik.certificate, authority.intermediate.certificate]],
    ['sig', signWithSecret(aik.alg, aik.secret, certInfo)],
    ['certInfo', certInfo],
    ['pubArea', pubArea],
  ]);
}
