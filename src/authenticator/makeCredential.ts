/**
 * CTAP 2.1 §6.1.2 authenticatorMakeCredential algorithm (and CTAP 2.3's attestationFormatsPreference).
 * https://fidoalliance.org/specs/fido-v2.1-ps-20210615/fido-client-to-authenticator-protocol-v2.1-ps-20210615.html#sctn-makeCred-authnr-alg
 */
import { concat } from '../encoding/bytes.js';
import type { Encodable } from '../encoding/cbor.js';
import { CoseAlg, encodeCoseKey, type CredentialAlg } from '../encoding/cose.js';
import type { RequestContext } from '../ctap2/api.js';
import type { MakeCredentialResponse, MakeCredentialRequest } from '../ctap2/makeCredential.js';
import { PinUvAuthTokenPermission } from '../ctap2/clientPin.js';
import { buildAuthenticatorData, Flag } from '../ctap2/authenticatorData.js';
import { CtapError, Status } from '../ctap2/status.js';
import {
  attestationAlgorithms,
  attestationStatement,
  attestationUsed,
  attestedAaguid,
  currentAttestation,
  type AttestationChoice,
} from './attestation.js';
import { alwaysUvForMakeCredential, enterpriseAttestationRequested } from './authenticatorConfig.js';
import { followsCtap20, attestationFormats, type AuthenticatorConfig } from './config.js';
import type { WithExtensionInputs } from './extensions/supported.js';
import { enterpriseAttestationIdentity } from './enterpriseAttestation.js';
import type { Core } from './core.js';
import { credentialEvent } from './credentialEvents.js';
import { recordNewCredentialBackupFlags } from './importCredential.js';
import { appidExclude } from './extensions/appid.js';
import { credProtect as credProtectExtension, credProtectAllows, credProtectLevel } from './extensions/credProtect.js';
import { makeCredentialInput } from './extensions/descriptor.js';
import { makeCredentialOutputs, processMakeCredentialExtensions } from './extensions/makeCredentialExtensions.js';
import {
  builtInUvForOperation,
  consumePinUvAuthToken,
  ensureUserPresence,
  isProtectedByUv,
  pinUvAuthPreamble,
  verifyPinUvAuthParam,
} from './pinUvAuth.js';
import { isPinSet } from './pinUvAuthToken.js';
import { takeWrongAnswers, wrongAttestedBytes, wrongCoseKey, wrongFlags, wrongRpIdHash } from './wrongAnswers.js';

