/**
 * CTAP 2.1 §6 "Authenticator API": command bytes, and the clientPIN key tables and values (each other
 * command's map keys are declared with its field list in src/ctap2/<command>.ts).
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
