/**
 * `softkey pool create`: the credential pool of a load test (src/artillery/pool.ts), wired for the CLI.
 */
import { createPool, writePool, type CreatePoolOptions } from '../artillery/pool.js';

export { PoolError } from '../artillery/pool.js';

export async function createPoolFiles(
  dir: string,
  o: CreatePoolOptions,
): Promise<{ poolPath: string; secretPath: string; users: number }> {
  const made = await createPool(o);
  return { ...writePool(dir, made), users: made.pool.users.length };
}
