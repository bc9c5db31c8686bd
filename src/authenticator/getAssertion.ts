/**
 * CTAP 2.1 §6.2.2 authenticatorGetAssertion and §6.3 authenticatorGetNextAssertion.
 * https://fidoalliance.org/specs/fido-v2.1-ps-20210615/fido-client-to-authenticator-protocol-v2.1-ps-20210615.html#sctn-getAssert-authnr-alg
 */
import type { RequestContext } from '../ctap2/api.js';
import type { GetAssertionResponse, GetAssertionRequest } from '../ctap2/getAssertion.js';
import { buildAuthenticatorData, Flag } from '../ctap2/authenticatorData.js';
import { PinUvAuthTokenPermission } from '../ctap2/clientPin.js';
import { CtapError, Status } from '../ctap2/status.js';
import { alwaysUvForGetAssertion } from './authenticatorConfig.js';
import { followsCtap20 } from './config.js';
import type { WithExtensionInputs } from './extensions/supported.js';
import type { Core, PendingAssertions, ResolvedCredential } from './core.js';
import type { ResidentSelection } from '../store/credentialStore.js';
import { appid } from './extensions/appid.js';
import { credProtectAllows, visibleCredProtect } from './extensions/credProtect.js';
import { getAssertionInput } from './extensions/descriptor.js';
import {
  assertionOutputs,
  processGetAssertionExtensions,
  type AssertionExtensions,
} from './extensions/getAssertionExtensions.js';
import { credentialEvent } from './credentialEvents.js';
import { backupFlagBits } from './importCredential.js';
import {
  builtInUvForOperation,
  consumePinUvAuthToken,
  ensureUserPresence,
  pinUvAuthPreamble,
  verifyPinUvAuthParam,
} from './pinUvAuth.js';
import {
  takeWrongAnswers,
  wrongFlags,
  wrongRpIdHash,
  wrongSignature,
  wrongSignCount,
  type AuthenticatorWrongAnswer,
} from './wrongAnswers.js';

