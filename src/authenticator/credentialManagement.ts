/**
 * CTAP 2.1 §6.8 authenticatorCredentialManagement (0x0A; the FIDO_2_1_PRE command 0x41 is the same):
 * getCredsMetadata (§6.8.2), enumerateRPsBegin/GetNextRP (§6.8.3), enumerateCredentialsBegin/
 * GetNextCredential (§6.8.4), deleteCredential (§6.8.5) and updateUserInformation (§6.8.6) over the
 * discoverable credentials in the store.
 *
 * Every subcommand but the two GetNext ones needs pinUvAuthParam = authenticate(pinUvAuthToken,
 * subCommand ‖ subCommandParams) with the cm permission. A token with a permissions RP ID can only
 * manage that RP's credentials (enumerateCredentials, delete, update), never list RPs or metadata.
 * The enumeration state lives until any other command (Authenticator.beforeCommand) or subcommand.
 * https://fidoalliance.org/specs/fido-v2.1-ps-20210615/fido-client-to-authenticator-protocol-v2.1-ps-20210615.html#authenticatorCredentialManagement
 */
import type { RequestContext } from '../ctap2/api.js';
import { PinUvAuthTokenPermission } from '../ctap2/clientPin.js';
import {
  credentialManagementAuthMessage,
  CredentialManagementSubCommand as Sub,
  type CredentialManagementRequest,
  type CredentialManagementResponse,
} from '../ctap2/credentialManagement.js';
import { CtapError, Status } from '../ctap2/status.js';
import { equal } from '../encoding/bytes.js';
import { decode, isMap } from '../encoding/cbor.js';
import type { ResidentCredential, ResidentSelection, RpSummary } from '../store/credentialStore.js';
import type { Core } from './core.js';
import { credentialEvent, type CredentialEvent } from './credentialEvents.js';
import { backupFlagBits } from './importCredential.js';
import { authorizeWithPinUvAuthToken } from './managementAuthorization.js';
import { authorizedByPersistentToken } from './persistentPinUvAuthToken.js';
import type { PinUvAuthTokenState } from './pinUvAuthToken.js';

/**
 * The state enumerateRPsBegin / enumerateCredentialsBegin leave for the GetNext subcommands; a
 * credential enumeration is a cursor into the store (newest first), so each step reads one credential.
 */
export type CredentialEnumeration =
  | { kind: 'rps'; rps: RpSummary[]; next: number }
  | { kind: 'credentials'; selection: ResidentSelection; position: number; remaining: number };

