/**
 * Composition for `softkey webdriver`: the WebDriver intermediary (src/bridge/webdriverIntermediary.ts)
 * with a fresh in-memory softkey key behind each virtual authenticator. The Authenticator
 * Configuration's device side (WebAuthn L3 §11.3 protocol, transport, hasResidentKey, extensions)
 * becomes a device profile (profiles.ts) on top of "default" (CTAP 2.1) or "ctap20" (CTAP 2.0).
 */
import { randomBytes } from '../crypto/aead.js';
import * as b64u from '../encoding/base64url.js';
import type { VirtualKeySpec } from '../bridge/webdriverExtension.js';
import { startWebDriverIntermediary, type WebDriverIntermediary } from '../bridge/webdriverIntermediary.js';
import type { ProfileSpec } from './profiles.js';
import { openSoftKey, type OpenSoftKeyOptions, type SoftKey } from './softkey.js';

/** The profile of a virtual authenticator: getInfo rk, plat, transports and extensions as configured. */
export function virtualKeyProfile(spec: VirtualKeySpec): ProfileSpec {
  const ctap20 = spec.protocol === 'ctap2';
  return {
    name: `webdriver-${spec.protocol}-${spec.transport}`,
    base: ctap20 ? 'ctap20' : 'default',
    getInfo: {
      // A CTAP 2.0 key only knows hmac-secret among the extensions (CTAP 2.0 §8); CTAP 2.1 keys the rest.
      extensions: ctap20 ? spec.ctapExtensions.filter((e) => e === 'hmac-secret') : spec.ctapExtensions,
      options: ctap20
        ? { plat: spec.transport === 'internal', rk: spec.hasResidentKey, clientPin: null, up: null, uv: null }
        : {
            plat: spec.transport === 'internal',
            rk: spec.hasResidentKey,
            up: null,
            uv: null,
            clientPin: null,
            pinUvAuthToken: null,
            makeCredUvNotRqd: null,
            credMgmt: null,
            largeBlobs: spec.ctapExtensions.includes('largeBlobKey') ? null : false,
            authnrCfg: null,
            setMinPINLength: null,
            alwaysUv: null,
            perCredMgmtRO: null,
          },
      transports: [spec.transport],
    },
  };
}

export interface WebDriverOptions {
  upstream: string;
  host?: string;
  port?: number;
  /** openSoftKey options for every virtual authenticator's key (attestation, aaguid, …); in memory. */
  key?: Omit<OpenSoftKeyOptions, 'dataDir' | 'profile' | 'state'>;
  onEvent?: (event: string) => void;
}

export async function openVirtualKey(spec: VirtualKeySpec, key: WebDriverOptions['key'] = {}): Promise<SoftKey> {
  return openSoftKey({ ...key, dataDir: ':memory:', profile: virtualKeyProfile(spec) });
}

export function startWebDriver(options: WebDriverOptions): Promise<WebDriverIntermediary> {
  return startWebDriverIntermediary({
    upstream: options.upstream,
    ...(options.host !== undefined && { host: options.host }),
    ...(options.port !== undefined && { port: options.port }),
    openKey: (spec) => openVirtualKey(spec, options.key),
    token: () => b64u.encode(randomBytes(24)),
    ...(options.onEvent && { onEvent: options.onEvent }),
  });
}
