// The page's code, as it would ship: @simplewebauthn/browser, unchanged.
import { startAuthentication, startRegistration } from '@simplewebauthn/browser';
import type { relyingParty } from './rp.js';

type RP = ReturnType<typeof relyingParty>;

export async function signUp(rp: RP, userName: string) {
  const response = await startRegistration({ optionsJSON: await rp.registrationOptions(userName) });
  return rp.register(response);
}

export async function signIn(rp: RP) {
  const response = await startAuthentication({ optionsJSON: await rp.authenticationOptions() });
  return rp.authenticate(response);
}
