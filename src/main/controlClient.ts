/**
 * The control API's client side for the CLI, without the panel server (hono and the panel pages):
 * `softkey ctl` and `softkey mcp` talk to a running device and need only this.
 */
export {
  CONTROL_FILE,
  ControlClientError,
  controlRequest,
  findRunningDevice,
  readControlInfo,
  type ControlInfo,
} from '../control/controlClient.js';
