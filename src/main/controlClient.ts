/**
 * The control API's client side, for `softkey ctl`: finds a running device through
 * <dataDir>/control.json (or an explicit URL and token) and calls its HTTP routes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONTROL_FILE, type ControlInfo } from './panel.js';

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
