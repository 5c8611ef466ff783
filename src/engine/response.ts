/**
 * Judges a provider's answer to a token request: transport, status, headers and body against
 * openapi.yaml, then the rules no schema states (responseCode consistency, tokenType,
 * expiresIn's form under the profile, the response headers' values).
 */
import { responseCodeEntry, tokenSpec } from '../spec/openapi.js';
import { parseTimestamp } from '../timestamp.js';
import type { Exchange, Judgement, Profile, RecordedResponse } from '../types.js';
import { headerValue } from './headers.js';
import { decodeUtf8, repeatedNames } from './json-text.js';
import { Recorder } from './recorder.js';
import { show, showText } from './render.js';
import { headerObject, recordSchema } from './schema.js';
import { validators } from './validators.js';

export interface ResponseContext {
  profile: Profile;
  /** The checker's clock, in epoch milliseconds. */
  now: number;
  windowMs: number;
}

export interface ResponseJudgement extends Judgement {
  /** The parsed body, when it was a JSON object. */
  body?: Record<string, unknown>;
  /** responseCode as sent, when the body had one. */
  responseCode?: string;
}

/** The JSON form each profile demands of expiresIn, as a component of openapi.yaml. */
const EXPIRES_IN_FORM: Record<Profile, { schema: string; words: string }> = {
  doku: { schema: 'ExpiresInDoku', words: 'the JSON number 900' },
  snap: { schema: 'ExpiresInSnap', words: 'the JSON string "900"' },
};

/** Judges the response of an exchange; never throws for a non-conforming answer. */
export function judgeResponse(exchange: Exchange, context: ResponseContext): ResponseJudgement {
  const recorder = new Recorder(context.profile);
  const result: ResponseJudgement = { findings: [], evaluated: [] };

  if (exchange.failure) {
    recorder.fail(`transport.${exchange.failure.kind}`, {
      location: 'transport',
      message: exchange.failure.message,
    });
    return Object.assign(result, recorder.judgement());
  }
  const response = exchange.response;
  if (!response) throw new Error('snapcheck: an exchange needs a response or a failure');

  const documented = judgeStatus(recorder, response);
  judgeContentType(recorder, response);
  const body = parseBody(recorder, response);

  if (documented) {
    const headerCheck = validators().responseHeaders.get(response.status);
    if (headerCheck) {
      const headers = headerObject(response.headers, headerCheck);
      recordSchema(recorder, 'response.header', headerCheck.validate, headers, headerCheck.names);
    }
  }

  if (body) {
    result.body = body;
    const bodyCheck = validators().responseBody.get(response.status);
    if (bodyCheck) recordSchema(recorder, 'response.body', bodyCheck, body);
    if (typeof body.responseCode === 'string') result.responseCode = body.responseCode;
    judgeResponseCode(recorder, response.status, body);
    if (response.status === 200) judgeToken(recorder, body);
  }

  if (response.status === 200) judgeTokenHeaders(recorder, exchange, response, context);
  return Object.assign(result, recorder.judgement());
}

function judgeStatus(recorder: Recorder, response: RecordedResponse): boolean {
  recorder.applies('response.status.documented');
  const documented = tokenSpec().responseCodes.has(response.status);
  if (!documented) {
    recorder.fail('response.status.documented', {
      location: 'response.status',
      message: `HTTP ${response.status} is not a status the token endpoint defines`,
      expected: [...tokenSpec().responseCodes.keys()].join(', '),
      actual: String(response.status),
    });
  }
  return documented;
}

function judgeContentType(recorder: Recorder, response: RecordedResponse): void {
  recorder.applies('response.content-type');
  const value = headerValue(response.headers, 'Content-Type');
  if (value !== undefined && /^application\/json\s*(;|$)/i.test(value)) return;

  recorder.fail('response.content-type', {
    location: 'response.header.Content-Type',
    message: 'the answer is not declared as JSON',
    expected: 'application/json',
    actual: show(value),
  });
}

