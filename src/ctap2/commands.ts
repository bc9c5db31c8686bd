/**
 * CTAP 2.1 §6 "Authenticator API": command bytes, and the CBOR map keys of each request and
 * response, with the spec's member names.
 */
export const Command = {
  authenticatorMakeCredential: 0x01,
  authenticatorGetAssertion: 0x02,
  authenticatorGetInfo: 0x04,
  authenticatorClientPIN: 0x06,
  authenticatorReset: 0x07,
  authenticatorGetNextAssertion: 0x08,
  authenticatorBioEnrollment: 0x09,
  authenticatorCredentialManagement: 0x0a,
  authenticatorSelection: 0x0b,
  authenticatorLargeBlobs: 0x0c,
  authenticatorConfig: 0x0d,
  authenticatorBioEnrollmentPreview: 0x40,
  authenticatorCredentialManagementPreview: 0x41,
} as const;
export type CommandName = keyof typeof Command;

const COMMAND_NAMES = new Map<number, CommandName>(
  (Object.entries(Command) as Array<[CommandName, number]>).map(([n, c]) => [c, n]),
);
export function commandName(code: number): string {
  return COMMAND_NAMES.get(code) ?? `0x${code.toString(16).padStart(2, '0')}`;
}

/** §6.1 authenticatorMakeCredential request keys. */
export const MakeCredentialKey = {
  clientDataHash: 0x01,
  rp: 0x02,
  user: 0x03,
  pubKeyCredParams: 0x04,
  excludeList: 0x05,
  extensions: 0x06,
  options: 0x07,
  pinUvAuthParam: 0x08,
  pinUvAuthProtocol: 0x09,
  enterpriseAttestation: 0x0a,
  /** CTAP 2.3 §6.1: attestation statement formats the platform prefers, most preferred first. */
  attestationFormatsPreference: 0x0b,
} as const;

/** §6.1 authenticatorMakeCredential response keys. */
export const MakeCredentialResponseKey = {
  fmt: 0x01,
  authData: 0x02,
  attStmt: 0x03,
  epAtt: 0x04,
  largeBlobKey: 0x05,
} as const;

/** §6.2 authenticatorGetAssertion request keys. */
export const GetAssertionKey = {
  rpId: 0x01,
  clientDataHash: 0x02,
  allowList: 0x03,
  extensions: 0x04,
  options: 0x05,
  pinUvAuthParam: 0x06,
  pinUvAuthProtocol: 0x07,
} as const;

/** §6.2 authenticatorGetAssertion / getNextAssertion response keys. */
export const GetAssertionResponseKey = {
  credential: 0x01,
  authData: 0x02,
  signature: 0x03,
  user: 0x04,
  numberOfCredentials: 0x05,
  userSelected: 0x06,
  largeBlobKey: 0x07,
} as const;

/** §6.4 authenticatorGetInfo response keys. */
export const GetInfoKey = {
  versions: 0x01,
  extensions: 0x02,
  aaguid: 0x03,
  options: 0x04,
  maxMsgSize: 0x05,
  pinUvAuthProtocols: 0x06,
  maxCredentialCountInList: 0x07,
  maxCredentialIdLength: 0x08,
  transports: 0x09,
  algorithms: 0x0a,
  maxSerializedLargeBlobArray: 0x0b,
  forcePINChange: 0x0c,
  minPINLength: 0x0d,
  firmwareVersion: 0x0e,
  maxCredBlobLength: 0x0f,
  maxRPIDsForSetMinPINLength: 0x10,
  preferredPlatformUvAttempts: 0x11,
  uvModality: 0x12,
  certifications: 0x13,
  remainingDiscoverableCredentials: 0x14,
  vendorPrototypeConfigCommands: 0x15,
  // CTAP 2.3 §6.4 members.
  attestationFormats: 0x16,
  uvCountSinceLastPinEntry: 0x17,
  longTouchForReset: 0x18,
  encIdentifier: 0x19,
  transportsForReset: 0x1a,
  pinComplexityPolicy: 0x1b,
  pinComplexityPolicyURL: 0x1c,
  maxPINLength: 0x1d,
  encCredStoreState: 0x1e,
  authenticatorConfigCommands: 0x1f,
} as const;

/** §6.5 authenticatorClientPIN request keys. */
export const ClientPinKey = {
  pinUvAuthProtocol: 0x01,
  subCommand: 0x02,
  keyAgreement: 0x03,
  pinUvAuthParam: 0x04,
  newPinEnc: 0x05,
  pinHashEnc: 0x06,
  permissions: 0x09,
  rpId: 0x0a,
} as const;

/** §6.5 authenticatorClientPIN response keys. */
export const ClientPinResponseKey = {
  keyAgreement: 0x01,
  pinUvAuthToken: 0x02,
  pinRetries: 0x03,
  powerCycleState: 0x04,
  uvRetries: 0x05,
} as const;

/** §6.5 authenticatorClientPIN subCommand values. */
export const ClientPinSubCommand = {
  getPINRetries: 0x01,
  getKeyAgreement: 0x02,
  setPIN: 0x03,
  changePIN: 0x04,
  getPinToken: 0x05,
  getPinUvAuthTokenUsingUvWithPermissions: 0x06,
  getUVRetries: 0x07,
  getPinUvAuthTokenUsingPinWithPermissions: 0x09,
} as const;

/** §6.5.5.7 pinUvAuthToken permissions (bit flags). */
export const PinUvAuthTokenPermission = {
  mc: 0x01,
  ga: 0x02,
  cm: 0x04,
  be: 0x08,
  lbw: 0x10,
  acfg: 0x20,
  /** CTAP 2.3 §6.5.5.7: persistent credential management read-only (the persistent token). */
  pcmr: 0x40,
} as const;
