/**
 * CTAP 2.1 §6 / §8: command byte ‖ CBOR parameters → status byte ‖ CBOR response.
 * The only place a CtapError becomes a status byte; anything unexpected is CTAP1_ERR_OTHER.
 */
import { Command } from './commands.js';
import type { Ctap2Authenticator, RequestContext } from './api.js';
import { decodeAuthenticatorConfigRequest } from './authenticatorConfig.js';
import { decodeClientPinRequest, encodeClientPinResponse } from './clientPin.js';
import { decodeCredentialManagementRequest, encodeCredentialManagementResponse } from './credentialManagement.js';
import { decodeGetAssertionRequest, encodeGetAssertionResponse, type GetAssertionResponse } from './getAssertion.js';
import { decodeLargeBlobsRequest, encodeLargeBlobsResponse } from './largeBlobs.js';
import { decodeMakeCredentialRequest, encodeMakeCredentialResponse } from './makeCredential.js';
import { encodeGetInfoResponse } from './getInfo.js';
import { CtapError, Status } from './status.js';

/** A command's decode → call → encode: the whole response, status byte CTAP2_OK ‖ its CBOR map (if any). */
type Handler = (a: Ctap2Authenticator, params: Uint8Array, ctx: RequestContext) => Promise<Uint8Array>;

/** CTAP2_OK ‖ `body` (a copy: for the encoders that answer the map alone), or CTAP2_OK alone. */
function ok(body?: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + (body?.length ?? 0));
  if (body) out.set(body, 1);
  return out;
}

/** §6.8 authenticatorCredentialManagement, and 0x41, its FIDO_2_1_PRE form with the same parameters. */
const credentialManagement: Handler = async (a, p, ctx) =>
  ok(encodeCredentialManagementResponse(await a.credentialManagement(decodeCredentialManagementRequest(p), ctx)));

/** CTAP2_OK ‖ an assertion's map, in one allocation (the hot path, issue 19). */
const assertionResponse = (res: GetAssertionResponse) => encodeGetAssertionResponse(res, Status.CTAP2_OK);

/**
 * Commands and their decode → call → encode. Extended by later command families. The assertion
 * commands are a reaction on the authenticator's promise rather than an async frame around it, and a
 * request that does not decode throws at once (dispatchCtap2 answers its status either way).
 */
export const COMMAND_TABLE = new Map<number, Handler>([
  [Command.authenticatorGetInfo, async (a) => ok(encodeGetInfoResponse(a.getInfo()))],
  [
    Command.authenticatorMakeCredential,
    async (a, p, ctx) => ok(encodeMakeCredentialResponse(await a.makeCredential(decodeMakeCredentialRequest(p), ctx))),
  ],
  [
    Command.authenticatorGetAssertion,
    (a, p, ctx) => a.getAssertion(decodeGetAssertionRequest(p), ctx).then(assertionResponse),
  ],
  [Command.authenticatorGetNextAssertion, (a, _p, ctx) => a.getNextAssertion(ctx).then(assertionResponse)],
  [
    Command.authenticatorClientPIN,
    async (a, p, ctx) => ok(encodeClientPinResponse(await a.clientPin(decodeClientPinRequest(p), ctx))),
  ],
  [Command.authenticatorReset, async (a, _p, ctx) => (await a.reset(ctx), ok())],
  [Command.authenticatorSelection, async (a, _p, ctx) => (await a.selection(ctx), ok())],
  [Command.authenticatorCredentialManagement, credentialManagement],
  [Command.authenticatorCredentialManagementPreview, credentialManagement],
  [
    Command.authenticatorLargeBlobs,
    async (a, p, ctx) => ok(encodeLargeBlobsResponse(await a.largeBlobs(decodeLargeBlobsRequest(p), ctx))),
  ],
  [
    Command.authenticatorConfig,
    async (a, p, ctx) => (await a.authenticatorConfig(decodeAuthenticatorConfigRequest(p), ctx), ok()),
  ],
]);

export interface DispatchOptions {
  /** Commands this device answers (a profile may hide some); default: every command in the table. */
  enabled?: (command: number) => boolean;
  /** Commands a profile answers with CTAP2_ERR_UNSUPPORTED_OPTION, parameters unread (the badge's largeBlobs/config). */
  refused?: (command: number) => boolean;
  /** Called with unexpected (non-CtapError) exceptions. */
  onInternalError?: (error: unknown) => void;
}

/**
 * The response to `request`, never a rejection. A promise handler rather than an async frame: a
 * command costs one promise here (the in-process hot path, issue 19).
 */
export function dispatchCtap2(
  authenticator: Ctap2Authenticator,
  request: Uint8Array,
  ctx: RequestContext,
  options: DispatchOptions = {},
): Promise<Uint8Array> {
  if (request.length === 0) return statusOnly(Status.CTAP1_ERR_INVALID_LENGTH);
  const command = request[0]!;
  if (options.refused?.(command)) return statusOnly(Status.CTAP2_ERR_UNSUPPORTED_OPTION);
  const handler = COMMAND_TABLE.get(command);
  if (!handler || (options.enabled && !options.enabled(command))) {
    return statusOnly(Status.CTAP1_ERR_INVALID_COMMAND);
  }
  let answer: Promise<Uint8Array>;
  try {
    authenticator.beforeCommand?.(command);
    answer = handler(authenticator, request.subarray(1), ctx);
  } catch (e) {
    return Promise.resolve(errorResponse(e, options));
  }
  return answer.catch((e: unknown) => errorResponse(e, options));
}

function statusOnly(status: number): Promise<Uint8Array> {
  return Promise.resolve(new Uint8Array([status]));
}

/** A CtapError's status byte; anything else is CTAP1_ERR_OTHER, and is reported. */
function errorResponse(e: unknown, options: DispatchOptions): Uint8Array {
  if (e instanceof CtapError) return new Uint8Array([e.status]);
  options.onInternalError?.(e);
  return new Uint8Array([Status.CTAP1_ERR_OTHER]);
}
