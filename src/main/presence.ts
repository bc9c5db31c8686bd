/** The presence policies of `--presence MODE`, for the composition roots (src/control/presencePolicies.ts). */
export {
  PRESENCE_MODES,
  presenceFor,
  reviewFor,
  TerminalPresence,
  type PresenceMode,
} from '../control/presencePolicies.js';
