/**
 * Re-signing replayed requests. A pact records one X-TIMESTAMP and the X-SIGNATURE made over it;
 * replayed later, both are stale and any provider answers 401. Before each replayed request
 * reaches the provider, the verifier's request filter gives it a fresh timestamp in the same form
 * (offset, milliseconds) and a signature made with the verifying client's key, guided by the
 * interaction's provider states:
 *
 * - a state saying the client is registered: its client id becomes the verifying client's id;
 * - a state saying the provider does not hold the signing key: signed by a throwaway key;
 * - an X-TIMESTAMP that is not a valid timestamp, or a missing X-SIGNATURE, is left as the
 *   contract wrote it: that fault is what the interaction is about.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';

import { headerValue } from '../engine/headers.js';
import { signToken } from '../signature/asymmetric.js';
import { formatTimestamp, parseTimestamp } from '../timestamp.js';
import type { HeaderBag } from '../types.js';
import { parseState, type StateIntent } from './states.js';

export interface ResignOptions {
  clientId: string;
  privateKey: KeyObject;
  clock: () => number;
}

/** What was changed in one request, for the report (values are not secrets). */
export interface ResignNote {
  clientId?: { from: string; to: string };
  timestamp?: { from: string; to: string };
  signer?: 'verifying key' | 'throwaway key';
}

/** Tracks the provider states set up for the interaction being replayed. */
export class StateTracker {
  private intents: StateIntent[] = [];
  private names: string[] = [];

  setup(name: string): StateIntent | undefined {
    const intent = parseState(name);
    this.names.push(name);
    if (intent) this.intents.push(intent);
    return intent;
  }

  teardown(): void {
    this.intents = [];
    this.names = [];
  }

  get current(): readonly StateIntent[] {
    return this.intents;
  }

  get stateNames(): readonly string[] {
    return this.names;
  }
}

let throwaway: KeyObject | undefined;

/** A key no provider holds, made once per process. */
function throwawayKey(): KeyObject {
  throwaway ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  return throwaway;
}

function setHeader(headers: HeaderBag, name: string, value: string): void {
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() === name.toLowerCase()) delete headers[key];
  }
  headers[name.toLowerCase()] = value;
}

/** Rewrites the headers of one replayed request in place; returns what it changed. */
export function resign(
  headers: HeaderBag,
  states: readonly StateIntent[],
  options: ResignOptions,
): ResignNote {
  const note: ResignNote = {};
  const sentId = headerValue(headers, 'X-CLIENT-KEY');
  const intent = states.find((state) => state.clientId === sentId);

  let clientId = sentId;
  if (sentId !== undefined && intent && intent.kind !== 'unregistered') {
    clientId = options.clientId;
    if (clientId !== sentId) note.clientId = { from: sentId, to: clientId };
    setHeader(headers, 'X-CLIENT-KEY', clientId);
  }

  const stamp = headerValue(headers, 'X-TIMESTAMP');
  let timestamp = stamp;
  const parsed = stamp === undefined ? undefined : parseTimestamp(stamp);
  if (stamp !== undefined && parsed?.ok) {
    timestamp = formatTimestamp(new Date(options.clock()), {
      offsetMinutes: parsed.offsetMinutes,
      milliseconds: parsed.fractionDigits > 0,
    });
    note.timestamp = { from: stamp, to: timestamp };
    setHeader(headers, 'X-TIMESTAMP', timestamp);
  }

  if (headerValue(headers, 'X-SIGNATURE') !== undefined) {
    const otherKey = intent?.kind === 'other-key';
    const key = otherKey ? throwawayKey() : options.privateKey;
    setHeader(headers, 'X-SIGNATURE', signToken(key, clientId ?? '', timestamp ?? ''));
    note.signer = otherKey ? 'throwaway key' : 'verifying key';
  }
  return note;
}
