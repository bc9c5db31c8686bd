/**
 * Browser-side scripts (`*.browser.js`): plain JS that runs in a page as is, type-checked against the DOM by
 * tsconfig.dom.json, which also copies them to dist/ beside the modules that read them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The text of the browser script `name` that sits beside the module at `moduleUrl` (its import.meta.url).
 * In the repository (dist/src/… or src/… under tsx) it reads the source itself, so a build of tsconfig.json
 * alone serves the current script; an installed package reads the copy the build put beside the module.
 */
export function browserScript(moduleUrl: string, name: string): string {
  const beside = fileURLToPath(new URL(name, moduleUrl));
  const at = beside.lastIndexOf(`${sep}dist${sep}src${sep}`);
  const source = at < 0 ? beside : beside.slice(0, at) + beside.slice(at + `${sep}dist`.length);
  return readFileSync(existsSync(source) ? source : beside, 'utf8');
}
