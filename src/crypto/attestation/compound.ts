/**
 * WebAuthn L3 §8.9 Compound Attestation Statement Format: attStmt is an array of at least two
 * non-compound statements, each a map { fmt, attStmt } over the same authenticatorData and
 * clientDataHash; an RP verifies each one it understands.
 */
import type { Encodable } from '../../encoding/cbor.js';

export interface FormatStatement {
  fmt: string;
  attStmt: Map<string, Encodable>;
}

export function compoundStatement(parts: FormatStatement[]): Encodable[] {
  if (parts.length < 2) throw new Error('compound attestation needs at least two statements (§8.9)');
  if (parts.some((p) => p.fmt === 'compound')) throw new Error('compound statements do not nest (§8.9)');
  return parts.map(
    (p) =>
      new Map<string, Encodable>([
        ['fmt', p.fmt],
        ['attStmt', p.attStmt],
      ]),
  );
}
