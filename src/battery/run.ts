/**
 * Runs the provider battery against a base URL: each case's request is built fresh, sent, and
 * its answer judged in full by the check engine plus the case's own expectation.
 */
import { generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';

import { Recorder } from '../engine/recorder.js';
import { show } from '../engine/render.js';
import { judgeResponse } from '../engine/response.js';
import { validators } from '../engine/validators.js';
import { DEFAULT_SEND_OPTIONS, send, type SendOptions } from '../http/send.js';
import { tokenSpec } from '../spec/openapi.js';
import { runReport, verdictOf, type CaseResult, type RunReport } from '../report/model.js';
import type { Exchange, Profile, RecordedResponse, TransportFailure } from '../types.js';
import { batteryCases, VALID_REQUEST_ID, type BatteryCase, type CaseInputs } from './cases.js';

export interface BatteryOptions {
  baseUrl: URL;
  clientId: string;
  privateKey: KeyObject;
  profile: Profile;
  path?: string;
  windowMs?: number;
  send?: SendOptions;
  clock?: () => number;
  /** The key of another pair, for the wrong-key case; fixed by tests for repeatable runs. */
  strangerKey?: KeyObject;
  cases?: readonly BatteryCase[];
  /** Called as each case completes (progress output). */
  onCase?: (result: CaseResult) => void;
  /** Ends the run early (Ctrl-C): the case in flight and the rest are reported as not run. */
  signal?: AbortSignal;
}

export type { CaseResult, RunReport as BatteryReport, Summary, Verdict } from '../report/model.js';

/** Consecutive transport failures after which the remaining cases are skipped. */
const GIVE_UP_AFTER = 2;

/**
 * Whether a failure leaves the target unreachable, so that the rest is skipped and the run
 * exits 3 instead of 1: a refused connection always; a certificate or scheme problem (kind
 * `tls`) while no case has had an answer yet, since it is the URL or the trust store that is
 * wrong, and every case would fail the same way. After answers, it is a finding against the
 * provider (one node of a pool with an expired certificate, say).
 */
function stopsTheRun(failure: TransportFailure | undefined, answered: boolean): boolean {
  return failure?.kind === 'connect' || (failure?.kind === 'tls' && !answered);
}

/** An answer as findings quote it: status, responseCode, and the responseMessage if any. */
function answerText(response: RecordedResponse): { responseCode: string; text: string } {
  let responseCode = '(none)';
  let message = '';
  try {
    const body = JSON.parse(response.body.toString('utf8')) as Record<string, unknown>;
    if (typeof body?.responseCode === 'string') responseCode = body.responseCode;
    if (typeof body?.responseMessage === 'string') message = ` ${show(body.responseMessage)}`;
  } catch {
    // The body's own findings say why it is not JSON.
  }
  return { responseCode, text: `${response.status} ${responseCode}${message}` };
}

function outcome(exchange: Exchange, testCase: BatteryCase, recorder: Recorder): void {
  const response = exchange.response;
  // An answer that came with a transport failure (a TLS port's 400 page) answers no case.
  if (!response || exchange.failure || !recorder.applies('battery.outcome')) return;

  const answer = answerText(response);
  const accepted = testCase.accepts.some(
    (a) => a.status === response.status && a.responseCode === answer.responseCode,
  );
  if (accepted) return;

  const expected = testCase.accepts.map((a) => `${a.status} ${a.responseCode}`).join(' or ');
  recorder.fail('battery.outcome', {
    location: 'response',
    message: `answered ${answer.text}; expected ${expected}`,
    expected,
    actual: answer.text,
    hint: `${testCase.because} See the case's accepted answers.`,
  });
}

/**
 * A token for a request that does not prove the client's identity is a hole, whatever else the
 * answer gets right: named apart from `battery.outcome` so a gate and a reader see it first.
 */
function security(exchange: Exchange, testCase: BatteryCase, recorder: Recorder): boolean {
  const response = exchange.response;
  if (!testCase.protects || !recorder.applies('battery.token-without-proof')) return false;
  if (!response || exchange.failure || response.status !== 200) return false;

  recorder.fail('battery.token-without-proof', {
    location: 'response.status',
    message: `the provider issued a token although the request breaks ${testCase.protects}`,
    expected: testCase.accepts.map((a) => `${a.status} ${a.responseCode}`).join(' or '),
    actual: answerText(response).text,
  });
  return true;
}

/**
 * A case answered 401 after the valid request was refused with 401, when the case carries the
 * same credentials (`needsCredentials`) and does not itself expect a 401: the refusal explains
 * the answer, and says nothing about the case. It is inconclusive rather than failed: blaming
 * the provider would be wrong whenever the credentials are (a key the provider never
 * registered), and would count one cause once per case. Its other findings stand (a malformed
 * 401 body is still malformed); the valid request itself keeps failing, so the run exits 1.
 */
function explainedByRefusal(testCase: BatteryCase, exchange: Exchange): boolean {
  return (
    testCase.needsCredentials === true &&
    exchange.response?.status === 401 &&
    exchange.failure === undefined &&
    !testCase.accepts.some((answer) => answer.status === 401)
  );
}

const NEEDS_CREDENTIALS = 'this case needs working credentials';

function inconclusive(result: CaseResult, refusal: string): CaseResult {
  const findings = result.findings.filter((finding) => finding.rule !== 'battery.outcome');
  const answer = result.exchange?.response ? answerText(result.exchange.response).text : '';
  return {
    ...result,
    findings,
    verdict: verdictOf(findings) === 'fail' ? 'fail' : 'inconclusive',
    because:
      answer === refusal
        ? `inconclusive: answered ${answer}, as the valid request was; ${NEEDS_CREDENTIALS}`
        : `inconclusive: answered ${answer} after the valid request was refused (${refusal}); ` +
          NEEDS_CREDENTIALS,
  };
}

/** The run-level notice when the provider refused the battery's credentials. */
function refusalNotice(refusal: string): string {
  return (
    `the valid request was refused (${refusal}): check --client-id and --private-key ` +
    'against what the provider has registered; cases that need working credentials are ' +
    'inconclusive'
  );
}

const generatePair = promisify(generateKeyPair);

/**
 * A key of another pair, for the "signed by the wrong key" case. RSA key generation and the
 * validators' compilation each take a few hundred milliseconds: the key is made on libuv's
 * thread pool while this thread compiles, so on two cores the two costs overlap.
 */
async function strangerWhileCompiling(): Promise<KeyObject> {
  const pair = generatePair('rsa', { modulusLength: 2048 });
  validators();
  return (await pair).privateKey;
}

/** Runs every case in order; never throws for a misbehaving provider. */
export async function runBattery(options: BatteryOptions): Promise<RunReport> {
  const clock = options.clock ?? Date.now;
  const started = clock();
  const path = options.path ?? tokenSpec().path;
  const windowMs = options.windowMs ?? 5 * 60_000;
  const inputs: CaseInputs = {
    clientId: options.clientId,
    privateKey: options.privateKey,
    strangerKey: options.strangerKey ?? (await strangerWhileCompiling()),
    path,
    now: clock,
    windowMs,
  };

  const results: CaseResult[] = [];
  let transportFailures = 0;
  let unreachable = false;
  let answered = false;
  /** How the provider refused the valid request, when it did (401). */
  let refusal: string | undefined;
  /** Cases whose request proved no identity and still got a token. */
  const breaches: string[] = [];

  for (const testCase of options.cases ?? batteryCases) {
    if (options.signal?.aborted) {
      results.push(skipped(testCase, 'skipped: the run was interrupted'));
      continue;
    }
    if (unreachable || transportFailures >= GIVE_UP_AFTER) {
      results.push(
        skipped(
          testCase,
          unreachable
            ? 'skipped: the target is unreachable'
            : `skipped: ${GIVE_UP_AFTER} cases in a row got no answer`,
        ),
      );
      continue;
    }

    const caseStart = performance.now();
    const exchange = await untilAborted(
      send(options.baseUrl, testCase.build(inputs), options.send ?? DEFAULT_SEND_OPTIONS),
      options.signal,
    );
    if (!exchange) {
      results.push(skipped(testCase, 'skipped: the run was interrupted'));
      continue;
    }
    const judgement = judgeResponse(exchange, { profile: options.profile, now: clock(), windowMs });
    const recorder = new Recorder(options.profile);
    if (security(exchange, testCase, recorder)) breaches.push(testCase.id);
    outcome(exchange, testCase, recorder);

    const findings = [...judgement.findings, ...recorder.findings];
    let result: CaseResult = {
      id: testCase.id,
      title: testCase.title,
      because: testCase.because,
      accepts: testCase.accepts,
      verdict: verdictOf(findings),
      exchange,
      findings,
      evaluated: [...new Set([...judgement.evaluated, ...recorder.judgement().evaluated])],
      durationMs: Math.round(performance.now() - caseStart),
    };
    if (refusal !== undefined && explainedByRefusal(testCase, exchange)) {
      result = inconclusive(result, refusal);
    }
    if (testCase.id === VALID_REQUEST_ID && exchange.response?.status === 401) {
      refusal = answerText(exchange.response).text;
    }
    results.push(result);
    options.onCase?.(result);

    transportFailures = exchange.failure ? transportFailures + 1 : 0;
    if (stopsTheRun(exchange.failure, answered)) unreachable = true;
    answered ||= exchange.failure === undefined;
  }

  return runReport({
    mode: 'provider',
    target: new URL(path, options.baseUrl).toString(),
    profile: options.profile,
    started,
    ended: clock(),
    unreachable,
    cases: results,
    notices: [
      ...(breaches.length > 0 ? [breachNotice(breaches)] : []),
      ...(refusal === undefined ? [] : [refusalNotice(refusal)]),
    ],
  });
}

/** The exchange, or undefined as soon as the run is interrupted. */
function untilAborted(
  exchange: Promise<Exchange>,
  signal: AbortSignal | undefined,
): Promise<Exchange | undefined> {
  if (!signal) return exchange;
  return new Promise((resolve) => {
    const stop = (): void => resolve(undefined);
    signal.addEventListener('abort', stop, { once: true });
    void exchange.then((done) => {
      signal.removeEventListener('abort', stop);
      resolve(done);
    });
  });
}

function breachNotice(cases: string[]): string {
  return (
    `SECURITY: the provider issued tokens to ${cases.length} request(s) that do not prove the ` +
    `client's identity (${cases.join(', ')}); anyone could obtain a token this way`
  );
}

function skipped(testCase: BatteryCase, because: string): CaseResult {
  return {
    id: testCase.id,
    title: testCase.title,
    because,
    accepts: testCase.accepts,
    verdict: 'skipped',
    findings: [],
    evaluated: [],
    durationMs: 0,
  };
}
