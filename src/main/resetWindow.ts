/**
 * `--reset-window-ms MS` (`softkey start`, with or without --split): how long after power-up the device
 * accepts authenticatorReset. CTAP 2.1 §6.6 lets an authenticator refuse a reset more than 10 s after
 * power-up (CTAP2_ERR_NOT_ALLOWED); softkey's default is that 10 s. A shorter window is for tests that
 * power-cycle the device and then wait for the window to close; a longer one is refused, so the flag
 * can only tighten the spec's limit.
 */
import { UsageError } from './address.js';

export const MIN_RESET_WINDOW_MS = 100;
export const MAX_RESET_WINDOW_MS = 10_000;

/** The flag's value as milliseconds, or undefined when not given; anything else is a usage error. */
export function parseResetWindowMs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Number(value);
  if (!/^\d+$/.test(value) || ms < MIN_RESET_WINDOW_MS || ms > MAX_RESET_WINDOW_MS)
    throw new UsageError(
      `--reset-window-ms must be a whole number from ${MIN_RESET_WINDOW_MS} to ${MAX_RESET_WINDOW_MS}, got "${value}"`,
    );
  return ms;
}