function parseBody(
  recorder: Recorder,
  response: RecordedResponse,
): Record<string, unknown> | undefined {
  recorder.applies('response.body.json');
  const text = decodeUtf8(response.body);
  if (text === undefined) {
    recorder.fail('response.body.json', {
      location: 'response.body',
      message: 'the body is not valid UTF-8, which RFC 8259 §8.1 requires of JSON on the wire',
      expected: 'a JSON object in UTF-8',
      actual: showText(response.body.toString('latin1')),
    });
    return undefined;
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    const looksHtml = /^\s*</.test(text);
    recorder.fail('response.body.json', {
      location: 'response.body',
      message: looksHtml
        ? 'the body is an HTML page, not a SNAP JSON body'
        : text.length === 0
          ? 'the body is empty'
          : 'the body is not valid JSON',
      expected: 'a JSON object with responseCode and responseMessage',
      actual: showText(text),
    });
    return undefined;
  }

  if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
    judgeRepeatedNames(recorder, text);
    return body as Record<string, unknown>;
  }
  recorder.fail('response.body.json', {
    location: 'response.body',
    message: 'the body is JSON but not an object',
    expected: 'a JSON object with responseCode and responseMessage',
    actual: show(body),
  });
  return undefined;
}

/** A name given twice leaves its value to the parser: the first, the last, or an error. */
function judgeRepeatedNames(recorder: Recorder, text: string): void {
  if (!recorder.applies('response.body.unique-names')) return;
  for (const name of new Set(repeatedNames(text))) {
    recorder.fail('response.body.unique-names', {
      location: `response.body.${name}`,
      message: `the body gives the name ${show(name)} more than once`,
      expected: 'each name once per object',
      actual: `${show(name)} repeated`,
    });
  }
}

/** HTTP status + service code + case code: each part must agree with the table. */
function judgeResponseCode(
  recorder: Recorder,
  status: number,
  body: Record<string, unknown>,
): void {
  const code = body.responseCode;
  if (typeof code !== 'string' || !/^[0-9]{7}$/.test(code)) return;
  const location = 'response.body.responseCode';

  if (recorder.applies('response.code.http-prefix') && code.slice(0, 3) !== String(status)) {
    recorder.fail('response.code.http-prefix', {
      location,
      message: `responseCode ${code} starts with ${code.slice(0, 3)}, the HTTP status is ${status}`,
      expected: `${status}xxxxx`,
      actual: code,
    });
  }

  const service = tokenSpec().serviceCode;
  if (recorder.applies('response.code.service') && code.slice(3, 5) !== service) {
    recorder.fail('response.code.service', {
      location,
      message: `responseCode ${code} carries service code ${code.slice(3, 5)}, not ${service}`,
      expected: `xxx${service}xx`,
      actual: code,
    });
  }

  recorder.applies('response.code.case');
  const entry = responseCodeEntry(code);
  const rows = tokenSpec().responseCodes.get(Number(code.slice(0, 3)));
  if (!entry) {
    if (rows && code.slice(3, 5) === service) {
      recorder.fail('response.code.case', {
        location,
        message: `case code ${code.slice(5)} is not defined for HTTP ${code.slice(0, 3)}`,
        expected: rows.map((row) => row.code).join(', '),
        actual: code,
      });
    }
    return;
  }
  judgeMessage(recorder, entry.message, body.responseMessage);
}

/** Compiled once per documented message: this runs for every judged answer. */
const messagePatterns = new Map<string, RegExp>();

/** `Unauthorized. {reason}` → accepts `Unauthorized. Signature`, `Unauthorized.[Signature]`. */
function messagePattern(template: string): RegExp {
  let pattern = messagePatterns.get(template);
  if (!pattern) {
    const parts = template.split(/\s*\{[a-z]+\}/);
    const escaped = parts.map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    pattern = new RegExp(`^${escaped.join('\\s*\\S.*')}$`);
    messagePatterns.set(template, pattern);
  }
  return pattern;
}

