/**
 * Framing of secure-core messages on a byte stream (docs/split.md): no extra prefix, the
 * envelope's own bytes 2–3 (payload length, little-endian) say where a message ends. A reducer over
 * chunks, no I/O: push(chunk) returns the whole messages completed so far.
 */
import { ENVELOPE_FIDO2, HEADER_LENGTH, SecureCoreMessageError, messageLength } from './messages.js';
import { getU16le } from './layout.js';

export class MessageFramer {
  private buffered = new Uint8Array(0);

  /** Whole messages (undecoded) in arrival order. Throws when the stream is not FIDO2 messages. */
  push(chunk: Uint8Array): Uint8Array[] {
    const joined = new Uint8Array(this.buffered.length + chunk.length);
    joined.set(this.buffered);
    joined.set(chunk, this.buffered.length);
    const out: Uint8Array[] = [];
    let offset = 0;
    while (joined.length - offset >= 4) {
      const head = joined.subarray(offset);
      if (getU16le(head, 0) !== ENVELOPE_FIDO2)
        throw new SecureCoreMessageError('envelope', 'stream out of step: a message does not start with 0x0009');
      const length = messageLength(head);
      if (length < HEADER_LENGTH)
        throw new SecureCoreMessageError('length', `payload length ${length - 4} is shorter than the envelope`);
      if (head.length < length) break;
      out.push(joined.slice(offset, offset + length));
      offset += length;
    }
    this.buffered = joined.slice(offset);
    return out;
  }

  /** Bytes of an unfinished message. */
  get pending(): number {
    return this.buffered.length;
  }
}
