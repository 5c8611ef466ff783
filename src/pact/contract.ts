/**
 * Names and patterns of the contracts snapcheck publishes in `contracts/`: one pact per profile,
 * between the reference token client and a provider answering in that profile's style.
 */
import type { Profile } from '../types.js';

export const CONSUMER_NAME = 'snapcheck-token-client';

/** The provider a contract is written against; its suffix names the profile. */
export function providerName(profile: Profile): string {
  return `snap-b2b-token-${profile}`;
}

/** The profile a provider name implies, when it follows snapcheck's naming. */
export function profileOfProvider(name: string): Profile | undefined {
  const match = /-(doku|snap)$/.exec(name);
  return match ? (match[1] as Profile) : undefined;
}

/** Pact's own file naming: `<consumer>-<provider>.json`. */
export function contractFileName(profile: Profile): string {
  return `${CONSUMER_NAME}-${providerName(profile)}.json`;
}

/**
 * An X-SIGNATURE made with a 2048-bit key: 256 bytes are 344 base64 characters, the last two
 * of them padding.
 */
export const SIGNATURE_2048_PATTERN = '^[A-Za-z0-9+/]{342}==$';

/** Content-Type of a JSON answer, with or without parameters. */
export const JSON_CONTENT_TYPE_PATTERN = '^application/json\\s*(;.*)?$';

/** The example timestamps of DOKU's page: its request and its answer. */
export const EXAMPLE_REQUEST_TIMESTAMP = '2022-10-07T14:18:39+07:00';
export const EXAMPLE_RESPONSE_TIMESTAMP = '2022-10-07T14:26:50+07:00';
/** Not ISO-8601: a space where the T belongs, no offset. */
export const MALFORMED_TIMESTAMP = '2022-10-07 14:18:39';
