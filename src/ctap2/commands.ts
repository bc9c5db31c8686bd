/**
 * CTAP 2.1 §6 "Authenticator API": the command bytes (each command's map keys are declared with its
 * field list in src/ctap2/<command>.ts).
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
