/**
 * Reads pact files of specification 2, 3 and 4 into one shape: interactions with their provider
 * states, example request and response, and matching rules grouped by where they apply.
 *
 * The three formats differ in where they keep things (Pact specification, "matchingRules"):
 * V2 keys rules by a JSONPath over the whole message (`$.headers.X-TIMESTAMP`, `$.body.x`);
 * V3 and V4 group them by category (`header`, `body`, `status`) with a list of matchers each;
 * V4 wraps bodies as `{content, contentType, encoded}` and header values in arrays.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { SnapcheckError } from '../errors.js';

type Json = Record<string, unknown>;

/** One matcher as a pact file writes it: `{match: 'regex', regex: '…'}`, `{match: 'type'}`. */
export interface PactMatcher {
  match: string;
  [option: string]: unknown;
}

export type RuleCategory = 'header' | 'body' | 'status' | 'path' | 'query';

/** The matchers that apply at one place of a message. */
export interface MatchingRule {
  category: RuleCategory;
  /** A header name (`X-TIMESTAMP`), a JSONPath into the body (`$.expiresIn`), or '' */
  path: string;
  matchers: PactMatcher[];
  combine: 'AND' | 'OR';
}

export interface PactMessage {
  headers: Record<string, string>;
  /** The example body as bytes, exactly as the pact gives it; empty when there is none. */
  body: Buffer;
  /** The parsed example body when it is JSON. */
  json?: unknown;
  rules: MatchingRule[];
}

export interface PactInteraction {
  /** 1-based position in the file. */
  number: number;
  description: string;
  states: { name: string; params?: Json }[];
  /** False for message and plugin interactions, which snapcheck does not judge. */
  http: boolean;
  method: string;
  path: string;
  request: PactMessage;
  status: number;
  response: PactMessage;
}

export interface PactDocument {
  file: string;
  consumer: string;
  provider: string;
  /** 2, 3 or 4; 0 when the file does not say. */
  specification: number;
  interactions: PactInteraction[];
}

function asObject(value: unknown): Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Json)
    : {};
}

function specificationOf(metadata: Json): number {
  const candidates = [
    asObject(metadata.pactSpecification).version,
    asObject(metadata['pact-specification']).version,
    metadata.pactSpecificationVersion,
  ];
  const found = candidates.find((value) => typeof value === 'string');
  return found ? Number.parseInt(String(found), 10) || 0 : 0;
}

/** Header values: a string (V2, V3) or a list of strings (V4), joined as HTTP joins them. */
function headersOf(raw: unknown): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(asObject(raw))) {
    if (Array.isArray(value)) headers[name] = value.map(String).join(', ');
    else if (value !== undefined && value !== null) headers[name] = String(value);
  }
  return headers;
}

/** The example body: V4's `{content, contentType, encoded}` wrapper, or the bare value. */
function bodyOf(raw: unknown, v4: boolean): { body: Buffer; json?: unknown } {
  if (raw === undefined || raw === null) return { body: Buffer.alloc(0) };
  let content: unknown = raw;
  let encoded: unknown = false;
  if (v4 && typeof raw === 'object' && !Array.isArray(raw) && 'content' in raw) {
    content = (raw as Json).content;
    encoded = (raw as Json).encoded;
  }
  if (encoded === 'base64' && typeof content === 'string') {
    const body = Buffer.from(content, 'base64');
    return parsedOrText(body);
  }
  if (typeof content === 'string' && encoded !== 'json') return parsedOrText(Buffer.from(content));
  return { body: Buffer.from(JSON.stringify(content)), json: content };
}

function parsedOrText(body: Buffer): { body: Buffer; json?: unknown } {
  try {
    return { body, json: JSON.parse(body.toString('utf8')) };
  } catch {
    return { body };
  }
}

const V2_PREFIXES: [string, RuleCategory][] = [
  ['$.headers.', 'header'],
  ['$.body', 'body'],
  ['$.status', 'status'],
  ['$.path', 'path'],
  ['$.query', 'query'],
];

/** V2: `{"$.headers.X": {match…}}`; the body's paths are rewritten to start at `$`. */
function v2Rules(raw: Json): MatchingRule[] {
  const rules: MatchingRule[] = [];
  for (const [key, matcher] of Object.entries(raw)) {
    const prefix = V2_PREFIXES.find(([start]) => key.startsWith(start));
    if (!prefix) continue;
    const [start, category] = prefix;
    let path = key.slice(start.length);
    if (category === 'header') path = path.replace(/^\['(.*)'\]$/, '$1');
    if (category === 'body') path = `$${path}`;
    const options = asObject(matcher);
    const match = typeof options.match === 'string' ? options.match : 'regex';
    rules.push({ category, path, matchers: [{ ...options, match }], combine: 'AND' });
  }
  return rules;
}

