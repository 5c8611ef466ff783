/**
 * The strings a client may have signed instead of `X-CLIENT-KEY|X-TIMESTAMP`: each one a mistake
 * seen in SNAP client code (DOMAIN "How real clients and servers go wrong"), with the words that
 * name it and the fix.
 */
import { createHash } from 'node:crypto';

import { formatTimestamp, parseTimestamp } from '../timestamp.js';

export interface Candidate {
  text: string;
  /** Stable id of the mistake, `exact` for the correct stringToSign. */
  cause: string;
  /** What was signed instead, in words. */
  describe: string;
  fix: string;
}

export interface CandidateInput {
  clientId: string;
  timestamp: string;
  /** Client ids of the other registered clients. */
  otherClientIds: string[];
  body?: string;
}

const SEPARATORS = [':', ',', ';', ' ', '', '||', ' | ', '-', '_', '.', '/', '\n', '\t', '&'];
const WHITESPACE: [string, string][] = [
  [' ', ''],
  ['', ' '],
  ['', '\n'],
  ['', '\r\n'],
  ['\n', ''],
  [' ', ' '],
];
/** Offsets merchants' code tends to produce: UTC and the three Indonesian zones, and others. */
const OFFSETS = [0, 420, 480, 540, 330, 60, -300, -420];
const SIGN_FIX = 'Sign exactly X-CLIENT-KEY + "|" + X-TIMESTAMP, the header values as sent.';

function quoted(text: string): string {
  return JSON.stringify(text);
}

function* stringVariants(input: CandidateInput): Generator<Candidate> {
  const { clientId: c, timestamp: t } = input;
  const exact = `${c}|${t}`;
  yield { text: exact, cause: 'exact', describe: `signed ${quoted(exact)}`, fix: SIGN_FIX };

  for (const separator of SEPARATORS) {
    yield {
      text: `${c}${separator}${t}`,
      cause: 'separator',
      describe: `joined the values with ${quoted(separator)} instead of "|"`,
      fix: 'Join X-CLIENT-KEY and X-TIMESTAMP with a single "|" and nothing around it.',
    };
  }
  yield {
    text: `${t}|${c}`,
    cause: 'order',
    describe: 'signed X-TIMESTAMP|X-CLIENT-KEY: the values in the wrong order',
    fix: 'Put the client id first: X-CLIENT-KEY + "|" + X-TIMESTAMP.',
  };
  for (const [before, after] of WHITESPACE) {
    yield {
      text: `${before}${exact}${after}`,
      cause: 'whitespace',
      describe: `signed ${quoted(`${before}${exact}${after}`)}: whitespace around stringToSign`,
      fix: 'Do not add spaces or a newline around stringToSign (watch for echo, println, trim).',
    };
  }
  for (const other of input.otherClientIds) {
    yield {
      text: `${other}|${t}`,
      cause: 'other-client-id',
      describe: `signed with the client id ${quoted(other)} but sent ${quoted(c)}`,
      fix: 'Use the same client id in stringToSign and in X-CLIENT-KEY (check the environment).',
    };
  }
  if (input.body !== undefined) {
    for (const text of [`${exact}|${input.body}`, `${exact}${input.body}`]) {
      yield {
        text,
        cause: 'body-included',
        describe: 'included the request body in stringToSign',
        fix: 'The token signature covers only X-CLIENT-KEY|X-TIMESTAMP, no body.',
      };
    }
  }
  yield {
    text: createHash('sha256').update(exact).digest('hex'),
    cause: 'pre-hashed',
    describe: 'hashed stringToSign to hex first, then signed the hex digest',
    fix: 'Pass stringToSign itself to SHA256withRSA; the algorithm does the hashing.',
  };
  yield {
    text: `${c}|${encodeURIComponent(t)}`,
    cause: 'url-encoded',
    describe: 'URL-encoded the timestamp before signing',
    fix: 'Sign the timestamp exactly as it appears in the X-TIMESTAMP header.',
  };
}

/** Re-formatting of the same instant, relabelled wall-clock times, and re-read clocks. */
function* timestampVariants(input: CandidateInput): Generator<Candidate> {
  const parsed = parseTimestamp(input.timestamp);
  if (!parsed.ok) return;
  const c = input.clientId;
  const sent = input.timestamp;

  for (const text of sameInstantForms(parsed.epochMs)) {
    if (text === sent) continue;
    yield {
      text: `${c}|${text}`,
      cause: 'timestamp-reformatted',
      describe: `signed the timestamp as ${quoted(text)} but sent ${quoted(sent)} (same instant)`,
      fix: 'Format the timestamp once; use that exact string in the header and the signature.',
    };
  }

  const wallClock = sent.replace(/(Z|[+-]\d{2}:\d{2})$/, '');
  for (const suffix of ['Z', '+00:00', '+07:00', '+08:00', '+09:00', '']) {
    const text = `${wallClock}${suffix}`;
    if (text === sent) continue;
    yield {
      text: `${c}|${text}`,
      cause: 'timestamp-relabelled',
      describe: `signed ${quoted(text)}: the same clock reading with another offset label`,
      fix: 'Take one timestamp and sign the header value as sent; do not relabel local time.',
    };
  }

  const withMs = parsed.fractionDigits > 0;
  const step = withMs ? 1 : 1000;
  const reach = withMs ? 2000 : 3000;
  const offset = parsed.offsetMinutes;
  for (let delta = -reach; delta <= reach; delta += step) {
    if (delta === 0) continue;
    const text = formatTimestamp(new Date(parsed.epochMs + delta), {
      offsetMinutes: offset,
      milliseconds: withMs,
    });
    yield {
      text: `${c}|${parsed.utc ? text : text.replace(/Z$/, '+00:00')}`,
      cause: 'timestamp-resampled',
      describe: `signed a timestamp ${delta > 0 ? '+' : ''}${delta} ms from the one sent`,
      fix: 'Read the clock once: the header and the signature must use the same timestamp.',
    };
  }
}

function sameInstantForms(epochMs: number): string[] {
  const forms: string[] = [];
  for (const offsetMinutes of OFFSETS) {
    for (const milliseconds of [false, true]) {
      const text = formatTimestamp(new Date(epochMs), { offsetMinutes, milliseconds });
      forms.push(text);
      if (offsetMinutes === 0) forms.push(text.replace(/Z$/, '+00:00'));
    }
  }
  const date = new Date(epochMs).toISOString();
  forms.push(date.slice(0, 19), date);
  return forms;
}

/** Every candidate, the correct string first; duplicates of an earlier text are dropped. */
export function candidates(input: CandidateInput): Candidate[] {
  const seen = new Set<string>();
  const out: Candidate[] = [];
  for (const candidate of [...stringVariants(input), ...timestampVariants(input)]) {
    if (seen.has(candidate.text)) continue;
    seen.add(candidate.text);
    out.push(candidate);
  }
  return out;
}