export async function credentialManagement(
  core: Core,
  req: CredentialManagementRequest,
  _ctx: RequestContext,
): Promise<CredentialManagementResponse> {
  core.runtime.pending = undefined;
  const continuing =
    req.subCommand === Sub.enumerateRPsGetNextRP || req.subCommand === Sub.enumerateCredentialsGetNextCredential;
  if (!continuing) core.runtime.credentialManagement = undefined;
  switch (req.subCommand) {
    case Sub.getCredsMetadata:
      return getCredsMetadata(core, req);
    case Sub.enumerateRPsBegin:
      return enumerateRPsBegin(core, req);
    case Sub.enumerateRPsGetNextRP:
      return enumerateRPsGetNextRP(core);
    case Sub.enumerateCredentialsBegin:
      return enumerateCredentialsBegin(core, req);
    case Sub.enumerateCredentialsGetNextCredential:
      return enumerateCredentialsGetNextCredential(core);
    case Sub.deleteCredential:
      return deleteCredential(core, req);
    case Sub.updateUserInformation:
      return updateUserInformation(core, req);
    default:
      throw new CtapError(Status.CTAP2_ERR_INVALID_SUBCOMMAND, `credentialManagement subCommand ${req.subCommand}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Shared steps

/** CTAP 2.3: the subcommands the persistent pinUvAuthToken (pcmr) authorizes, which only read. */
const READ_ONLY_SUBCOMMANDS: readonly number[] = [
  Sub.getCredsMetadata,
  Sub.enumerateRPsBegin,
  Sub.enumerateCredentialsBegin,
];

/**
 * verify(pinUvAuthToken, subCommand ‖ subCommandParams, pinUvAuthParam) and the cm permission; for a
 * read-only subcommand (CTAP 2.3) the persistent token also verifies, which returns no token state
 * (it has no permissions RP ID).
 */
function authorize(core: Core, req: CredentialManagementRequest): PinUvAuthTokenState | undefined {
  const message = credentialManagementAuthMessage(req);
  if (READ_ONLY_SUBCOMMANDS.includes(req.subCommand) && authorizedByPersistentToken(core, req, message))
    return undefined;
  return authorizeWithPinUvAuthToken(core, req, message, PinUvAuthTokenPermission.cm);
}

/** getCredsMetadata and enumerateRPs cover every RP: a token bound to one RP ID may not. */
function requireNoPermissionsRpId(token: PinUvAuthTokenState | undefined): void {
  if (token?.permissionsRpId !== undefined)
    throw new CtapError(Status.CTAP2_ERR_PIN_AUTH_INVALID, 'pinUvAuthToken is bound to an RP ID');
}

/** A token bound to an RP ID manages that RP's credentials only. */
function requirePermissionsRpIdMatch(core: Core, token: PinUvAuthTokenState | undefined, rpIdHash: Uint8Array): void {
  if (token?.permissionsRpId !== undefined && !equal(core.rpIdHash(token.permissionsRpId), rpIdHash)) {
    throw new CtapError(Status.CTAP2_ERR_PIN_AUTH_INVALID, 'pinUvAuthToken is bound to another RP ID');
  }
}

function need<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new CtapError(Status.CTAP2_ERR_MISSING_PARAMETER, name);
  return value;
}

function rpResponse(core: Core, rp: RpSummary): CredentialManagementResponse {
  return { rp: { id: rp.rpId, ...(rp.rpName !== undefined && { name: rp.rpName }) }, rpIDHash: core.rpIdHash(rp.rpId) };
}

function credentialResponse(c: ResidentCredential): CredentialManagementResponse {
  const publicKey = decode(c.publicKey);
  if (!isMap(publicKey)) throw new Error('stored credential public key is not a COSE_Key map');
  const r: CredentialManagementResponse = {
    user: {
      id: c.userId,
      ...(c.userName !== undefined && { name: c.userName }),
      ...(c.userDisplayName !== undefined && { displayName: c.userDisplayName }),
    },
    credentialID: { type: 'public-key', id: c.credentialId },
    publicKey,
    credProtect: c.credProtect,
  };
  if (c.largeBlobKey) r.largeBlobKey = c.largeBlobKey;
  // CTAP 2.2 §6.8 enumerateCredentials response 0x0C: present (true) for thirdPartyPayment credentials.
  if (c.thirdPartyPayment === true) r.thirdPartyPayment = true;
  return r;
}

// ---------------------------------------------------------------------------------------------
// Subcommands

/** §6.8.2 getCredsMetadata (0x01). */
function getCredsMetadata(core: Core, req: CredentialManagementRequest): CredentialManagementResponse {
  requireNoPermissionsRpId(authorize(core, req));
  return {
    existingResidentCredentialsCount: core.env.store.countResident(),
    maxPossibleRemainingResidentCredentialsCount: core.remainingDiscoverableCredentials(),
  };
}

/** §6.8.3 enumerateRPsBegin (0x02): the first RP and totalRPs. */
function enumerateRPsBegin(core: Core, req: CredentialManagementRequest): CredentialManagementResponse {
  requireNoPermissionsRpId(authorize(core, req));
  const rps = core.env.store.listRps();
  if (rps.length === 0) throw new CtapError(Status.CTAP2_ERR_NO_CREDENTIALS);
  if (rps.length > 1) core.runtime.credentialManagement = { kind: 'rps', rps, next: 1 };
  return { ...rpResponse(core, rps[0]!), totalRPs: rps.length };
}

/** §6.8.3 enumerateRPsGetNextRP (0x03). */
function enumerateRPsGetNextRP(core: Core): CredentialManagementResponse {
  const state = core.runtime.credentialManagement;
  if (state?.kind !== 'rps' || state.next >= state.rps.length) {
    core.runtime.credentialManagement = undefined;
    throw new CtapError(Status.CTAP2_ERR_NOT_ALLOWED, 'no RP enumeration in progress');
  }
  return rpResponse(core, state.rps[state.next++]!);
}

/** §6.8.4 enumerateCredentialsBegin (0x04): the first credential of one RP and totalCredentials. */
function enumerateCredentialsBegin(core: Core, req: CredentialManagementRequest): CredentialManagementResponse {
  const rpIDHash = need(req.subCommandParams?.rpIDHash, 'subCommandParams.rpIDHash');
  requirePermissionsRpIdMatch(core, authorize(core, req), rpIDHash);
  const selection: ResidentSelection = { rpIdHash: rpIDHash, maxCredProtect: 3 }; // every level
  const first = core.env.store.nextResident(selection);
  if (!first) throw new CtapError(Status.CTAP2_ERR_NO_CREDENTIALS);
  const total = Math.max(1, core.env.store.countResidentOf(selection));
  if (total > 1)
    core.runtime.credentialManagement = {
      kind: 'credentials',
      selection,
      position: first.position,
      remaining: total - 1,
    };
  return { ...credentialResponse(first.credential), totalCredentials: total };
}

/** §6.8.4 enumerateCredentialsGetNextCredential (0x05). */
function enumerateCredentialsGetNextCredential(core: Core): CredentialManagementResponse {
  const state = core.runtime.credentialManagement;
  const step =
    state?.kind === 'credentials' && state.remaining > 0
      ? core.env.store.nextResident(state.selection, state.position)
      : undefined;
  if (state?.kind !== 'credentials' || !step) {
    core.runtime.credentialManagement = undefined;
    throw new CtapError(Status.CTAP2_ERR_NOT_ALLOWED, 'no credential enumeration in progress');
  }
  state.position = step.position;
  state.remaining--;
  return credentialResponse(step.credential);
}

/** Finds the credential named by subCommandParams.credentialID, checking the token's RP ID. */
function managedCredential(core: Core, token: PinUvAuthTokenState | undefined, id: Uint8Array): ResidentCredential {
  const credential = core.env.store.getResident(id);
  if (!credential) throw new CtapError(Status.CTAP2_ERR_NO_CREDENTIALS);
  requirePermissionsRpIdMatch(core, token, core.rpIdHash(credential.rpId));
  return credential;
}

/** §6.8.5 deleteCredential (0x06). */
function deleteCredential(core: Core, req: CredentialManagementRequest): CredentialManagementResponse {
  const credentialID = need(req.subCommandParams?.credentialID, 'subCommandParams.credentialID');
  const token = authorize(core, req);
  const credential = managedCredential(core, token, credentialID.id);
  const event = managedEvent(core, 'credentialDeleted', credential); // its counter goes with it
  core.env.store.deleteResident(credential.credentialId);
  credentialEvent(core, event);
  return {};
}

/**
 * §6.8.6 updateUserInformation (0x07): the user ID must be the credential's; name and displayName
 * are replaced, and removed when absent or empty.
 */
function updateUserInformation(core: Core, req: CredentialManagementRequest): CredentialManagementResponse {
  const credentialID = need(req.subCommandParams?.credentialID, 'subCommandParams.credentialID');
  const user = need(req.subCommandParams?.user, 'subCommandParams.user');
  const token = authorize(core, req);
  const credential = managedCredential(core, token, credentialID.id);
  if (!equal(user.id, credential.userId))
    throw new CtapError(Status.CTAP1_ERR_INVALID_PARAMETER, 'user.id is not the credential user ID');
  core.env.store.updateUser(credential.credentialId, {
    id: credential.userId,
    ...(user.name && { name: user.name }),
    ...(user.displayName && { displayName: user.displayName }),
  });
  credentialEvent(core, managedEvent(core, 'credentialUpdated', credential));
  return {};
}

function managedEvent(
  core: Core,
  type: 'credentialDeleted' | 'credentialUpdated',
  c: ResidentCredential,
): CredentialEvent {
  const signCount = core.env.store.getCounter(c.credentialId);
  return {
    type,
    credentialId: c.credentialId,
    rpId: c.rpId,
    userHandle: c.userId,
    discoverable: true,
    signCount,
    flags: backupFlagBits(core, c.credentialId),
  };
}
