/**
 * The outside check of a page's create() then get(): both toJSON()s verify with
 * @simplewebauthn/server against the challenges the page made, and the assertion is a
 * PublicKeyCredential (softkey/playwright and softkey/puppeteer tests).
 */
import assert from 'node:assert/strict';
import { verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server';

/** What the in-page ceremony returns: challenges as base64url, the two toJSON()s, `instanceof`. */
export interface PageCeremony {
  c1: string;
  c2: string;
  made: unknown;
  got: unknown;
  isPkc: boolean;
}

export async function verifyCeremony(r: PageCeremony, origin: string): Promise<void> {
  const reg = await verifyRegistrationResponse({
    response: r.made as never,
    expectedChallenge: r.c1,
    expectedOrigin: origin,
    expectedRPID: 'localhost',
    requireUserVerification: false,
  });
  assert.equal(reg.verified, true);
  const auth = await verifyAuthenticationResponse({
    response: r.got as never,
    expectedChallenge: r.c2,
    expectedOrigin: origin,
    expectedRPID: 'localhost',
    credential: reg.registrationInfo.credential,
    requireUserVerification: false,
  });
  assert.equal(auth.verified, true);
  assert.equal(r.isPkc, true);
}
