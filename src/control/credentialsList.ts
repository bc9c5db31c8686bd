/**
 * `softkey credentials list`: the discoverable credentials with the signature counter a relying
 * party last saw.
 *
 * The store persists a counter as a ceiling reserved 64 uses at a time (README "counters"), so the
 * database alone can be up to 63 ahead of the truth. Hence:
 *  - a device is running on the data directory (control.json answers): ask it through the control
 *    API; its counters are exact;
 *  - offline, after clean shutdowns: the stored counters are exact (a clean close writes them);
 *  - offline, when a run reserved counters and did not close cleanly: print "≤ N" and say why: the
 *    last value seen is between N - 63 and N. (A device running without a control API owns the
 *    directory: the offline list is refused, store/dataDirLock.ts.)
 */
import * as b64u from '../encoding/base64url.js';
import { toHex } from '../encoding/bytes.js';
import { openDataDir } from '../store/dataDir.js';
import { COUNTER_RESERVATION } from '../store/sqliteStore.js';
import { controlRequest, findRunningDevice } from './controlClient.js';
import type { CredentialInfo } from './controller.js';

export interface CredentialsListing {
  /** One tab-separated line per credential. */
  lines: string[];
  /** Where the counters come from, and how exact they are (for stderr). */
  source: string;
}

interface Row {
  rpId: string;
  userName?: string | undefined;
  userDisplayName?: string | undefined;
  alg: number;
  credProtect: number;
  counter: string;
  createdAt?: string | undefined;
  idHex: string;
}

const line = (r: Row) =>
  [
    r.rpId,
    r.userName ?? '',
    r.userDisplayName ?? '',
    `alg ${r.alg}`,
    `credProtect ${r.credProtect}`,
    `counter ${r.counter}`,
    r.createdAt ?? '',
    r.idHex.slice(0, 16) + '…',
  ].join('\t');

/** The running device's list, or undefined when none answers on `dataDir`. */
async function fromRunningDevice(dataDir: string): Promise<CredentialsListing | undefined> {
  const info = await findRunningDevice(dataDir);
  if (!info) return undefined;
  const list = (await controlRequest(info, 'GET', '/credentials')) as CredentialInfo[];
  return {
    lines: list.map((c) => line({ ...c, counter: String(c.signCount), idHex: toHex(b64u.decode(c.credentialId)) })),
    source: `counters from the running device (pid ${info.pid}, ${info.url})`,
  };
}

export async function listCredentials(dataDir: string): Promise<CredentialsListing> {
  const running = await fromRunningDevice(dataDir);
  if (running) return running;
  // Offline, the store alone answers; opening it takes the directory's lock like a device does.
  const dir = openDataDir(dataDir);
  try {
    const store = dir.store;
    const ahead = store.countersMayBeAhead?.() ?? false;
    const lines = store.listAllResident().map((c) => {
      const n = store.getCounter(c.credentialId);
      return line({
        ...c,
        counter: ahead && n > 0 ? `≤ ${n}` : String(n),
        createdAt: new Date(c.createdAt).toISOString(),
        idHex: toHex(c.credentialId),
      });
    });
    const source = ahead
      ? `counters from ${dataDir} are reserved ceilings ("≤ N"): a run did not close cleanly, or one is running ` +
        `without its control API; the value a relying party last saw is at most ${COUNTER_RESERVATION - 1} lower`
      : `counters from ${dataDir} (no device running on it; exact)`;
    return { lines, source };
  } finally {
    dir.close();
  }
}
