/**
 * The provider states of snapcheck's contracts, written as sentences that name what the provider
 * must hold. Verification reads them back: they decide whose client id a replayed request
 * carries and which key signs it, so a contract can ask for a bad signature and still be
 * replayed with fresh timestamps.
 */

/** The client id the contracts are written for (DOKU's page example). */
export const CONTRACT_CLIENT_ID = 'MCH-0008-1296507211683';
/** A client id no provider registers. */
export const UNREGISTERED_CLIENT_ID = 'MCH-0000-0000000000000';

/** What a state asks of the provider, and of the verifier that replays the request. */
export type StateIntent =
  /** The client is registered with the public half of the key the verifier signs with. */
  | { kind: 'registered'; clientId: string }
  /** The client is registered, but the request is signed by a key the provider does not hold. */
  | { kind: 'other-key'; clientId: string }
  /** The client is not registered at all. */
  | { kind: 'unregistered'; clientId: string };

const PHRASES: Record<StateIntent['kind'], [string, string]> = {
  registered: ['client ', ' is registered with the public key that signs the request'],
  'other-key': [
    'client ',
    ' is registered with a public key other than the one that signs the request',
  ],
  unregistered: ['client ', ' is not registered'],
};

/** The sentence for a state, e.g. `client MCH-0008-… is not registered`. */
export function stateName(intent: StateIntent): string {
  const [before, after] = PHRASES[intent.kind];
  return `${before}${intent.clientId}${after}`;
}

/** Reads a state sentence back; undefined for states snapcheck did not write. */
export function parseState(name: string): StateIntent | undefined {
  for (const [kind, [before, after]] of Object.entries(PHRASES)) {
    if (!name.startsWith(before) || !name.endsWith(after)) continue;
    const clientId = name.slice(before.length, name.length - after.length);
    if (/^[!-~]+$/.test(clientId)) return { kind: kind as StateIntent['kind'], clientId };
  }
  return undefined;
}
