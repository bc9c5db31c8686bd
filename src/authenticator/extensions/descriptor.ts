/**
 * The shape of one extension (CTAP 2.1 §12, §6.1.2 step 15, §6.2.2 step 10): its identifier, its
 * input decoders, what it does in makeCredential and getAssertion, and the credential-payload flag
 * it sets. Every extension file exports one descriptor; list.ts lists them, and that list drives
 * getInfo's extensions (supported.ts), the request decoders (ctap2/extensions.ts) and both
 * switchboards (makeCredentialExtensions.ts, getAssertionExtensions.ts).
 */
import type { Fields } from '../../ctap2/decode.js';
import type { ExtensionInputs } from '../../ctap2/extensions.js';
import type { Encodable } from '../../encoding/cbor.js';
import type { CredProtectLevel } from '../../store/credentialStore.js';
import type { CredentialIdPayload } from '../../store/credentialId.js';
import type { AuthenticatorConfig } from '../config.js';
import type { Core, ResolvedCredential } from '../core.js';

/** The boolean members of the credential payload an extension may set (sealed in the ID, kept in the record). */
export type PayloadFlag = Exclude<
  {
    [K in keyof CredentialIdPayload]-?: NonNullable<CredentialIdPayload[K]> extends boolean ? K : never;
  }[keyof CredentialIdPayload],
  'discoverable' | 'u2f'
>;

/** What makeCredential knows when extensions run (after user presence, before the credential exists). */
export interface MakeCredentialExtensionContext {
  rpId: string;
  rk: boolean;
}

/** What one extension contributes to the new credential and to the response. */
export interface NewCredentialExtension {
  /** The authenticator-data output under the extension's identifier; none when undefined. */
  output?: Encodable;
  /** Sets the descriptor's payloadFlag on the new credential. */
  flag?: boolean;
  credProtect?: CredProtectLevel;
  credBlob?: Uint8Array;
  /** The response's largeBlobKey (0x05), also kept in the credential's record. */
  largeBlobKey?: Uint8Array;
  /** An output that needs the new credential's ID (hmac-secret-mc). */
  outputFor?: (credentialId: Uint8Array, uv: boolean) => Encodable;
}

/** A getAssertion's checked input, answered for each credential (getAssertion and getNextAssertion). */
export interface AssertionExtension {
  /** The authenticator-data output for `cred`; none when undefined. */
  output?: (cred: ResolvedCredential, uv: boolean) => Encodable | undefined;
  /** The response's largeBlobKey (0x07) for `cred`. */
  largeBlobKey?: (cred: ResolvedCredential) => Uint8Array | undefined;
}

export interface ExtensionDescriptor<MakeInput = unknown, AssertInput = unknown> {
  /** The extension identifier (the key of its input and output). */
  readonly id: string;
  /**
   * Whether the authenticator offers it without a profile naming it (default true). WebAuthn's
   * appid/appidExclude are processed only by profiles that list them (the badge).
   */
  readonly offeredByDefault?: boolean;
  /** Whether getInfo lists it under this configuration (default: always). */
  listed?: (config: AuthenticatorConfig) => boolean;
  /** Called when the makeCredential extensions map has `id`. */
  decodeMakeCredentialInput?: (inputs: Fields) => MakeInput;
  /** Called when the getAssertion extensions map has `id`. */
  decodeGetAssertionInput?: (inputs: Fields) => AssertInput;
  /** §6.1.2 step 15, for a present input. */
  onMakeCredential?: (core: Core, input: MakeInput, ctx: MakeCredentialExtensionContext) => NewCredentialExtension;
  /** §6.2.2 step 10, for a present input: the checks, once; the outputs per credential. */
  onGetAssertion?: (core: Core, input: AssertInput, ctx: { up: boolean }) => AssertionExtension;
  /** The credential-payload flag its NewCredentialExtension.flag sets. */
  readonly payloadFlag?: PayloadFlag;
}

/** A descriptor in the list, whatever its input types. */
export type AnyExtension = ExtensionDescriptor<any, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The decoded makeCredential input of `extension` in a request, typed by its descriptor. */
export function makeCredentialInput<M>(
  extension: ExtensionDescriptor<M, unknown>,
  inputs: ExtensionInputs | undefined,
): M | undefined {
  return inputs?.get(extension.id) as M | undefined;
}

/** The decoded getAssertion input of `extension` in a request, typed by its descriptor. */
export function getAssertionInput<A>(
  extension: ExtensionDescriptor<unknown, A>,
  inputs: ExtensionInputs | undefined,
): A | undefined {
  return inputs?.get(extension.id) as A | undefined;
}
