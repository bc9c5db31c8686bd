/**
 * The response APDU of ISO/IEC 7816-4, shared by the U2F (ctap1) and Filecoin (wallet) apps:
 * response data followed by the status word SW1 SW2.
 */

/** `data ‖ SW1 SW2`. */
export function withStatusWord(data: Uint8Array, sw: number): Uint8Array {
  const out = new Uint8Array(data.length + 2);
  out.set(data, 0);
  out[data.length] = (sw >>> 8) & 0xff;
  out[data.length + 1] = sw & 0xff;
  return out;
}

/** Splits a response APDU into its data and status word (the host side). */
export function splitStatusWord(bytes: Uint8Array): { data: Uint8Array; sw: number } {
  if (bytes.length < 2) throw new RangeError('response shorter than a status word');
  return { data: bytes.subarray(0, bytes.length - 2), sw: (bytes[bytes.length - 2]! << 8) | bytes[bytes.length - 1]! };
}
