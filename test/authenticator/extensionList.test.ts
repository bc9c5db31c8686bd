/**
 * The extension table (issue #17 step 5): every extension file's descriptor is in the one list
 * (src/authenticator/extensions/list.ts), and that list is what getInfo reports, what the request
 * decoders read and what the switchboards run. A descriptor left out of the list fails here.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { createAuthenticator } from '../../src/authenticator/authenticator.js';
import { defaultConfig } from '../../src/authenticator/config.js';
import type { AnyExtension } from '../../src/authenticator/extensions/descriptor.js';
import { EXTENSIONS } from '../../src/authenticator/extensions/list.js';
import { Command } from '../../src/ctap2/commands.js';
import { dispatchCtap2 } from '../../src/ctap2/dispatch.js';
import { encodeSimpleCommand } from '../../src/ctap2/hostCodec.js';
import { decodeGetInfoResponse } from '../../src/ctap2/getInfo.js';
import { testContext, testEnv } from '../helpers/env.js';

const HOOKS = ['decodeMakeCredentialInput', 'decodeGetAssertionInput', 'onMakeCredential', 'onGetAssertion'] as const;
const isDescriptor = (v: unknown): v is AnyExtension =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as AnyExtension).id === 'string' &&
  HOOKS.some((h) => typeof (v as Record<string, unknown>)[h] === 'function');

describe('extension list', () => {
  it('holds every descriptor exported by src/authenticator/extensions/, once', async () => {
    const dir = join(import.meta.dirname, '../../src/authenticator/extensions');
    const exported: AnyExtension[] = [];
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.js'))) {
      const module = (await import(pathToFileURL(join(dir, file)).href)) as Record<string, unknown>;
      exported.push(...Object.values(module).filter(isDescriptor));
    }
    assert.ok(exported.length >= 10, `descriptors found: ${exported.map((e) => e.id).join(', ')}`);
    for (const d of exported) assert.ok(EXTENSIONS.includes(d), `${d.id} is exported but not in list.ts`);
    assert.equal(new Set(EXTENSIONS.map((e) => e.id)).size, EXTENSIONS.length, 'identifiers are unique');
  });

  it("a hook for a command comes with that command's input decoder", () => {
    for (const d of EXTENSIONS) {
      if (d.onMakeCredential) assert.equal(typeof d.decodeMakeCredentialInput, 'function', d.id);
      if (d.onGetAssertion) assert.equal(typeof d.decodeGetAssertionInput, 'function', d.id);
    }
  });

  it("getInfo lists the offered extensions in the list's order (pinComplexityPolicy with ctap23 only)", async () => {
    for (const ctap23 of [false, true]) {
      const authenticator = await createAuthenticator(testEnv(), defaultConfig({ ctap23 }));
      const response = await dispatchCtap2(
        authenticator,
        encodeSimpleCommand(Command.authenticatorGetInfo),
        testContext(),
      );
      const listed = EXTENSIONS.filter(
        (e) => e.offeredByDefault !== false && (e.id !== 'pinComplexityPolicy' || ctap23),
      ).map((e) => e.id);
      assert.deepEqual(decodeGetInfoResponse(response).extensions, listed, `ctap23 ${ctap23}`);
      assert.ok(
        !listed.includes('appid') && !listed.includes('appidExclude'),
        'appid/appidExclude only for profiles that list them',
      );
    }
  });
});
