/** Words the reports share, so that every format names a mode and a verdict the same way. */
import type { Finding } from '../types.js';
import type { RunVerdict } from './gate.js';
import type { Mode } from './model.js';

const MODE_TITLE: Record<Mode, string> = {
  provider: 'provider battery',
  client: 'client judge',
  'pact-lint': 'pact files against openapi.yaml',
  'pact-verify': 'pact verification',
  traffic: 'recorded traffic',
};

const VERDICT_TITLE: Record<RunVerdict, string> = {
  conforming: 'CONFORMING',
  'not-conforming': 'NOT CONFORMING',
  unreachable: 'TARGET UNREACHABLE',
};

export function modeTitle(mode: Mode): string {
  return MODE_TITLE[mode];
}

export function verdictTitle(verdict: RunVerdict): string {
  return VERDICT_TITLE[verdict];
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * Whether a finding's message already quotes its expected and actual values (`answered 401
 * 4017300 "Unauthorized. Signature"; expected 200 2007300`), so that prose formats need not
 * repeat them after it. The structured formats (JSON, and the labelled rows of JUnit and HTML)
 * keep them regardless.
 */
export function messageQuotesEvidence({ message, expected, actual }: Finding): boolean {
  const quoted = (value: string | undefined): boolean =>
    value === undefined || message.includes(value);
  return quoted(expected) && quoted(actual);
}

/** `0.42 s`: durations as the console shows them. */
export function secondsText(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}
