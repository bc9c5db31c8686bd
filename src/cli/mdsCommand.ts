/**
 * `softkey mds`: a local FIDO Metadata Service for a key's data directory (src/mds/metadataService.ts):
 * serves the metadata BLOB on loopback, or writes it with --out (0600) and exits.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { UsageError } from '../main/address.js';
import { DEFAULT_DATA_DIR } from '../main/defaults.js';
import {
  AUTHENTICATOR_STATUSES,
  MdsError,
  metadataBlob,
  startMetadataService,
  type AuthenticatorStatus,
} from '../mds/metadataService.js';
import { openSoftKey } from '../main/softkey.js';

export const MDS_HELP = `softkey mds [--data-dir DIR] [--out FILE | --listen HOST:PORT] [--root-out FILE]
        [--status PROFILE_OR_AAGUID=STATUS[,STATUS]]...
      a FIDO MDS 3.0 metadata BLOB (a JWT signed by the key's own MDS root) with a statement per profile
      (AAGUID, the key's attestation root, getInfo); --out writes it, otherwise it is served on loopback
      (the URL is printed); STATUS: ${AUTHENTICATOR_STATUSES.join(', ')}`;

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

export async function mdsCommand(args: string[], io: Io): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        'data-dir': { type: 'string' },
        out: { type: 'string' },
        'root-out': { type: 'string' },
        listen: { type: 'string' },
        status: { type: 'string', multiple: true },
      },
      strict: true,
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.out !== undefined && values.listen !== undefined)
    throw new UsageError('--out and --listen exclude each other');
  const statuses: Record<string, AuthenticatorStatus[]> = {};
  for (const s of values.status ?? []) {
    const m = /^([^=]+)=(.+)$/.exec(s);
    if (!m) throw new UsageError(`--status takes PROFILE_OR_AAGUID=STATUS, got "${s}"`);
    statuses[m[1]!] = m[2]!.split(',') as AuthenticatorStatus[];
  }
  const key = await openSoftKey({ dataDir: values['data-dir'] ?? DEFAULT_DATA_DIR, presence: 'auto' });
  try {
    if (values.out !== undefined) {
      const made = await metadataBlob(key, { statuses });
      writeFileSync(values.out, made.blob, { mode: 0o600 });
      if (values['root-out'] !== undefined) writeFileSync(values['root-out'], made.root);
      io.out(
        `metadata BLOB with ${made.payload.entries.length} statements: ${values.out}` +
          `${values['root-out'] !== undefined ? `; its MDS root: ${values['root-out']}` : ''}`,
      );
      return 0;
    }
    const server = await startMetadataService(key, {
      statuses,
      ...(values.listen !== undefined && { listen: values.listen }),
    });
    if (values['root-out'] !== undefined) writeFileSync(values['root-out'], server.root);
    io.out(`metadata BLOB served at ${server.url} (MDS root: ${server.url}/root.pem); Ctrl-C stops`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await server.close();
    return 0;
  } catch (e) {
    if (e instanceof MdsError) throw new UsageError(e.message);
    throw e;
  } finally {
    await key.close();
  }
}
