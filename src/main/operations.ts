/** Device operations the CLI (and the control API) run through any CTAP transport. */
import { Command } from '../ctap2/commands.js';
import { encodeSimpleCommand } from '../ctap2/hostCodec.js';
import { decodeGetInfoResponse } from '../ctap2/getInfo.js';
import { statusName } from '../ctap2/status.js';
import { toHex } from '../encoding/bytes.js';
import type { CtapTransport } from './softkey.js';

/** authenticatorGetInfo as plain JSON (AAGUID in hex). */
export async function readInfo(t: CtapTransport): Promise<Record<string, unknown>> {
  const { raw: _raw, ...info } = decodeGetInfoResponse(await t.cbor(encodeSimpleCommand(Command.authenticatorGetInfo)));
  return { ...info, aaguid: toHex(info.aaguid) };
}

/** authenticatorReset; returns undefined on success or the CTAP status name. */
export async function resetDevice(t: CtapTransport): Promise<string | undefined> {
  const status = (await t.cbor(encodeSimpleCommand(Command.authenticatorReset)))[0]!;
  return status === 0 ? undefined : statusName(status);
}

export const hex = toHex;
