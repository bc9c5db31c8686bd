/**
 * `softkey pool create`: pre-enrolls the virtual users of a load test (see src/artillery/pool.ts).
 * A sealing passphrase comes from an environment variable, never the command line (ps shows it).
 */
import { parseArgs } from 'node:util';
import { UsageError } from '../main/address.js';
import { createPool, PoolError, writePool } from '../artillery/pool.js';

export const POOL_HELP = `softkey pool create --users N --rp-id ID --out DIR [--origin URL] [--prefix NAME] [--alg=-7,-8,-257]
                   [--resident]
      pre-enroll N virtual users (non-discoverable, key-wrapped credentials) for an RP: DIR/pool.json
      is what the RP seeds from (user name, user handle, credential ID, COSE/SPKI public key, counter),
      DIR/secret.json (0600) is all a load-test worker needs to sign for any of them; sealed when
      SOFTKEY_POOL_PASSPHRASE is set (workers then need it too). --resident makes the credentials
      discoverable, for sign-in with an empty allowCredentials`;

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

export async function poolCommand(args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'create') throw new UsageError(`unknown pool command "${sub ?? ''}" (known: create)`);
  const { values } = parseArgs({
    args: rest,
    options: {
      users: { type: 'string' },
      'rp-id': { type: 'string' },
      out: { type: 'string' },
      origin: { type: 'string' },
      prefix: { type: 'string' },
      alg: { type: 'string' },
      resident: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.users === undefined || !/^\d+$/.test(values.users))
    throw new UsageError('--users N is required (a whole number)');
  if (!values['rp-id']) throw new UsageError('--rp-id ID is required');
  if (!values.out) throw new UsageError('--out DIR is required');
  const algorithms = values.alg?.split(',').map((a) => Number(a.trim()));
  if (algorithms?.some((a) => !Number.isInteger(a)))
    throw new UsageError('--alg takes COSE algorithm numbers such as --alg=-7,-8');
  const passphrase = process.env.SOFTKEY_POOL_PASSPHRASE;
  try {
    const made = await createPool({
      users: Number(values.users),
      rpId: values['rp-id'],
      ...(values.origin && { origin: values.origin }),
      ...(values.prefix && { usernamePrefix: values.prefix }),
      ...(algorithms && { algorithms }),
      ...(passphrase && { passphrase }),
      ...(values.resident && { resident: true }),
    });
    const r = writePool(values.out, made);
    io.out(
      `pool of ${made.pool.users.length} ${values.resident ? 'discoverable ' : ''}users for ${values['rp-id']}: ${r.poolPath} (seed the RP from it), ` +
        `${r.secretPath} (the workers' secret, 0600)`,
    );
    return 0;
  } catch (e) {
    if (e instanceof PoolError) throw new UsageError(e.message);
    throw e;
  }
}
