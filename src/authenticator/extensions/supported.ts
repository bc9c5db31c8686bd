/**
 * CTAP 2.1 §6.4 authenticatorGetInfo "extensions" (0x02): the extension identifiers this
 * authenticator implements and offers without a profile naming them (§12, CTAP 2.2 §12.8, §12.9 and
 * CTAP 2.3 pinComplexityPolicy), from the extension list (list.ts), and nothing else.
 */
import { decodeExtensionInputs, type ExtensionInputs } from '../../ctap2/extensions.js';
import type { CborKey, Encodable } from '../../encoding/cbor.js';
import type { AuthenticatorConfig } from '../config.js';
import { EXTENSIONS } from './list.js';

/** The identifiers offered without a profile naming them. */
export function supportedExtensions(): string[] {
  return EXTENSIONS.filter((e) => e.offeredByDefault !== false).map((e) => e.id);
}

/** getInfo's list under `config` (pinComplexityPolicy only with the ctap23 capability). */
export function listedExtensions(config: AuthenticatorConfig): string[] {
  return EXTENSIONS.filter((e) => e.offeredByDefault !== false && (e.listed?.(config) ?? true)).map((e) => e.id);
}

/**
 * Drops the extension inputs of extensions this profile does not offer (§12: ignored, not refused);
 * without a profile list, those softkey implements (appid/appidExclude only when a profile lists them).
 */
export function allowedExtensionInputs(
  config: AuthenticatorConfig,
  inputs: ExtensionInputs | undefined,
): ExtensionInputs | undefined {
  const allowed = config.extensions ?? supportedExtensions();
  if (!inputs) return inputs;
  const kept = [...inputs].filter(([id]) => allowed.includes(id));
  return kept.length > 0 ? new Map(kept) : undefined;
}

/** A request whose extensions member holds decoded inputs (ctap2/extensions.ts) instead of the map as sent. */
export type WithExtensionInputs<R> = Omit<R, 'extensions'> & { extensions?: ExtensionInputs };

/**
 * Decodes the request's extensions map with every extension's input decoders (a known input of the wrong
 * type is CTAP2_ERR_CBOR_UNEXPECTED_TYPE, even for an extension this profile does not offer), then keeps
 * the inputs of the extensions the profile offers. Called first thing, before any other check of the command.
 */
export function withExtensionInputs<R extends { extensions?: ReadonlyMap<CborKey, Encodable> }>(
  config: AuthenticatorConfig,
  req: R,
  command: 'makeCredential' | 'getAssertion',
): WithExtensionInputs<R> {
  if (req.extensions === undefined) return req as WithExtensionInputs<R>;
  const inputs = allowedExtensionInputs(config, decodeExtensionInputs(req.extensions, EXTENSIONS, command));
  const { extensions: _sent, ...rest } = req;
  return inputs === undefined ? rest : { ...rest, extensions: inputs };
}
