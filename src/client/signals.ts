/**
 * The signal methods (WebAuthn L3 §5.1.10 "Signal Credential Changes to the Authenticator":
 * PublicKeyCredential.signalUnknownCredential, signalAllAcceptedCredentials,
 * signalCurrentUserDetails), the client's side.
 *
 * The page-visible part (parse…): base64url members that do not decode → TypeError; the RP ID
 * must be valid for the caller (the same rule as create/get, related origins included) →
 * SecurityError. The promise then resolves whatever the authenticators do: a signal never tells
 * the RP whether a credential exists.
 *
 * The authenticator part goes through CTAP 2.1 §6.8 authenticatorCredentialManagement with a
 * pinUvAuthToken carrying the cm permission for the RP ID:
 *   - unknownCredential: the credential with that ID, if the RP's list has it → deleteCredential (§6.8.5);
 *   - allAcceptedCredentials: the RP's credentials of that user handle whose ID is not in the list →
 *     deleteCredential (L3 allows hiding instead; a CTAP authenticator can only delete);
 *   - currentUserDetails: the RP's credentials of that user handle → updateUserInformation (§6.8.6)
 *     with the new name and displayName.
 * An authenticator without credMgmt, or for which no token can be had silently (built-in UV, or a
 * PIN the client already holds), is left alone, as browsers leave security keys alone.
 */
import * as b64u from '../encoding/base64url.js';
import { equal, utf8 } from '../encoding/bytes.js';
import { sha256 } from '../crypto/hash.js';
import {
  CredentialManagementSubCommand as Sub,
  decodeCredentialManagementResponse,
  type CredentialManagementSubCommandParams,
} from '../ctap2/credentialManagement.js';
import { Command } from '../ctap2/commands.js';
import { encodeCredentialManagementCall, type PinUvAuthSession } from '../ctap2/hostCodec.js';
import { pinUvAuthPrimitives } from '../ctap2/pinUvAuthProtocol.js';
import { CtapError, Status } from '../ctap2/status.js';
import type { GetInfoResponse } from '../ctap2/getInfo.js';
import { WebAuthnError } from './errors.js';
import type { PinUvAuthToken } from './userVerifier.js';

/** L3 UnknownCredentialOptions. */
export interface UnknownCredentialOptions {
  rpId: string;
  credentialId: string;
}
/** L3 AllAcceptedCredentialsOptions. */
export interface AllAcceptedCredentialsOptions {
  rpId: string;
  userId: string;
  allAcceptedCredentialIds: string[];
}
/** L3 CurrentUserDetailsOptions. */
export interface CurrentUserDetailsOptions {
  rpId: string;
  userId: string;
  name: string;
  displayName: string;
}

export type SignalRequest =
  | { kind: 'unknownCredential'; rpId: string; credentialId: Uint8Array }
  | { kind: 'allAcceptedCredentials'; rpId: string; userId: Uint8Array; accepted: Uint8Array[] }
  | { kind: 'currentUserDetails'; rpId: string; userId: Uint8Array; name: string; displayName: string };

export type SignalKind = SignalRequest['kind'];

/** What one signal changed on one authenticator (the trace of key.client's signal methods). */
export interface SignalEffect {
  signal: SignalKind;
  rpId: string;
  /** Index of the authenticator in the client's list (0: its own transport). */
  authenticator: number;
  deleted: string[];
  updated: string[];
  /** Why nothing was tried on this authenticator, when so. */
  skipped?: string;
}

const typeError = (m: string) => new WebAuthnError('TypeError', m);

function bytes(value: unknown, field: string): Uint8Array {
  if (typeof value !== 'string') throw typeError(`${field} must be a base64url string`);
  try {
    return b64u.decode(value);
  } catch {
    throw typeError(`${field} is not base64url`);
  }
}

function text(value: unknown, field: string): string {
  if (typeof value !== 'string') throw typeError(`${field} must be a string`);
  return value;
}

function dictionary(value: unknown, name: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null) throw typeError(`${name} must be an object`);
  return value as Record<string, unknown>;
}