/** V3/V4: `{header: {X: {matchers: […], combine}}, body: {'$.x': …}, status: {…}}`. */
function v3Rules(raw: Json): MatchingRule[] {
  const rules: MatchingRule[] = [];
  for (const [category, entries] of Object.entries(raw)) {
    const known: RuleCategory[] = ['header', 'body', 'status', 'path', 'query'];
    const name = category === 'headers' ? 'header' : category;
    if (!known.includes(name as RuleCategory)) continue;
    const entryMap = asObject(entries);
    // A category may hold one rule directly (`status: {matchers: […]}`) or rules keyed by path.
    const keyed = 'matchers' in entryMap ? { '': entryMap } : entryMap;
    for (const [path, rule] of Object.entries(keyed)) {
      const body = asObject(rule);
      const matchers = Array.isArray(body.matchers) ? (body.matchers as PactMatcher[]) : [];
      rules.push({
        category: name as RuleCategory,
        path,
        matchers,
        combine: body.combine === 'OR' ? 'OR' : 'AND',
      });
    }
  }
  return rules;
}

function rulesOf(raw: unknown, specification: number): MatchingRule[] {
  const object = asObject(raw);
  const grouped = ['header', 'headers', 'body', 'status', 'path', 'query'].some(
    (key) => key in object,
  );
  return specification >= 3 || grouped ? v3Rules(object) : v2Rules(object);
}

function messageOf(raw: unknown, specification: number, v4: boolean): PactMessage {
  const message = asObject(raw);
  return {
    headers: headersOf(message.headers),
    ...bodyOf(message.body, v4),
    rules: rulesOf(message.matchingRules, specification),
  };
}

function statesOf(interaction: Json): PactInteraction['states'] {
  if (Array.isArray(interaction.providerStates)) {
    return interaction.providerStates.map((state) => {
      const entry = asObject(state);
      const params = asObject(entry.params);
      return {
        name: String(entry.name ?? ''),
        ...(Object.keys(params).length > 0 ? { params } : {}),
      };
    });
  }
  return typeof interaction.providerState === 'string' ? [{ name: interaction.providerState }] : [];
}

function interactionOf(raw: unknown, index: number, specification: number): PactInteraction {
  const interaction = asObject(raw);
  const type = typeof interaction.type === 'string' ? interaction.type : 'Synchronous/HTTP';
  const v4 = specification >= 4 || typeof interaction.type === 'string';
  const request = asObject(interaction.request);
  const response = asObject(interaction.response);
  const query = typeof request.query === 'string' ? `?${request.query}` : '';
  return {
    number: index + 1,
    description: String(interaction.description ?? `interaction ${index + 1}`),
    states: statesOf(interaction),
    http: type === 'Synchronous/HTTP' && 'request' in interaction,
    method: String(request.method ?? 'GET').toUpperCase(),
    path: `${String(request.path ?? '/')}${query}`,
    request: messageOf(request, specification, v4),
    status: typeof response.status === 'number' ? response.status : 200,
    response: messageOf(response, specification, v4),
  };
}

/** Parses a pact file already read; `file` names it in errors. */
export function parsePact(text: string, file: string): PactDocument {
  let document: Json;
  try {
    document = asObject(JSON.parse(text));
  } catch {
    throw new SnapcheckError('ERR_PACT_FILE', `${file} is not JSON, so not a pact file`);
  }
  if (!Array.isArray(document.interactions)) {
    throw new SnapcheckError('ERR_PACT_FILE', `${file} has no "interactions" list: not a pact`);
  }
  const specification = specificationOf(asObject(document.metadata));
  return {
    file,
    consumer: String(asObject(document.consumer).name ?? ''),
    provider: String(asObject(document.provider).name ?? ''),
    specification,
    interactions: document.interactions.map((raw, index) =>
      interactionOf(raw, index, specification),
    ),
  };
}

/** Reads and parses a pact file; an unreadable file is a usage error. */
export function readPact(file: string): PactDocument {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new SnapcheckError('ERR_PACT_FILE', `cannot read pact file ${file} (${code})`);
  }
  return parsePact(text, file);
}

/** Expands folders to the `.json` files in them (sorted); files are taken as given. */
export function pactFiles(paths: readonly string[]): string[] {
  const files: string[] = [];
  for (const path of paths) {
    let isFolder: boolean;
    try {
      isFolder = statSync(path).isDirectory();
    } catch {
      throw new SnapcheckError('ERR_PACT_FILE', `no such pact file or folder: ${path}`);
    }
    if (!isFolder) {
      files.push(path);
      continue;
    }
    const found = readdirSync(path)
      .filter((name) => name.endsWith('.json'))
      .sort()
      .map((name) => join(path, name));
    if (found.length === 0) {
      throw new SnapcheckError('ERR_PACT_FILE', `folder ${path} holds no .json pact files`);
    }
    files.push(...found);
  }
  return files;
}
