/**
 * The WebAuthn L3 dictionaries CTAP2 requests and responses carry as text-keyed maps (CTAP 2.1 §6.1.1:
 * PublicKeyCredentialRpEntity, PublicKeyCredentialUserEntity, PublicKeyCredentialParameters,
 * PublicKeyCredentialDescriptor), each declared once as a field list.
 * https://www.w3.org/TR/webauthn-3/#dictionary-rp-credential-params
 */
import { CtapError, Status } from './status.js';
import { arrayOf, bytes, int, refine, struct, text, type Codec } from './wire.js';

export interface PublicKeyCredentialRpEntity {
  id: string;
  name?: string;
}

export interface PublicKeyCredentialUserEntity {
  id: Uint8Array;
  name?: string;
  displayName?: string;
}

export interface PublicKeyCredentialParameters {
  type: string;
  alg: number;
}

/** PublicKeyCredentialDescriptor (WebAuthn §5.8.3) as CTAP carries it. */
export interface CredentialDescriptor {
  type: string;
  id: Uint8Array;
  transports?: string[];
}

/** A credential named in a response: always of type "public-key" (§6.2.2 credential, §6.8 credentialID). */
export interface PublicKeyCredentialId {
  type: 'public-key';
  id: Uint8Array;
}

/**
 * "icon" (a URL, PublicKeyCredentialEntity of WebAuthn L1 / CTAP 2.0 §5.1) is not kept, but a present
 * one must be a text string like the entity's other members: else CBOR_UNEXPECTED_TYPE.
 */
const ICON = { checked: { icon: text.decode } };

export const rpEntity = struct<PublicKeyCredentialRpEntity>(
  { id: { key: 'id', codec: text }, name: { key: 'name', codec: text, optional: true } },
  ICON,
);

export const userEntity = struct<PublicKeyCredentialUserEntity>(
  {
    id: { key: 'id', codec: bytes },
    name: { key: 'name', codec: text, optional: true },
    displayName: { key: 'displayName', codec: text, optional: true },
  },
  ICON,
);

/** §6.1.1 user.id: "a maximum size of 64 bytes" → CTAP1_ERR_INVALID_LENGTH (requests only). */
export const requestUserEntity = refine(userEntity, (user, path) => {
  if (user.id.length > 64) throw new CtapError(Status.CTAP1_ERR_INVALID_LENGTH, `${path}.id longer than 64 bytes`);
});

export const credentialParameters = struct<PublicKeyCredentialParameters>({
  type: { key: 'type', codec: text },
  alg: { key: 'alg', codec: int },
});

export const credentialDescriptor = struct<CredentialDescriptor>({
  type: { key: 'type', codec: text },
  id: { key: 'id', codec: bytes },
  transports: { key: 'transports', codec: arrayOf(text), optional: true },
});

const credentialIdMembers = struct<{ id: Uint8Array; type: string }>({
  id: { key: 'id', codec: bytes },
  type: { key: 'type', codec: text },
});

export const publicKeyCredentialId: Codec<PublicKeyCredentialId> = {
  decode: (v, path) => ({ type: 'public-key', id: credentialIdMembers.decode(v, path).id }),
  encode: (c) => credentialIdMembers.encode(c),
};
