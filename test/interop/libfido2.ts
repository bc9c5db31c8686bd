/**
 * Builds and runs the libfido2 harness (test/interop/libfido2/harness.c): our C program linked
 * against Debian's libfido2-dev, compiled with `cc` into a throwaway directory for each run.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './startDevice.js';

export const MISSING_LIBFIDO2 = 'libfido2 or a C compiler is missing: apt-get install libfido2-dev gcc pkg-config';

export function harnessSource(): string {
  return join(repoRoot(), 'test', 'interop', 'libfido2', 'harness.c');
}

function run(command: string, args: string[]): { ok: boolean; stdout: string; stderr: string } {
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: 60_000 });
  return {
    ok: !r.error && r.status === 0,
    stdout: r.stdout ?? '',
    stderr: r.error ? r.error.message : (r.stderr ?? ''),
  };
}

export interface Libfido2Toolchain {
  /** `pkg-config --modversion libfido2`, or "unknown" without pkg-config. */
  version: string;
  /** Compiler and linker flags for libfido2. */
  flags: string[];
}

/**
 * `cc` and libfido2's headers, or why not. pkg-config gives the flags and the version when it is
 * installed; without it the Debian header path and `-lfido2` are enough.
 */
export function probeLibfido2(): { ok: true; toolchain: Libfido2Toolchain } | { ok: false; reason: string } {
  const cc = run('cc', ['--version']);
  if (!cc.ok) return { ok: false, reason: `cc: ${cc.stderr.trim() || 'not runnable'}` };
  const version = run('pkg-config', ['--modversion', 'libfido2']);
  if (version.ok) {
    const flags = run('pkg-config', ['--cflags', '--libs', 'libfido2']);
    if (!flags.ok) return { ok: false, reason: `pkg-config --cflags --libs libfido2: ${flags.stderr.trim()}` };
    return {
      ok: true,
      toolchain: { version: version.stdout.trim(), flags: flags.stdout.trim().split(/\s+/).filter(Boolean) },
    };
  }
  if (!existsSync('/usr/include/fido.h'))
    return { ok: false, reason: 'no libfido2.pc for pkg-config and no /usr/include/fido.h' };
  return { ok: true, toolchain: { version: 'unknown', flags: ['-lfido2'] } };
}

/**
 * Compiles the harness; throws with the compiler's output when it does not build. Warnings do not
 * fail the build (another compiler may add some) but come back in `warnings`.
 */
export function buildHarness(toolchain: Libfido2Toolchain): { binary: string; warnings: string } {
  const binary = join(mkdtempSync(join(tmpdir(), 'softkey-libfido2-')), 'harness');
  const args = [
    '-std=c11',
    '-D_POSIX_C_SOURCE=200809L',
    '-Wall',
    '-Wextra',
    '-O1',
    '-o',
    binary,
    harnessSource(),
    ...toolchain.flags,
  ];
  const r = run('cc', args);
  if (!r.ok) throw new Error(`cc ${args.join(' ')} failed:\n${r.stderr}`);
  return { binary, warnings: r.stderr.trim() };
}

export interface HarnessRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string[];
  stderr: string;
}

/** Runs the built harness, handing every stdout line to onLine. */
export function runHarness(
  binary: string,
  args: string[],
  onLine: (line: string) => void,
  timeoutMs = 120_000,
): Promise<HarnessRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: string[] = [];
    let stderr = '';
    let partial = '';
    const line = (l: string) => {
      stdout.push(l);
      onLine(l);
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      lines.forEach(line);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (partial) line(partial);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
