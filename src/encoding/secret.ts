/**
 * Comparing per-run tokens (bridge, panel, control API, WebSocket CTAPHID) without an early exit,
 * so the time an answer takes does not reveal how much of a guess matched.
 */
export function sameSecret(given: string | undefined, secret: string): boolean {
  if (given === undefined) return false;
  let diff = given.length ^ secret.length;
  for (let i = 0; i < secret.length; i++) diff |= (given.charCodeAt(i) | 0) ^ secret.charCodeAt(i);
  return diff === 0;
}
