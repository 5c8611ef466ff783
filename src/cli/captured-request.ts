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

function fail(message: string): never {
  throw new SnapcheckError('ERR_CAPTURED_REQUEST', message);
}

/** Where a shell would still be inside quotes at the end of the line. */
function openQuote(line: string): string | undefined {
  let quote: string | undefined;
  for (let index = 0; index < line.length; index += 1) {
    const char = line[index];
    if (char === '\\' && quote !== "'") index += 1;
    else if (quote === undefined && (char === '"' || char === "'")) quote = char;
    else if (char === quote) quote = undefined;
  }
  return quote;
}

/** `curl -X POST URL -H 'X-TIMESTAMP: …' -d '{…}'`, with or without line continuations. */
export function fromCurl(commandLine: string): CapturedRequest {
  const line = commandLine.replace(/\\\r?\n/g, ' ').trim();
  const quote = openQuote(line);
  if (quote) fail(`the curl line has an unbalanced ${quote} quote: paste the whole command`);

  // Variables are kept as written ($ts), so that an unexpanded one can be named.
  const words = parseShell(line, (name) => `$${name}`);
  const [program] = words;
  if (typeof program !== 'string' || !/(^|\/)curl(\.exe)?$/.test(program)) {
    fail('the curl line must start with curl (paste the command as it was run)');
  }

  const headers: Record<string, string> = {};
  let body: string | undefined;
  for (let index = 1; index < words.length; index += 1) {
    const word = words[index];
    if (typeof word !== 'string') continue;
    let header: string | undefined;
    if (word === '-H' || word === '--header') header = stringAt(words, ++index);
    else if (word.startsWith('--header=')) header = word.slice('--header='.length);
    else if (word.startsWith('-H')) header = word.slice(2);
    else if (DATA_FLAGS.has(word)) body = stringAt(words, ++index);

    if (header !== undefined) {
      const colon = header.indexOf(':');
      if (colon > 0) headers[header.slice(0, colon).trim()] = header.slice(colon + 1).trim();
    }
  }

  const unexpanded = Object.values(headers).flatMap((v) => v.match(/\$[A-Za-z_{(][\w})]*/g) ?? []);
  if (unexpanded.length > 0) {
    fail(
      `the curl line still holds shell variables (${unexpanded.join(', ')}): give the command ` +
        'as it ran, with their values (e.g. from `set -x` or `curl -v`)',
    );
  }
  return { headers, ...(body !== undefined ? { body } : {}) };
}

function stringAt(words: ReturnType<typeof parseShell>, index: number): string | undefined {
  const word = words[index];
  return typeof word === 'string' ? word : undefined;
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

/** Header values from JSON: strings, or arrays of strings (joined as HTTP joins them). */
function jsonHeaders(raw: Record<string, unknown>): HeaderBag {
  const headers: HeaderBag = {};
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value === 'string') headers[name] = value;
    else if (Array.isArray(value) && value.every((item) => typeof item === 'string')) {
      headers[name] = value.join(', ');
    } else if (/^(x-timestamp|x-client-key|x-signature)$/i.test(name)) {
      fail(`header ${name} in the request file is ${JSON.stringify(value)}, not a string`);
    }
  }
  return headers;
}

function fromJson(text: string): CapturedRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    fail('the request file looks like JSON but does not parse');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    fail('the request file is JSON but not an object with headers');
  }
  const object = parsed as { headers?: unknown; body?: unknown };
  const raw = object.headers && typeof object.headers === 'object' ? object.headers : object;
  const headers = jsonHeaders(raw as Record<string, unknown>);
  const body = typeof object.body === 'string' ? object.body : undefined;
  return { headers, ...(body !== undefined ? { body } : {}) };
}

/**
 * Any of the three forms. A script or a terminal transcript holding a curl command is read from
 * its first line that starts with curl (after an optional `$ ` prompt).
 */
export function readCaptured(text: string): CapturedRequest {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) return fromJson(trimmed);
  return CURL_LINE.test(trimmed) ? fromCurlText(trimmed) : fromHttpText(trimmed);
}

const CURL_LINE = /^(\$ )?(\S*\/)?curl(\.exe)?\s/m;

/** The first curl command in a script, a transcript or a bare command line. */
export function fromCurlText(text: string): CapturedRequest {
  const at = text.search(CURL_LINE);
  if (at < 0) fail('found no curl command (a line starting with curl) in the --curl value');
  return fromCurl(text.slice(at).replace(/^\$ /, ''));
}
