/** The presence policies of `--presence MODE`, for the composition roots (src/control/presencePolicies.ts). */
export { PRESENCE_MODES, presenceFor, reviewFor, type PresenceMode } from '../control/presencePolicies.js';