/** The options of a signal method as L3's IDL and its "base64url decode … TypeError" steps take them. */
export function parseSignal(kind: SignalKind, input: unknown): SignalRequest {
  const o = dictionary(input, `${kind} options`);
  const rpId = text(o.rpId, 'rpId');
  switch (kind) {
    case 'unknownCredential':
      return { kind, rpId, credentialId: bytes(o.credentialId, 'credentialId') };
    case 'allAcceptedCredentials': {
      if (!Array.isArray(o.allAcceptedCredentialIds)) throw typeError('allAcceptedCredentialIds must be an array');
      const userId = bytes(o.userId, 'userId');
      const accepted = o.allAcceptedCredentialIds.map((id, i) => bytes(id, `allAcceptedCredentialIds[${i}]`));
      return { kind, rpId, userId, accepted };
    }
    case 'currentUserDetails':
      return {
        kind,
        rpId,
        userId: bytes(o.userId, 'userId'),
        name: text(o.name, 'name'),
        displayName: text(o.displayName, 'displayName'),
      };
  }
}

interface StoredCredential {
  id: Uint8Array;
  user: { id: Uint8Array; name?: string; displayName?: string };
}

/** Whether the authenticator has credential management (CTAP 2.1 credMgmt or 2.1-PRE credentialMgmtPreview). */
export function hasCredentialManagement(info: GetInfoResponse): boolean {
  return info.options?.credMgmt === true || info.options?.credentialMgmtPreview === true;
}

/**
 * Applies a signal on one authenticator holding `token` (cm permission for the RP ID): enumerates
 * the RP's discoverable credentials and deletes or updates as the signal says.
 */
export async function applySignal(
  send: (request: Uint8Array) => Promise<Uint8Array>,
  info: GetInfoResponse,
  token: PinUvAuthToken,
  signal: SignalRequest,
  authenticator: number,
): Promise<SignalEffect> {
  const command =
    info.options?.credMgmt === true
      ? Command.authenticatorCredentialManagement
      : Command.authenticatorCredentialManagementPreview;
  const session: PinUvAuthSession = {
    protocol: pinUvAuthPrimitives(token.protocol as 1 | 2),
    pinUvAuthToken: token.token,
  };
  const call = async (subCommand: number, subCommandParams?: CredentialManagementSubCommandParams) =>
    decodeCredentialManagementResponse(
      await send(
        encodeCredentialManagementCall(
          { subCommand, ...(subCommandParams && { subCommandParams }) },
          // The GetNext subcommands go without pinUvAuthParam (§6.8.4).
          subCommand === Sub.enumerateCredentialsGetNextCredential ? undefined : session,
          command,
        ),
      ),
    );
  const credentialID = (id: Uint8Array) => ({ type: 'public-key', id });

  const stored: StoredCredential[] = [];
  const rpIDHash = sha256(utf8.encode(signal.rpId));
  try {
    const first = await call(Sub.enumerateCredentialsBegin, { rpIDHash });
    const total = first.totalCredentials ?? 1;
    let r = first;
    for (let i = 0; i < total; i++) {
      if (i > 0) r = await call(Sub.enumerateCredentialsGetNextCredential);
      if (r.credentialID && r.user) stored.push({ id: r.credentialID.id, user: r.user });
    }
  } catch (e) {
    if (!(e instanceof CtapError && e.status === Status.CTAP2_ERR_NO_CREDENTIALS)) throw e;
  }

  const effect: SignalEffect = { signal: signal.kind, rpId: signal.rpId, authenticator, deleted: [], updated: [] };
  for (const cred of stored) {
    let remove = false;
    let update: StoredCredential['user'] | undefined;
    if (signal.kind === 'unknownCredential') remove = equal(cred.id, signal.credentialId);
    else if (signal.kind === 'allAcceptedCredentials')
      remove = equal(cred.user.id, signal.userId) && !signal.accepted.some((id) => equal(id, cred.id));
    else if (
      equal(cred.user.id, signal.userId) &&
      (cred.user.name !== signal.name || cred.user.displayName !== signal.displayName)
    ) {
      update = { id: cred.user.id, name: signal.name, displayName: signal.displayName };
    }
    if (remove) {
      await call(Sub.deleteCredential, { credentialID: credentialID(cred.id) });
      effect.deleted.push(b64u.encode(cred.id));
    } else if (update) {
      const user = { id: update.id, name: update.name ?? '', displayName: update.displayName ?? '' };
      await call(Sub.updateUserInformation, { credentialID: credentialID(cred.id), user });
      effect.updated.push(b64u.encode(cred.id));
    }
  }
  return effect;
}