export async function getAssertion(
  core: Core,
  req: WithExtensionInputs<GetAssertionRequest>,
  ctx: RequestContext,
): Promise<GetAssertionResponse> {
  const { env, config } = core;
  const ctap20 = followsCtap20(config);
  core.runtime.pending = undefined;
  const prompt = { operation: 'getAssertion' as const, rpId: req.rpId, message: `Sign in to ${req.rpId}?` };

  // Steps 1–2: pinUvAuthParam probe and protocol checks.
  const protocol = req.pinUvAuthParam === undefined ? undefined : await pinUvAuthPreamble(core, req, ctx, prompt);

  // Step 4: options. pinUvAuthParam takes precedence over the "uv" option.
  if (req.options?.rk !== undefined) throw new CtapError(Status.CTAP2_ERR_UNSUPPORTED_OPTION, 'rk in getAssertion');
  const up = req.options?.up !== false;
  // alwaysBuiltInUv (platform profiles): a user-present assertion runs the built-in method unasked.
  const uvOption = protocol === undefined && (req.options?.uv === true || (config.alwaysBuiltInUv === true && up));
  if (uvOption && !env.uv?.available) {
    throw new CtapError(
      config.ctap20 ? Status.CTAP2_ERR_UNSUPPORTED_OPTION : Status.CTAP2_ERR_INVALID_OPTION,
      'no built-in user verification',
    );
  }

  // Step 5: alwaysUv (authenticatorConfig.ts): with "up", user verification is required, by
  // built-in UV when neither a pinUvAuthParam nor the "uv" option asks for it.
  const uvByAlwaysUv = alwaysUvForGetAssertion(core, up, protocol !== undefined, uvOption);

  // Step 6: user verification by pinUvAuthToken, or by built-in UV (which is also user presence).
  let uv = false;
  let presentByUv = false;
  if (protocol) {
    verifyPinUvAuthParam(
      core,
      protocol,
      req.pinUvAuthParam!,
      req.clientDataHash,
      PinUvAuthTokenPermission.ga,
      req.rpId,
    );
    uv = true;
  } else if (uvOption || uvByAlwaysUv) {
    await builtInUvForOperation(core, prompt, ctx);
    uv = presentByUv = true;
  }

  // Step 7: locate credentials, applying credProtect (§12.1).
  let rpIdHash = core.rpIdHash(req.rpId);
  let rpId = req.rpId;
  // appid (WebAuthn §10.1.1), processed here by profiles that offer it (the badge): an allowList
  // credential made for that AppID (a U2F credential) answers, signing for the AppID's hash.
  const appId = getAssertionInput(appid, req.extensions);
  const appIdHash = appId !== undefined ? core.rpIdHash(appId) : undefined;
  let first: ResolvedCredential | undefined;
  let numberOfCredentials = 1;
  let walk: { selection: ResidentSelection; position: number } | undefined;
  if (req.allowList) {
    for (const d of req.allowList) {
      if (d.type !== 'public-key') continue;
      const viaAppId = appIdHash && !core.resolve(d.id, rpIdHash) ? core.resolve(d.id, appIdHash) : undefined;
      const c = viaAppId ?? core.resolve(d.id, rpIdHash);
      if (c && credProtectAllows(c.payload.credProtect, uv, true)) {
        first = c;
        if (viaAppId) {
          rpIdHash = appIdHash!;
          rpId = appId!;
        }
        break; // §6.2.2 step 11: with an allowList, one credential answers.
      }
    }
  } else {
    // The RP's discoverable credentials this request may see, newest first (§6.2.2 step 11), as a
    // cursor into the store: their number is kept there, and only the one answered is read.
    const selection: ResidentSelection = { rpIdHash, maxCredProtect: visibleCredProtect(uv, false) };
    const step = nextDiscoverable(core, selection, undefined, uv);
    if (step) {
      first = step.credential;
      walk = { selection, position: step.position };
      numberOfCredentials = Math.max(1, env.store.countResidentOf(selection));
    }
  }
  if (!first) {
    throw new CtapError(Status.CTAP2_ERR_NO_CREDENTIALS);
  }

  // Step 9: user presence (unless built-in UV or the token's userPresent flag gave it), after which
  // the token's cached UP and UV are used up.
  if (up) {
    // Nothing to await when the port answered at once: the command then ends in this turn (issue 19).
    const touch = ensureUserPresence(core, protocol !== undefined, presentByUv, prompt, ctx);
    if (touch) await touch;
    consumePinUvAuthToken(core);
  }

  // Step 10: extensions (§12).
  const extensions = processGetAssertionExtensions(core, req.extensions, up);

  const flags = (up || presentByUv ? Flag.UP : 0) | (uv ? Flag.UV : 0);
  // The user's name and displayName only after user verification (§6.2.2 step 12); CTAP 2.0 §5.2
  // ("user") also keeps them back when a single account answers: its id is enough.
  const identifying = uv && (!ctap20 || numberOfCredentials > 1);
  // Deliberately wrong answers armed by the control API (wrongAnswers.ts): real ceremonies only, not up=false probes.
  const wrong = up ? takeWrongAnswers(core, 'authentication') : undefined;
  const response = assert(core, first, rpId, rpIdHash, req.clientDataHash, flags, uv, extensions, identifying, wrong);
  if (walk && numberOfCredentials > 1) {
    response.numberOfCredentials = numberOfCredentials;
    core.runtime.pending = {
      ...walk,
      remaining: numberOfCredentials - 1,
      rpId: req.rpId,
      rpIdHash,
      clientDataHash: req.clientDataHash,
      flags,
      uv,
      issuedAt: env.clock.now(),
      ...(extensions && { extensions }),
    };
  }
  return response;
}

