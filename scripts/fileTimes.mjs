// A node:test reporter that writes one JSON line per test file: its path, wall time in ms (from
// when the runner started its process) and whether it passed. scripts/test.mjs adds it when
// SOFTKEY_TEST_TIMES names a file, to refresh its LONG_FIRST list.
import { relative } from 'node:path';

export default async function* fileTimes(source) {
  for await (const event of source) {
    const { name, file, details } = event.data ?? {};
    if (event.type === 'test:complete' && file !== undefined && name === file) {
      const ms = Math.round(details.duration_ms);
      yield `${JSON.stringify({ file: relative(process.cwd(), file), ms, ok: details.passed })}\n`;
    }
  }
}
