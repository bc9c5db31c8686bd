/**
 * The control API's client side (`softkey ctl`, `softkey mcp`, and the commands that defer to a
 * running device): finds a running device through <dataDir>/control.json (or an explicit URL and
 * token) and calls its HTTP routes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The file a running `softkey start` writes in its data directory (mode 0600): where its control API is. */
export const CONTROL_FILE = 'control.json';

/** What control.json holds. */
export interface ControlInfo {
  /** Base URL of the control API and panel (http://127.0.0.1:5174). */
  url: string;
  token: string;
  /** The panel page, token included. */
  panel: string;
  pid: number;
}

export class ControlClientError extends Error {
  override name = 'ControlClientError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** The control endpoint of the device running on `dataDir`. */
export function readControlInfo(dataDir: string): ControlInfo {
  const file = join(dataDir, CONTROL_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new ControlClientError(
      `no running softkey found: ${file} does not exist (is "softkey start --data-dir ${dataDir}" running?)`,
    );
  }
  const info = JSON.parse(text) as ControlInfo;
  if (typeof info.url !== 'string' || typeof info.token !== 'string')
    throw new ControlClientError(`${file} is not a softkey control file`);
  return info;
}

export async function controlRequest(
  endpoint: { url: string; token: string },
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(endpoint.url.replace(/\/$/, '') + '/api' + path, {
      method,
      headers: {
        Authorization: `Bearer ${endpoint.token}`,
        ...(body !== undefined && { 'Content-Type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  } catch (e) {
    throw new ControlClientError(
      `cannot reach ${endpoint.url}: ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}`,
    );
  }
  const data = (await res.json().catch(() => ({}))) as { error?: string };
  if (!res.ok) throw new ControlClientError(data.error ?? `HTTP ${res.status}`, res.status);
  return data;
}

/**
 * The control endpoint of a device running on `dataDir`, or undefined when none answers there (no
 * control.json, or a stale one left by a device that has stopped). A device that answers with an
 * error is an error.
 */
export async function findRunningDevice(dataDir: string): Promise<ControlInfo | undefined> {
  if (!existsSync(join(dataDir, CONTROL_FILE))) return undefined;
  const info = readControlInfo(dataDir);
  try {
    await controlRequest(info, 'GET', '/pin');
  } catch (e) {
    if (e instanceof ControlClientError && e.status === undefined) return undefined; // nothing listens
    throw e;
  }
  return info;
}
