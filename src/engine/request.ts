/**
 * Judges a token request: what a client sent, against openapi.yaml and the request rules.
 * The order of the checks is the order of spec/rules.yaml, which is also the order in which the
 * reference provider picks the answer to a failing request.
 */
import type { KeyObject } from 'node:crypto';

import { verifyToken } from '../signature/asymmetric.js';
import { tokenSpec } from '../spec/openapi.js';
import { parseTimestamp, type ParsedTimestamp } from '../timestamp.js';
import type { Judgement, Profile, RecordedRequest } from '../types.js';
import { headerValue } from './headers.js';
import { Recorder } from './recorder.js';
import { show, showText } from './render.js';
import { headerObject, recordSchema } from './schema.js';
import { validators } from './validators.js';

/** Looks up the public keys registered for a client id (several during a key rotation). */
export type ClientDirectory = (clientId: string) => readonly KeyObject[] | undefined;

export interface RequestContext {
  profile: Profile;
  /** The judge's clock, in epoch milliseconds. */
  now: number;
  /** How far X-TIMESTAMP may lie from `now`, either way. */
  windowMs: number;
  /** The path the token is served at. */
  path: string;
  clients: ClientDirectory;
  /** Bodies larger than this are not parsed. */
  maxBodyBytes?: number;
}

export interface RequestJudgement extends Judgement {
  /** The parsed body, when it was a JSON object. */
  body?: Record<string, unknown>;
  timestamp?: ParsedTimestamp;
  /** The client id when X-CLIENT-KEY named a registered client. */
  clientId?: string;
}

export const DEFAULT_WINDOW_MS = 5 * 60 * 1000;
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024;

/** Judges every part of a token request; never throws for a non-conforming request. */
export function judgeRequest(request: RecordedRequest, context: RequestContext): RequestJudgement {
  const recorder = new Recorder(context.profile);
  const result: RequestJudgement = { findings: [], evaluated: [] };

  judgeLine(recorder, request, context);
  const bodyTooLarge = judgeBodySize(recorder, request, context);
  const headersOk = judgeHeaders(recorder, request);

  const timestampHeader = headerValue(request.headers, 'X-TIMESTAMP');
  if (timestampHeader !== undefined) {
    result.timestamp = judgeTimestampForm(recorder, timestampHeader, headersOk.timestamp);
  }

  judgeContentType(recorder, request);
  judgeCredentials(recorder, request, context, result, headersOk);
  if (!bodyTooLarge) result.body = judgeBody(recorder, request);

  return Object.assign(result, recorder.judgement());
}

function judgeLine(recorder: Recorder, request: RecordedRequest, context: RequestContext): void {
  if (recorder.applies('request.method') && request.method.toUpperCase() !== 'POST') {
    recorder.fail('request.method', {
      location: 'request.method',
      message: `the token call must use POST, not ${request.method}`,
      expected: 'POST',
      actual: request.method,
    });
  }

  const path = request.path.split('?')[0] ?? '';
  if (recorder.applies('request.path') && path !== context.path) {
    recorder.fail('request.path', {
      location: 'request.path',
      message: `the token is served at ${context.path}`,
      expected: context.path,
      actual: show(request.path),
    });
  }
}

function judgeBodySize(
  recorder: Recorder,
  request: RecordedRequest,
  context: RequestContext,
): boolean {
  const limit = context.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  recorder.applies('request.body.size');
  if (request.body.length <= limit) return false;

  recorder.fail('request.body.size', {
    location: 'request.body',
    message: `the body is ${request.body.length} bytes, over the ${limit}-byte limit`,
    expected: `at most ${limit} bytes`,
    actual: `${request.body.length} bytes`,
  });
  return true;
}

interface HeaderVerdicts {
  timestamp: boolean;
  clientKey: boolean;
  signature: boolean;
}

/** Schema checks of the four headers; says which of them can be relied on further. */
function judgeHeaders(recorder: Recorder, request: RecordedRequest): HeaderVerdicts {
  const validator = validators().requestHeaders;
  const headers = headerObject(request.headers, validator);
  const before = recorder.findings.length;
  recordSchema(recorder, 'request.header', validator.validate, headers, validator.names);

  const broken = new Set(recorder.findings.slice(before).map((finding) => finding.location));
  return {
    timestamp: !broken.has('request.header.X-TIMESTAMP'),
    clientKey: !broken.has('request.header.X-CLIENT-KEY'),
    signature: !broken.has('request.header.X-SIGNATURE'),
  };
}

