// A relying party's server side, in process: @simplewebauthn/server makes the options and checks the answers.
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';

export function relyingParty(rpID, origin) {
  const credentials = new Map(); // credential id → WebAuthnCredential & { userName }
  let challenge = '';
  let registering = '';
  const expected = () => ({
    expectedChallenge: challenge,
    expectedOrigin: origin,
    expectedRPID: rpID,
    requireUserVerification: false,
  });
  return {
    credentials,
    async registrationOptions(userName) {
      const options = await generateRegistrationOptions({
        rpName: 'Example',
        rpID,
        userName,
        attestationType: 'direct',
        excludeCredentials: [...credentials.values()].filter((c) => c.userName === userName).map(({ id }) => ({ id })),
        authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
      });
      [challenge, registering] = [options.challenge, userName];
      return options;
    },
    async register(response) {
      const result = await verifyRegistrationResponse({ response, ...expected() });
      if (result.verified) {
        credentials.set(result.registrationInfo.credential.id, {
          ...result.registrationInfo.credential,
          userName: registering,
        });
      }
      return result;
    },
    async authenticationOptions() {
      const options = await generateAuthenticationOptions({ rpID, userVerification: 'preferred' });
      challenge = options.challenge;
      return options;
    },
    async authenticate(response) {
      const credential = credentials.get(response.id);
      if (!credential) throw new Error(`unknown credential ${response.id}`);
      const result = await verifyAuthenticationResponse({ response, ...expected(), credential });
      if (result.verified) credential.counter = result.authenticationInfo.newCounter;
      return result;
    },
  };
}