export async function makeCredential(
  core: Core,
  req: WithExtensionInputs<MakeCredentialRequest>,
  ctx: RequestContext,
): Promise<MakeCredentialResponse> {
  const { config, env } = core;
  core.runtime.pending = undefined;
  const prompt = {
    operation: 'makeCredential' as const,
    rpId: req.rp.id,
    ...(req.rp.name !== undefined && { rpName: req.rp.name }),
    ...(req.user.name !== undefined && { userName: req.user.name }),
    ...(req.user.displayName !== undefined && { userDisplayName: req.user.displayName }),
    message: `Register with ${req.rp.name ?? req.rp.id} (${req.rp.id}) as ${req.user.displayName ?? req.user.name ?? 'this user'}?`,
  };

  // Steps 1–2: pinUvAuthParam probe and protocol checks.
  const protocol = await pinUvAuthPreamble(core, req, ctx, prompt);

  // Step 3: the first supported entry of pubKeyCredParams wins (among those the attestation format can attest).
  const chosen = currentAttestation(core);
  const attestable = attestationAlgorithms(chosen.format);
  let alg: CredentialAlg | undefined;
  for (const p of req.pubKeyCredParams) {
    if (
      p.type === 'public-key' &&
      (config.algorithms as number[]).includes(p.alg) &&
      (!attestable || attestable.includes(p.alg))
    ) {
      alg = p.alg as CredentialAlg;
      break;
    }
  }
  if (alg === undefined) throw new CtapError(Status.CTAP2_ERR_UNSUPPORTED_ALGORITHM);

  // Step 5: options. pinUvAuthParam takes precedence over the "uv" option.
  // A passkey provider's profile (alwaysDiscoverable) stores every credential it makes.
  const rk = req.options?.rk === true || config.alwaysDiscoverable === true;
  if (req.options?.up === false) throw new CtapError(Status.CTAP2_ERR_INVALID_OPTION, 'up=false in makeCredential');
  // CTAP 2.0 §5.1 step 7: "up" is a known option not valid for makeCredential → INVALID_OPTION.
  if (req.options?.up !== undefined && followsCtap20(config))
    throw new CtapError(Status.CTAP2_ERR_INVALID_OPTION, 'up is not a CTAP 2.0 makeCredential option');
  // alwaysBuiltInUv (platform profiles): the built-in method runs as if the "uv" option were set.
  const uvOption = protocol === undefined && (req.options?.uv === true || config.alwaysBuiltInUv === true);
  if (uvOption && !env.uv?.available) {
    throw new CtapError(
      config.ctap20 ? Status.CTAP2_ERR_UNSUPPORTED_OPTION : Status.CTAP2_ERR_INVALID_OPTION,
      'no built-in user verification',
    );
  }

  // Step 15's credProtect input is checked before user presence is asked for.
  credProtectLevel(makeCredentialInput(credProtectExtension, req.extensions));

  // Step 6: alwaysUv (authenticatorConfig.ts) requires user verification for every credential.
  alwaysUvForMakeCredential(core, protocol !== undefined, uvOption);

  // Step 7 (makeCredUvNotRqd is true): a discoverable credential on a protected authenticator
  // needs user verification; a non-discoverable one may be made without it (step 10). Step 8
  // (makeCredUvNotRqd false or absent, as in the badge and ctap20 profiles): every credential needs it.
  if ((rk || !config.makeCredUvNotRqd) && protocol === undefined && !uvOption && isProtectedByUv(core)) {
    if (isPinSet(core)) throw new CtapError(Status.CTAP2_ERR_PUAT_REQUIRED, 'a PIN is set: pinUvAuthParam needed');
    throw new CtapError(Status.CTAP2_ERR_OPERATION_DENIED, 'rk needs user verification');
  }

  // Step 9: enterpriseAttestation (authenticatorConfig.ts), answered with epAtt below.
  const enterprise = enterpriseAttestationRequested(core, req.enterpriseAttestation);

  // Step 11: user verification by pinUvAuthToken, or by built-in UV (which is also user presence).
  let uv = false;
  let presentByUv = false;
  if (protocol) {
    verifyPinUvAuthParam(
      core,
      protocol,
      req.pinUvAuthParam!,
      req.clientDataHash,
      PinUvAuthTokenPermission.mc,
      req.rp.id,
    );
    uv = true;
  } else if (uvOption) {
    await builtInUvForOperation(core, prompt, ctx);
    uv = presentByUv = true;
  }

  const rpIdHash = core.rpIdHash(req.rp.id);

  // Step 12: excludeList. A credential of ours for this RP (and visible: credProtect 3 needs UV)
  // makes the operation fail after the user confirms presence.
  // appidExclude (WebAuthn §10.1.2), processed here by profiles that offer it (the badge): a
  // credential made for that AppID (a U2F credential) excludes too.
  const excludedAppId = makeCredentialInput(appidExclude, req.extensions);
  const appIdHash = excludedAppId !== undefined ? core.rpIdHash(excludedAppId) : undefined;
  for (const d of req.excludeList ?? []) {
    if (d.type !== 'public-key') continue;
    const found = core.resolve(d.id, rpIdHash) ?? (appIdHash && core.resolve(d.id, appIdHash));
    if (found && credProtectAllows(found.payload.credProtect, uv, true)) {
      await ensureUserPresence(
        core,
        protocol !== undefined,
        presentByUv,
        { ...prompt, message: `${prompt.message} (already registered)` },
        ctx,
      );
      throw new CtapError(Status.CTAP2_ERR_CREDENTIAL_EXCLUDED);
    }
  }

  // A full store still takes a discoverable credential that replaces the same (RP, user)'s (an index
  // lookup, asked only when full); the count is kept by the store, not counted.
  const replacing = (): boolean => rk && env.store.findResident(rpIdHash, req.user.id) !== undefined;
  if (rk && env.store.countResident() >= config.maxResidentCredentials && !replacing()) {
    throw new CtapError(Status.CTAP2_ERR_KEY_STORE_FULL);
  }
  // Profiles with credential slots (the badge): every credential takes one; a discoverable one
  // replacing the same (RP, user) frees the old one's.
  if (!core.hasFreeCredentialSlot() && !replacing()) {
    throw new CtapError(Status.CTAP2_ERR_KEY_STORE_FULL, 'every credential slot is taken');
  }

  // Steps 13–14: user presence (makeCredential always needs it), then the token's cached UP and
  // UV are used up.
  await ensureUserPresence(core, protocol !== undefined, presentByUv, prompt, ctx);
  consumePinUvAuthToken(core);

  // Step 15: extensions (§12).
  const ext = processMakeCredentialExtensions(core, req.extensions, { rpId: req.rp.id, rk });
  const { credProtect } = ext;

  // Steps 16–18: generate the credential (its key is derived from its sealed ID: store/credentialId.ts).
  const { id, key } = core.newCredential(rpIdHash, {
    discoverable: rk,
    u2f: false,
    alg,
    credProtect,
    ...(ext.credBlob && { credBlob: ext.credBlob }),
    ...ext.flags,
  });
  const publicKey = encodeCoseKey(key.publicKey);
  let replaced: Uint8Array | undefined;
  if (rk) {
    replaced = env.store.putResident({
      credentialId: id,
      rpId: req.rp.id,
      ...(req.rp.name !== undefined && { rpName: req.rp.name }),
      userId: req.user.id,
      ...(req.user.name !== undefined && { userName: req.user.name }),
      ...(req.user.displayName !== undefined && { userDisplayName: req.user.displayName }),
      alg,
      publicKey,
      credProtect,
      ...(ext.credBlob && { credBlob: ext.credBlob }),
      ...(ext.largeBlobKey && { largeBlobKey: ext.largeBlobKey }),
      ...ext.flags,
      createdAt: env.clock.now(),
    });
  }

  // Backup flags: the authenticator-wide defaults (config backupEligible/backupState), if any.
  const flags = Flag.UP | (uv ? Flag.UV : 0) | recordNewCredentialBackupFlags(core, id);
  if (replaced)
    credentialEvent(core, {
      type: 'credentialDeleted',
      credentialId: replaced,
      rpId: req.rp.id,
      userHandle: req.user.id,
      discoverable: true,
      signCount: 0,
      flags: 0,
    });
  credentialEvent(core, {
    type: 'credentialAdded',
    credentialId: id,
    rpId: req.rp.id,
    ...(rk && { userHandle: req.user.id }),
    discoverable: rk,
    signCount: 0,
    flags,
  });

  // Step 17–19: authenticator data and attestation statement (attestation.ts, WebAuthn L3 §8). CTAP 2.3:
  // a platform whose attestationFormatsPreference picks "none" gets none.
  // Deliberately wrong answers armed by the control API (wrongAnswers.ts), signed as if they were true.
  const wrong = takeWrongAnswers(core, 'registration');
  const wrongCertificate: AttestationChoice['leaf'] = wrong.has('certificate-expired')
    ? 'expired'
    : wrong.has('certificate-aaguid')
      ? 'other-aaguid'
      : undefined;
  const attestation = wrongCertificate
    ? { ...chosen, format: 'packed-chain' as const, leaf: wrongCertificate }
    : chosenAttestationFormat(config, req.attestationFormatsPreference) === 'none'
      ? { ...chosen, format: 'none' as const }
      : chosen;
  const authData = buildAuthenticatorData({
    rpIdHash: wrongRpIdHash(core, req.rp.id, rpIdHash, wrong),
    flags: wrongFlags(flags, wrong),
    signCount: 0,
    // A passkey provider's "none" keeps its AAGUID (aaguidInNoneAttestation).
    attestedCredentialData: {
      aaguid:
        attestation.format === 'none' && config.aaguidInNoneAttestation === true
          ? attestation.aaguid
          : attestedAaguid(attestation),
      credentialId: id,
      credentialPublicKey: wrongCoseKey(
        publicKey,
        req.pubKeyCredParams.map((p) => p.alg),
        wrong,
      ),
    },
    extensions: makeCredentialOutputs(ext, id, uv),
  });
  const largeBlobKey = ext.largeBlobKey && { largeBlobKey: ext.largeBlobKey };
  // Step 19 with enterprise attestation: the device's own enterprise certificate (§7.1,
  // enterpriseAttestation.ts), never the batch certificate (packed only; other formats attest as chosen).
  if (enterprise && attestation.format === 'packed') {
    const identity = await enterpriseAttestationIdentity(core, req.enterpriseAttestation!, req.rp.id);
    attestationUsed(core);
    const attStmt = new Map<string, Encodable>([
      ['alg', CoseAlg.ES256],
      ['sig', identity.sign(concat(authData, req.clientDataHash))],
      ['x5c', [identity.certificate]],
    ]);
    return { fmt: 'packed', authData, attStmt, epAtt: true, ...largeBlobKey };
  }
  const statement = await attestationStatement(core, attestation, {
    alg,
    authData: wrongAttestedBytes(authData, wrong),
    clientDataHash: req.clientDataHash,
    rpIdHash,
    credentialId: id,
    publicKey: key.publicKey,
    signWithCredential: (data) => core.sign({ id, payload: { alg, secret: key.secret } }, data),
  });
  attestationUsed(core);
  return { ...statement, authData, ...largeBlobKey };
}

/**
 * CTAP 2.3 §6.1.2 step 19: with attestationFormatsPreference present and non-empty, the first of
 * its formats that getInfo attestationFormats (0x16) lists; otherwise, or when it lists none of
 * them, the default (the first of attestationFormats). Without the ctap23 capability the parameter
 * is ignored, as any unknown member is.
 */
function chosenAttestationFormat(config: AuthenticatorConfig, preference: string[] | undefined): string {
  const supported = attestationFormats(config);
  if (!config.ctap23) return supported[0]!;
  return preference?.find((f) => supported.includes(f)) ?? supported[0]!;
}