/** Calendar validity and the profile's preferences for the timestamp's form. */
function judgeTimestampForm(recorder: Recorder, value: string, schemaOk: boolean): ParsedTimestamp {
  const parsed = parseTimestamp(value);
  const location = 'request.header.X-TIMESTAMP';

  if (!parsed.ok) {
    // A value the schema pattern already rejected has its finding; only report what the
    // pattern cannot see (Feb 30, hour 24, ...).
    recorder.applies('request.timestamp.calendar');
    if (schemaOk) {
      recorder.fail('request.timestamp.calendar', {
        location,
        message: `X-TIMESTAMP is not a real instant: ${parsed.reason}`,
        expected: 'a valid date and time, e.g. 2022-10-07T07:18:39Z',
        actual: show(value),
      });
    }
    return parsed;
  }

  recorder.applies('request.timestamp.calendar');
  if (recorder.applies('request.timestamp.utc') && !parsed.utc) {
    recorder.fail('request.timestamp.utc', {
      location,
      message:
        parsed.offsetMinutes === 0
          ? 'X-TIMESTAMP writes UTC as +00:00; DOKU asks for UTC with Z'
          : 'X-TIMESTAMP carries a local offset; DOKU asks for UTC with Z',
      expected: 'UTC with Z, e.g. 2022-10-07T07:18:39Z',
      actual: show(value),
    });
  }
  if (recorder.applies('request.timestamp.fraction') && parsed.fractionDigits === 0) {
    recorder.fail('request.timestamp.fraction', {
      location,
      message: 'X-TIMESTAMP has no milliseconds; the SNAP pattern shows .SSS',
      expected: 'yyyy-MM-ddTHH:mm:ss.SSSTZD',
      actual: show(value),
    });
  }
  return parsed;
}

function judgeContentType(recorder: Recorder, request: RecordedRequest): void {
  const value = headerValue(request.headers, 'Content-Type');
  if (!recorder.applies('request.content-type.charset') || value === undefined) return;

  if (/^application\/json\s*;/i.test(value)) {
    recorder.fail('request.content-type.charset', {
      location: 'request.header.Content-Type',
      message: 'Content-Type carries a parameter that some providers reject',
      expected: 'application/json',
      actual: show(value),
    });
  }
}

/** Client registration, timestamp freshness and the signature, in the provider's order. */
function judgeCredentials(
  recorder: Recorder,
  request: RecordedRequest,
  context: RequestContext,
  result: RequestJudgement,
  headersOk: HeaderVerdicts,
): void {
  const clientId = headerValue(request.headers, 'X-CLIENT-KEY');
  const timestamp = headerValue(request.headers, 'X-TIMESTAMP');
  const signature = headerValue(request.headers, 'X-SIGNATURE');

  let keys: readonly KeyObject[] | undefined;
  if (
    clientId !== undefined &&
    headersOk.clientKey &&
    recorder.applies('request.client-key.registered')
  ) {
    keys = context.clients(clientId);
    if (keys === undefined || keys.length === 0) {
      recorder.fail('request.client-key.registered', {
        location: 'request.header.X-CLIENT-KEY',
        message: `client ${show(clientId)} is not registered with this provider`,
        expected: 'a registered client id',
        actual: show(clientId),
      });
    } else {
      result.clientId = clientId;
    }
  }

  if (result.timestamp?.ok && recorder.applies('request.timestamp.window')) {
    judgeWindow(recorder, result.timestamp.epochMs, context, timestamp ?? '');
  }

  const canVerify = keys && keys.length > 0 && timestamp !== undefined && headersOk.timestamp;
  if (canVerify && signature !== undefined && headersOk.signature) {
    recorder.applies('request.signature.verifies');
    const verified = keys!.some((key) => verifyToken(key, clientId!, timestamp, signature));
    if (!verified) {
      recorder.fail('request.signature.verifies', {
        location: 'request.header.X-SIGNATURE',
        message: 'X-SIGNATURE does not verify with the registered public key',
        expected: `SHA256withRSA over ${show(`${clientId}|${timestamp}`)}`,
        actual: show(signature, 'X-SIGNATURE'),
      });
    }
  }
}

