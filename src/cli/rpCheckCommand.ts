/**
 * `softkey rp-check CONFIG.json`: drives a relying party's registration and sign-in endpoints
 * through every attestation format and every deliberately wrong answer, and reports what it
 * accepted that it should have refused (src/rp-check/rpCheck.ts). Exit 0: nothing wrongly accepted;
 * 1: something was; 2: a usage or configuration error.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { UsageError } from '../main/address.js';
import { checkRpCheckAdapter, formatRpCheckReport, rpCheck } from '../rp-check/rpCheck.js';

export const RP_CHECK_HELP = `softkey rp-check CONFIG.json [--only NAME,...] [--json]
      drive an RP's registration/sign-in endpoints (CONFIG: { target, origin?, registration: { options: { url, body },
      verify: { url, bodyField } }, authentication: {...} }, "{username}" in bodies is the virtual user) through every
      attestation format and every deliberately wrong answer; report what it wrongly accepted and the WebAuthn step it
      skipped (exit 1 when anything was)`;

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

export async function rpCheckCommand(args: string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { only: { type: 'string' }, json: { type: 'boolean' } },
      strict: true,
      allowPositionals: true,
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const [file, ...more] = parsed.positionals;
  if (file === undefined || more.length > 0) throw new UsageError(`expected one CONFIG.json\n${RP_CHECK_HELP}`);
  let adapter;
  try {
    adapter = checkRpCheckAdapter(JSON.parse(readFileSync(file, 'utf8')));
  } catch (e) {
    throw new UsageError(`rp-check: ${file}: ${(e as Error).message}`);
  }
  const only = parsed.values.only
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const json = parsed.values.json === true;
  const report = await rpCheck(adapter, {
    ...(only && { only }),
    ...(!json && { onResult: () => {} }),
  });
  io.out(json ? JSON.stringify(report, null, 2) : formatRpCheckReport(report).trimEnd());
  return report.wronglyAccepted.length === 0 ? 0 : 1;
}
