/**
 * The control API's client side for the CLI, without the panel server (hono and the panel pages):
 * `softkey ctl` talks to a running device and needs only this (the one place the CLI gets it from).
 */
export {
  CONTROL_FILE,
  ControlClientError,
  controlRequest,
  findRunningDevice,
  readControlInfo,
  type ControlInfo,
} from '../control/controlClient.js';