function judgeMessage(recorder: Recorder, template: string, message: unknown): void {
  if (typeof message !== 'string' || !recorder.applies('response.message.documented')) return;
  if (messagePattern(template).test(message)) return;

  recorder.fail('response.message.documented', {
    location: 'response.body.responseMessage',
    message: `responseMessage does not follow the documented wording "${template}"`,
    expected: template,
    actual: show(message),
  });
}

/** The token body's values: tokenType, expiresIn's form and value, additionalInfo's form. */
function judgeToken(recorder: Recorder, body: Record<string, unknown>): void {
  const { tokenType, expiresIn, additionalInfo } = body;

  if (recorder.applies('response.token-type') && tokenType !== undefined) {
    if (tokenType !== 'Bearer') {
      recorder.fail('response.token-type', {
        location: 'response.body.tokenType',
        message:
          typeof tokenType === 'string' && tokenType.toLowerCase() === 'bearer'
            ? `tokenType is ${show(tokenType)}: right word, wrong case`
            : `tokenType is ${show(tokenType)}, not Bearer`,
        expected: '"Bearer"',
        actual: show(tokenType),
      });
    }
  }

  if (expiresIn !== undefined) judgeExpiresIn(recorder, expiresIn);

  if (recorder.applies('response.additional-info.form') && additionalInfo !== undefined) {
    if (!validators().component('AdditionalInfo')(additionalInfo)) {
      recorder.fail('response.additional-info.form', {
        location: 'response.body.additionalInfo',
        message: 'additionalInfo must be an object under this profile',
        expected: 'an object, e.g. {}',
        actual: show(additionalInfo),
      });
    }
  }
}

function judgeExpiresIn(recorder: Recorder, expiresIn: unknown): void {
  const form = EXPIRES_IN_FORM[recorder.profile];
  const location = 'response.body.expiresIn';

  if (recorder.applies('response.expires-in.form')) {
    if (!validators().component(form.schema)(expiresIn)) {
      recorder.fail('response.expires-in.form', {
        location,
        message: `expiresIn must be ${form.words} under the ${recorder.profile} profile`,
        expected: form.words,
        actual: show(expiresIn),
      });
    }
  }

  const seconds = typeof expiresIn === 'string' ? Number(expiresIn) : expiresIn;
  if (recorder.applies('response.expires-in.value') && typeof seconds === 'number') {
    if (seconds !== 900) {
      recorder.fail('response.expires-in.value', {
        location,
        message: `expiresIn is ${show(expiresIn)} seconds; the documented lifetime is 900`,
        expected: '900',
        actual: show(expiresIn),
      });
    }
  }
}

/** X-CLIENT-KEY echoes the asking client; X-TIMESTAMP is near the checker's clock. */
function judgeTokenHeaders(
  recorder: Recorder,
  exchange: Exchange,
  response: RecordedResponse,
  context: ResponseContext,
): void {
  const asked = headerValue(exchange.request.headers, 'X-CLIENT-KEY');
  const echoed = headerValue(response.headers, 'X-CLIENT-KEY');
  if (recorder.applies('response.client-key.echo') && asked !== undefined && echoed !== undefined) {
    if (asked !== echoed) {
      recorder.fail('response.client-key.echo', {
        location: 'response.header.X-CLIENT-KEY',
        message: 'the answer names another client than the one that asked',
        expected: show(asked),
        actual: show(echoed),
      });
    }
  }

  const stamp = headerValue(response.headers, 'X-TIMESTAMP');
  const parsed = stamp === undefined ? undefined : parseTimestamp(stamp);
  if (parsed?.ok && recorder.applies('response.timestamp.window')) {
    const skew = parsed.epochMs - context.now;
    if (Math.abs(skew) > context.windowMs) {
      recorder.fail('response.timestamp.window', {
        location: 'response.header.X-TIMESTAMP',
        message: `the provider's X-TIMESTAMP is ${Math.round(skew / 1000)} s off the checker`,
        expected: `within ±${context.windowMs / 1000} s of ${new Date(context.now).toISOString()}`,
        actual: show(stamp),
      });
    }
  }
}
