/**
 * CTAP 2.1 §7.1 Enterprise Attestation, and §6.1.2 step 9 / step 19: when makeCredential returns
 * an enterprise attestation (epAtt: true) it is made with an attestation identity of its own, never
 * the batch certificate that thousands of keys share:
 *   - one enterprise attestation key per device (and AAGUID), made on first use and kept in the vault;
 *   - a certificate that identifies the device (id-fido-gen-ce-sernum, a per-device serial number)
 *     and carries id-fido-gen-ce-aaguid;
 *   - vendor-facilitated (enterpriseAttestation 1: the RP ID is on the device's pre-configured list,
 *     which for softkey is every RP) → a certificate naming that RP ID; platform-managed (2) → one
 *     without an RP ID (the platform decided the RP may have it).
 * authenticatorReset keeps it, like the batch identity: it belongs to the device, not to its credentials.
 * https://fidoalliance.org/specs/fido-v2.1-ps-20210615/fido-client-to-authenticator-protocol-v2.1-ps-20210615.html#sctn-feature-descriptions-enterp-attstn
 */
import { createEnterpriseAttestationCertificate } from '../crypto/attestationCertificate.js';
import { generateCredentialKey, signWithKey } from '../crypto/credentialKeys.js';
import { toHex } from '../encoding/bytes.js';
import { CoseAlg } from '../encoding/cose.js';
import { EnterpriseAttestation } from './authenticatorConfig.js';
import type { Core } from './core.js';

export const SECRET_EA_KEY = 'enterprise-attestation-key';
export const SECRET_EA_SERIAL = 'enterprise-attestation-serial';
export const SECRET_EA_CERT = 'enterprise-attestation-certificate';

export interface EnterpriseAttestationIdentity {
  certificate: Uint8Array;
  /** ES256 signature by the enterprise attestation key. */
  sign(data: Uint8Array): Uint8Array;
}

/** The identity for an enterprise attestation of `kind` (§7.1 value 1 or 2) for `rpId`. */
export async function enterpriseAttestationIdentity(
  core: Core,
  kind: number,
  rpId: string,
): Promise<EnterpriseAttestationIdentity> {
  const { env, config } = core;
  const aaguid = toHex(config.aaguid);
  const secret = env.vault.secret(`${SECRET_EA_KEY}:${aaguid}`, () => generateCredentialKey(CoseAlg.ES256).secret);
  const deviceSerial = env.vault.secret(`${SECRET_EA_SERIAL}:${aaguid}`, () => env.rng.bytes(16));
  const forRp = kind === EnterpriseAttestation.vendorFacilitated ? rpId : undefined;
  const certName = `${SECRET_EA_CERT}:${aaguid}:${forRp === undefined ? 'platform-managed' : `rp:${forRp}`}`;
  let certificate = env.vault.get(certName);
  if (!certificate) {
    certificate = await createEnterpriseAttestationCertificate({
      secret,
      aaguid: config.aaguid,
      deviceSerial,
      serialNumber: env.rng.bytes(16),
      ...(forRp !== undefined && { rpId: forRp }),
      notBefore: new Date(env.clock.now() - 24 * 3600 * 1000),
    });
    env.vault.set(certName, certificate);
  }
  return {
    certificate,
    sign: (data) =>
      signWithKey(
        CoseAlg.ES256,
        core.keys.get(`enterprise-attestation:${aaguid}`, CoseAlg.ES256, () => secret),
        data,
      ),
  };
}
