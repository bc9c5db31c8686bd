/**
 * Runs the python interop scripts (test/interop/python/*.py) with the Debian interpreter, which
 * has python3-fido2 0.9.1 (a pyenv `python3` on PATH usually does not).
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './startDevice.js';

/** The interpreter; SOFTKEY_INTEROP_PYTHON overrides it (e.g. a venv with fido2 0.9.1). */
export const DEBIAN_PYTHON = process.env.SOFTKEY_INTEROP_PYTHON || '/usr/bin/python3';
export const MISSING_FIDO2 = 'python3-fido2 is missing: apt-get install python3-fido2';

/** A script under test/interop/python/, resolved from the repository root (not dist/). */
export function pythonScript(name: string): string {
  return join(repoRoot(), 'test', 'interop', 'python', name);
}

function pythonEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' };
  // A pyenv/virtualenv setting must not leak into the system interpreter.
  delete env.PYTHONPATH;
  delete env.PYTHONHOME;
  return env;
}

/** `{ ok: true, version }` when the Debian python imports fido2, else why not. */
export function probePythonFido2(
  python = DEBIAN_PYTHON,
): { ok: true; version: string } | { ok: false; reason: string } {
  const r = spawnSync(python, ['-c', 'import fido2; print(fido2.__version__)'], {
    encoding: 'utf8',
    env: pythonEnv(),
    timeout: 20_000,
  });
  if (r.error) return { ok: false, reason: `${python}: ${r.error.message}` };
  if (r.status !== 0)
    return { ok: false, reason: `${python} -c "import fido2" failed: ${r.stderr.trim().split('\n').pop() ?? ''}` };
  return { ok: true, version: r.stdout.trim() };
}

export interface PythonRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string[];
  stderr: string;
}

/** Runs `python script args…` in the repository root, handing every stdout line to onLine. */
export function runPython(
  script: string,
  args: string[],
  opts: { python?: string; onLine?: (line: string) => void; timeoutMs?: number } = {},
): Promise<PythonRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(opts.python ?? DEBIAN_PYTHON, [script, ...args], {
      cwd: repoRoot(),
      env: pythonEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout: string[] = [];
    let stderr = '';
    let partial = '';
    const line = (l: string) => {
      stdout.push(l);
      opts.onLine?.(l);
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
      opts.onLine?.(`[stderr] ${chunk.trimEnd()}`);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 150_000);
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
