/**
 * Reads a token request someone captured: a curl command line, raw HTTP text, or JSON with a
 * `headers` object. Only the headers the signature doctor needs are taken from it.
 */
import { parse as parseShell } from 'shell-quote';

import { SnapcheckError } from '../errors.js';
import type { HeaderBag } from '../types.js';

export interface CapturedRequest {
  headers: HeaderBag;
  body?: string;
}

const DATA_FLAGS = new Set(['-d', '--data', '--data-raw', '--data-binary', '--data-ascii']);

/** `curl -X POST URL -H 'X-TIMESTAMP: …' -d '{…}'`, with or without line continuations. */
export function fromCurl(commandLine: string): CapturedRequest {
  const words = parseShell(commandLine.replace(/\\\r?\n/g, ' ')).filter(
    (word): word is string => typeof word === 'string',
  );
  if (words[0] !== 'curl') {
    throw new SnapcheckError('ERR_CURL', 'the --curl value must start with curl');
  }

  const headers: Record<string, string> = {};
  let body: string | undefined;
  for (let index = 1; index < words.length; index += 1) {
    const word = words[index]!;
    let header: string | undefined;
    if (word === '-H' || word === '--header') header = words[++index];
    else if (word.startsWith('-H')) header = word.slice(2);
    else if (DATA_FLAGS.has(word)) body = words[++index];

    if (header !== undefined) {
      const colon = header.indexOf(':');
      if (colon > 0) headers[header.slice(0, colon).trim()] = header.slice(colon + 1).trim();
    }
  }
  return { headers, ...(body !== undefined ? { body } : {}) };
}

/** Raw HTTP (`POST … HTTP/1.1` then `Name: value` lines, a blank line, the body). */
function fromHttpText(text: string): CapturedRequest {
  const [head = '', ...rest] = text.split(/\r?\n\r?\n/);
  const headers: Record<string, string> = {};
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && !/^\S+ \S+ HTTP\//.test(line)) {
      headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
    }
  }
  const body = rest.join('\n\n');
  return { headers, ...(body ? { body } : {}) };
}

function fromJson(text: string): CapturedRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new SnapcheckError(
      'ERR_REQUEST_FILE',
      'the request file looks like JSON but does not parse',
    );
  }
  const object = (parsed ?? {}) as { headers?: HeaderBag; body?: unknown };
  const headers = object.headers ?? (object as HeaderBag);
  const body = typeof object.body === 'string' ? object.body : JSON.stringify(object.body ?? '');
  return { headers, body };
}

/** Any of the three forms, told apart by their first characters. */
export function readCaptured(text: string): CapturedRequest {
  const trimmed = text.trim();
  if (trimmed.startsWith('curl ')) return fromCurl(trimmed);
  if (trimmed.startsWith('{')) return fromJson(trimmed);
  return fromHttpText(trimmed);
}