function judgeWindow(
  recorder: Recorder,
  epochMs: number,
  context: RequestContext,
  value: string,
): void {
  const skewMs = epochMs - context.now;
  if (Math.abs(skewMs) <= context.windowMs) return;

  const direction = skewMs > 0 ? 'ahead of' : 'behind';
  const hint = mislabelledZone(skewMs, context.windowMs);
  recorder.fail('request.timestamp.window', {
    ...(hint ? { hint } : {}),
    location: 'request.header.X-TIMESTAMP',
    message:
      `X-TIMESTAMP is ${Math.round(Math.abs(skewMs) / 1000)} s ${direction} the judge's clock ` +
      `(window ±${context.windowMs / 1000} s)`,
    expected: `within ±${context.windowMs / 1000} s of ${new Date(context.now).toISOString()}`,
    actual: show(value),
  });
}

const HOUR_MS = 3_600_000;

/**
 * A skew of a whole number of hours (give or take the window) is a zone mistake, not a slow
 * clock: local time written with `Z`, or UTC written with a local offset.
 */
function mislabelledZone(skewMs: number, windowMs: number): string | undefined {
  const hours = Math.round(skewMs / HOUR_MS);
  if (hours === 0 || Math.abs(hours) > 14 || Math.abs(skewMs - hours * HOUR_MS) > windowMs) {
    return undefined;
  }
  const zone = `UTC${hours > 0 ? '+' : '-'}${String(Math.abs(hours)).padStart(2, '0')}:00`;
  return (
    `The skew is ${Math.abs(hours)} h almost exactly: a local time (${zone}) written with Z, ` +
    'or UTC written with a local offset. Format the current instant in UTC with Z, or write ' +
    'the local time with its real offset.'
  );
}

/** Parses and validates the body; returns it when it is a JSON object. */
function judgeBody(
  recorder: Recorder,
  request: RecordedRequest,
): Record<string, unknown> | undefined {
  recorder.applies('request.body.json');
  let body: unknown;
  try {
    body = JSON.parse(request.body.toString('utf8'));
  } catch {
    recorder.fail('request.body.json', {
      location: 'request.body',
      message: request.body.length === 0 ? 'the body is empty' : 'the body is not valid JSON',
      expected: '{"grantType":"client_credentials"}',
      actual: showText(request.body.toString('utf8')),
    });
    return undefined;
  }

  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    recorder.fail('request.body.json', {
      location: 'request.body',
      message: 'the body is JSON but not an object',
      expected: '{"grantType":"client_credentials"}',
      actual: show(body),
    });
    return undefined;
  }

  recordSchema(recorder, 'request.body', validators().requestBody, body);
  judgeUnknownFields(recorder, body as Record<string, unknown>);
  return body as Record<string, unknown>;
}

function documentedBodyFields(): string[] {
  const schemas = (tokenSpec().document.components as Record<string, unknown>).schemas as Record<
    string,
    { properties?: Record<string, unknown> }
  >;
  return Object.keys(schemas.TokenRequest?.properties ?? {});
}

function judgeUnknownFields(recorder: Recorder, body: Record<string, unknown>): void {
  if (!recorder.applies('request.body.unknown-field')) return;

  const known = documentedBodyFields();
  const squash = (name: string): string => name.replace(/[_-]/g, '').toLowerCase();
  for (const field of Object.keys(body)) {
    if (known.includes(field)) continue;
    const meant = known.find((name) => squash(name) === squash(field));
    recorder.fail('request.body.unknown-field', {
      location: `request.body.${field}`,
      message: meant
        ? `field ${field} is not defined; did you mean ${meant}?`
        : `field ${field} is not defined for this endpoint`,
      expected: `only ${known.join(', ')}`,
      actual: show(field),
      ...(meant ? { hint: `Rename ${field} to ${meant}: SNAP field names are camel case.` } : {}),
    });
  }
}
