/**
 * The control API of a device whose keys and credentials are in another process: split mode's front
 * (`softkey start --split --presence panel`, docs/split.md "Prompts"). It serves what the front has,
 * the presence broker: the presence mode and timeout, and the pending prompts the secure core sent
 * (each names the RP it approves, or the transaction under review), to approve, long-touch or deny.
 * Every other operation answers a ControlError that names split mode as the cause.
 */
import type { UserPresence } from '../authenticator/env.js';
import { ControlError, type ControlEvent, type FaultPlanView } from './controller.js';
import type { ControlSurface } from './httpApi.js';
import { PRESENCE_MODES, PresenceBroker, type PresenceMode } from './presence.js';

export interface PromptsControl {
  /** The front's presence broker: the core's prompts are shown on it (main/splitDevice.ts brokerScreen). */
  readonly presence: PresenceBroker;
  readonly controller: ControlSurface;
}

const NO_FAULTS: FaultPlanView = {};

export function createPromptsControl(options: {
  mode: PresenceMode;
  timeoutMs?: number;
  terminal?: UserPresence;
}): PromptsControl {
  const listeners = new Set<(e: ControlEvent) => void>();
  const emit = (event: ControlEvent) => {
    for (const l of listeners) {
      try {
        l(event);
      } catch {
        // a broken view must not break the device
      }
    }
  };
  const presence = new PresenceBroker({
    mode: options.mode,
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    ...(options.terminal && { terminal: options.terminal }),
    onChange: (what) => {
      if (what === 'prompts') emit({ type: 'prompts', prompts: presence.prompts() });
      if (what === 'presence') emit({ type: 'presence', presence: presenceState() });
    },
  });
  const presenceState = () => ({ mode: presence.mode, timeoutMs: presence.timeoutMs });
  const unavailable = (what: string) => (): never => {
    throw new ControlError(
      `${what}: not available in split mode, whose credentials, PIN and keys are in the secure core ` +
        '(the panel answers its prompts)',
    );
  };
  const controller: ControlSurface = {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    // What the panel page loads: the prompts and presence are live; the rest is empty here.
    state: () => ({
      presence: presenceState(),
      uv: { available: false, result: presence.uvResult },
      pin: { set: false, retries: 0, uvRetries: 0 },
      prompts: presence.prompts(),
      faults: NO_FAULTS,
      credentials: [],
      wallet: [],
    }),
    presence: presenceState,
    setPresence(input) {
      const mode = input.mode ?? presence.mode;
      if (typeof mode !== 'string' || !(PRESENCE_MODES as readonly string[]).includes(mode))
        throw new ControlError(`mode must be one of ${PRESENCE_MODES.join(', ')}`);
      if (input.timeoutMs !== undefined && !(Number.isInteger(input.timeoutMs) && (input.timeoutMs as number) > 0))
        throw new ControlError('timeoutMs must be a positive whole number');
      try {
        presence.setMode(mode as PresenceMode, input.timeoutMs as number | undefined);
      } catch (e) {
        throw new ControlError((e as Error).message);
      }
      return presenceState();
    },
    prompts: () => presence.prompts(),
    answerPrompt(id, approve) {
      if (!presence.answer(String(id), approve))
        throw new ControlError(`no prompt ${id} waiting for an answer`, 'not-found');
      return { answered: true };
    },
    uv: () => ({ available: false, result: presence.uvResult }),
    faults: () => NO_FAULTS,
    trace: () => [],
    clearTrace: () => ({ cleared: true }),
    setUv: unavailable('built-in user verification'),
    pin: unavailable('the PIN state'),
    setPin: unavailable('setting the PIN'),
    credentials: unavailable('the credential list'),
    credential: unavailable('a credential'),
    addCredential: unavailable('adding a credential'),
    clearCredentials: unavailable('removing credentials'),
    setCredential: unavailable('changing a credential'),
    removeCredential: unavailable('removing a credential'),
    backupDefaults: unavailable('backup defaults'),
    setBackupDefaults: unavailable('backup defaults'),
    exportState: unavailable('exporting the key state'),
    events: unavailable('credential events'),
    reset: unavailable('reset from the control API'),
    powerCycle: unavailable('power cycle from the control API'),
    attestation: unavailable('attestation settings'),
    setAttestation: unavailable('attestation settings'),
    attestationRoots: unavailable('attestation roots'),
    overrides: unavailable('wrong answers'),
    override: unavailable('wrong answers'),
    clearOverrides: unavailable('wrong answers'),
    wrongAnswers: unavailable('wrong answers'),
    setFaults: unavailable('fault injection'),
    clearFaults: unavailable('fault injection'),
    walletAddresses: unavailable('wallet addresses'),
  };
  return { presence, controller };
}
