// The page's code, as it would ship: @simplewebauthn/browser, unchanged.
import { startAuthentication, startRegistration } from '@simplewebauthn/browser';

export async function signUp(rp, userName) {
  const response = await startRegistration({ optionsJSON: await rp.registrationOptions(userName) });
  return rp.register(response);
}

export async function signIn(rp) {
  const response = await startAuthentication({ optionsJSON: await rp.authenticationOptions() });
  return rp.authenticate(response);
}