export async function getNextAssertion(core: Core, _ctx: RequestContext): Promise<GetAssertionResponse> {
  const p: PendingAssertions | undefined = core.runtime.pending;
  const now = core.env.clock.now();
  if (!p || p.remaining <= 0 || now - p.issuedAt > core.config.nextAssertionTimeoutMs) {
    core.runtime.pending = undefined;
    throw new CtapError(Status.CTAP2_ERR_NOT_ALLOWED);
  }
  p.issuedAt = now; // §6.3: the timer restarts with each getNextAssertion.
  // The next older credential still in the store: one deleted since the getAssertion is skipped (so
  // the walk may end before numberOfCredentials), one made since is never reached.
  const step = nextDiscoverable(core, p.selection, p.position, p.uv);
  if (!step) {
    core.runtime.pending = undefined;
    throw new CtapError(Status.CTAP2_ERR_NOT_ALLOWED);
  }
  p.position = step.position;
  p.remaining--;
  return assert(core, step.credential, p.rpId, p.rpIdHash, p.clientDataHash, p.flags, p.uv, p.extensions, p.uv);
}

/**
 * The newest credential of `selection` older than `after` that opens for this RP and that its own
 * (sealed) credProtect level lets this request use; records that do not resolve are passed over.
 */
function nextDiscoverable(
  core: Core,
  selection: ResidentSelection,
  after: number | undefined,
  uv: boolean,
): { credential: ResolvedCredential; position: number } | undefined {
  for (
    let step = core.env.store.nextResident(selection, after);
    step;
    step = core.env.store.nextResident(selection, step.position)
  ) {
    const c = core.resolve(step.credential.credentialId, selection.rpIdHash, step.credential);
    if (c && credProtectAllows(c.payload.credProtect, uv, false)) return { credential: c, position: step.position };
  }
  return undefined;
}

/**
 * authenticatorData ‖ clientDataHash, the signed bytes, in a buffer reused by every assertion
 * (signing reads it synchronously): a fresh array over 64 bytes costs V8 an off-heap allocation.
 */
let signInput = new Uint8Array(256);
function signedData(authData: Uint8Array, clientDataHash: Uint8Array): Uint8Array {
  const n = authData.length + clientDataHash.length;
  if (signInput.length < n) signInput = new Uint8Array(n);
  signInput.set(authData, 0);
  signInput.set(clientDataHash, authData.length);
  return signInput.subarray(0, n);
}

/** Steps 10–13: counter, authenticator data, signature, response members. */
function assert(
  core: Core,
  cred: ResolvedCredential,
  rpId: string,
  rpIdHash: Uint8Array,
  clientDataHash: Uint8Array,
  flags: number,
  uv: boolean,
  ext: AssertionExtensions | undefined,
  identifying: boolean,
  wrong?: ReadonlySet<AuthenticatorWrongAnswer>,
): GetAssertionResponse {
  const last = wrong?.size ? core.env.store.getCounter(cred.id) : 0;
  let signCount = core.env.store.incrementCounter(cred.id);
  const { extensions, largeBlobKey } = assertionOutputs(ext, cred, uv);
  let allFlags = flags | backupFlagBits(core, cred.id);
  let authData: Uint8Array;
  let signature: Uint8Array;
  if (wrong?.size) {
    signCount = wrongSignCount(signCount, last, wrong);
    allFlags = wrongFlags(allFlags, wrong);
    authData = buildAuthenticatorData({
      rpIdHash: wrongRpIdHash(core, rpId, rpIdHash, wrong),
      flags: allFlags,
      signCount,
      extensions,
    });
    signature = wrongSignature(core.sign(cred, signedData(authData, clientDataHash)), wrong);
  } else {
    authData = buildAuthenticatorData({ rpIdHash, flags: allFlags, signCount, extensions });
    signature = core.sign(cred, signedData(authData, clientDataHash));
  }
  const response: GetAssertionResponse = { credential: { type: 'public-key', id: cred.id }, authData, signature };
  if (largeBlobKey) response.largeBlobKey = largeBlobKey;
  const r = cred.resident;
  if (r) {
    response.user = { id: r.userId };
    if (identifying) {
      if (r.userName !== undefined) response.user.name = r.userName;
      if (r.userDisplayName !== undefined) response.user.displayName = r.userDisplayName;
    }
  }
  if (core.env.credentialEvents) {
    const userHandle = r && { userHandle: r.userId };
    credentialEvent(core, {
      type: 'credentialAsserted',
      credentialId: cred.id,
      rpId,
      ...userHandle,
      discoverable: cred.payload.discoverable,
      signCount,
      flags: allFlags,
    });
  }
  return response;
}
