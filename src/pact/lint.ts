/**
 * Judges pact files against openapi.yaml: each interaction for the token endpoint becomes an
 * exchange (its example request and response) and goes through the same check engine as live
 * traffic. Then what only a contract has: whether the answer fits what is wrong with the request,
 * whether each example satisfies its own matcher, and whether a matcher accepts the wrong values
 * people actually send.
 */
import { basename } from 'node:path';

import { Recorder } from '../engine/recorder.js';
import { show } from '../engine/render.js';
import { judgeRequest } from '../engine/request.js';
import { judgeResponse } from '../engine/response.js';
import { rule } from '../spec/catalogue.js';
import { tokenSpec } from '../spec/openapi.js';
import { parseTimestamp } from '../timestamp.js';
import { runReport, verdictOf, type CaseResult, type RunReport } from '../report/model.js';
import type { Exchange, Finding, Profile } from '../types.js';
import { profileOfProvider } from './contract.js';
import {
  bodyRuleFor,
  describeRule,
  evaluateRule,
  headerRuleFor,
  pathSteps,
  valueAt,
} from './matchers.js';
import {
  readPact,
  type MatchingRule,
  type PactInteraction,
  type PactMessage,
} from './pact-file.js';

export interface LintOptions {
  /** The profile for pacts whose provider name does not imply one. */
  profile: Profile;
  /** The token path; interactions for other paths are listed as skipped. */
  path?: string;
  onCase?: (result: CaseResult) => void;
}

/**
 * Rules an example cannot be judged by: whether the client is registered, whether the signature
 * verifies, and whether a timestamp is fresh all depend on the provider and the moment.
 */
const NOT_STATIC = new Set([
  'request.client-key.registered',
  'request.signature.verifies',
  'request.timestamp.window',
  'response.timestamp.window',
]);

/** Wrong values people send, by place, each with why openapi.yaml refuses it. */
const PROBES: Record<string, [unknown, string][]> = {
  'header:X-TIMESTAMP': [
    ['2022-10-07T14:18:39', 'no offset'],
    ['2022-10-07 14:18:39+07:00', 'a space instead of T'],
    ['2022-10-07T14:18:39+0700', 'an offset without a colon'],
    ['07-10-2022T14:18:39Z', 'day first'],
  ],
  'header:X-SIGNATURE': [
    ['9f'.repeat(256), 'hex instead of base64'],
    [`${'A-_'.repeat(114)}A`, 'base64url instead of base64'],
  ],
  'body:grantType': [
    ['client-credentials', 'a hyphen instead of an underscore'],
    ['password', 'another OAuth grant'],
  ],
  'body:tokenType': [['bearer', 'Bearer in lower case']],
  'body:responseCode': [['200730', 'six digits']],
};

function exchangeOf(interaction: PactInteraction): Exchange {
  return {
    request: {
      method: interaction.method,
      path: interaction.path,
      headers: { ...interaction.request.headers },
      body: interaction.request.body,
    },
    response: {
      status: interaction.status,
      headers: { ...interaction.response.headers },
      body: interaction.response.body,
    },
  };
}

/** The judge's clock: the example's own timestamp, so a fixed example is not "stale". */
function exampleNow(interaction: PactInteraction): number {
  const stamp = Object.entries(interaction.request.headers).find(
    ([name]) => name.toLowerCase() === 'x-timestamp',
  )?.[1];
  const parsed = stamp === undefined ? undefined : parseTimestamp(stamp);
  return parsed?.ok ? parsed.epochMs : Date.now();
}

function withoutStatic(findings: Finding[]): Finding[] {
  return findings.filter((finding) => !NOT_STATIC.has(finding.rule));
}

interface Fault {
  finding: Finding;
  answer: string;
}

/** The request's faults that have a catalogue answer, with that answer (`400 4007302`). */
function faultsOf(findings: Finding[]): Fault[] {
  const faults: Fault[] = [];
  for (const finding of findings) {
    const answer = rule(finding.rule).answer;
    if (finding.severity === 'error' && answer) {
      faults.push({ finding, answer: `${answer.status} ${answer.responseCode}` });
    }
  }
  return faults;
}

/** 400 answers name a request fault a reader can see; the other codes depend on the provider. */
const VISIBLE_FAULT_CODES = new Set(['4007300', '4007301', '4007302']);

function responseCodeOf(interaction: PactInteraction): string | undefined {
  const code = (interaction.response.json as { responseCode?: unknown } | undefined)?.responseCode;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Does the contract's answer fit the request? A faulty request must get one of its faults'
 * answers; a request without a visible fault must not get a 400 that names one.
 * Returns the request findings the answer explains (expected, so not reported as faults).
 */
function judgeAnswer(
  recorder: Recorder,
  interaction: PactInteraction,
  requestFindings: Finding[],
): Set<Finding> {
  const faults = faultsOf(requestFindings);
  const code = responseCodeOf(interaction);
  const answer = `${interaction.status} ${code ?? '(no code)'}`;
  recorder.applies('pact.interaction.answer');

  if (interaction.status === 200 && faults.length > 0) {
    const first = faults[0]!;
    recorder.fail('pact.interaction.answer', {
      location: 'response.status',
      message:
        `the contract promises a token for a request that breaks ${first.finding.rule} ` +
        `at ${first.finding.location}`,
      expected: first.answer,
      actual: answer,
    });
    return new Set();
  }
  if (interaction.status === 200) return new Set();

  if (faults.length > 0) {
    const explained = faults.filter((fault) => fault.answer === answer);
    if (explained.length > 0) return new Set(explained.map((fault) => fault.finding));
    recorder.fail('pact.interaction.answer', {
      location: 'response.body.responseCode',
      message:
        `the request breaks ${faults[0]!.finding.rule} at ${faults[0]!.finding.location}, ` +
        `which is answered ${faults[0]!.answer}`,
      expected: [...new Set(faults.map((fault) => fault.answer))].join(' or '),
      actual: answer,
    });
    return new Set();
  }
  if (code !== undefined && VISIBLE_FAULT_CODES.has(code)) {
    recorder.fail('pact.interaction.answer', {
      location: 'response.body.responseCode',
      message: `the contract answers ${answer}, but its request has no fault that calls for it`,
      expected: 'a request with the missing or malformed field the answer names',
      actual: answer,
    });
  }
  return new Set();
}

interface Place {
  side: 'request' | 'response';
  category: 'header' | 'body' | 'status';
  name: string;
  rule: MatchingRule;
  example: unknown;
}

/** Every place of a message a matcher governs, with the example found there. */
function placesOf(side: Place['side'], message: PactMessage, status?: number): Place[] {
  const places: Place[] = [];
  for (const rule of message.rules) {
    if (rule.category === 'header') {
      const example = Object.entries(message.headers).find(
        ([name]) => name.toLowerCase() === rule.path.toLowerCase(),
      )?.[1];
      places.push({ side, category: 'header', name: rule.path, rule, example });
    } else if (rule.category === 'body') {
      const steps = pathSteps(rule.path);
      if (!steps || steps.includes('*')) {
        places.push({ side, category: 'body', name: rule.path, rule, example: undefined });
        continue;
      }
      const example = valueAt(message.json, steps);
      places.push({ side, category: 'body', name: steps.join('.'), rule, example });
    } else if (rule.category === 'status' && status !== undefined) {
      places.push({ side, category: 'status', name: '', rule, example: status });
    }
  }
  return places;
}

function locationOf(place: Place): string {
  if (place.category === 'status') return `${place.side}.status`;
  return `${place.side}.${place.category}${place.name ? `.${place.name}` : ''}`;
}

/** Each example against its own matcher. */
function judgeExamples(recorder: Recorder, places: Place[]): void {
  recorder.applies('pact.matcher.example');
  for (const place of places) {
    const location = locationOf(place);
    const verdict =
      place.example === undefined && place.category === 'body' && place.name.startsWith('$')
        ? undefined
        : evaluateRule(place.rule, place.example, place.example);
    if (verdict === undefined) {
      recorder.fail('pact.matcher.unsupported', {
        location,
        message: `matcher ${describeRule(place.rule)} was not evaluated`,
      });
    } else if (!verdict) {
      recorder.fail('pact.matcher.example', {
        location,
        message: `the example does not satisfy its own matcher ${describeRule(place.rule)}`,
        expected: describeRule(place.rule),
        actual: show(place.example, location),
      });
    }
  }
}

/** Tries each matcher on the wrong values people send; one it accepts is too loose. */
function judgeLooseness(recorder: Recorder, interaction: PactInteraction): void {
  recorder.applies('pact.matcher.loose');
  const sides: [Place['side'], PactMessage][] = [
    ['request', interaction.request],
    ['response', interaction.response],
  ];
  for (const [side, message] of sides) {
    for (const [key, probes] of Object.entries(PROBES)) {
      const [category, name] = key.split(':') as ['header' | 'body', string];
      const governing =
        category === 'header'
          ? headerRuleFor(message.rules, name)
          : bodyRuleFor(message.rules, name);
      if (!governing) continue;
      const example =
        category === 'header'
          ? Object.entries(message.headers).find(
              ([h]) => h.toLowerCase() === name.toLowerCase(),
            )?.[1]
          : valueAt(message.json, [name]);
      if (example === undefined) continue;

      const accepted = probes.filter(([value]) => evaluateRule(governing, value, example) === true);
      if (accepted.length === 0) continue;
      const location = `${side}.${category}.${name}`;
      const reasons = accepted.map(([, why]) => why).join(', ');
      recorder.fail('pact.matcher.loose', {
        location,
        message: `matcher ${describeRule(governing)} accepts what openapi.yaml refuses: ${reasons}`,
        expected: 'a matcher no looser than openapi.yaml',
        actual: accepted.map(([value]) => show(value, location)).join(', '),
      });
    }
  }
}

function lintInteraction(
  interaction: PactInteraction,
  id: string,
  profile: Profile,
  tokenPath: string,
): CaseResult {
  const started = performance.now();
  const states = interaction.states.map((state) => state.name);
  const given = states.length > 0 ? `given ${states.join('; ')}` : 'no provider state';
  const base = { id, title: interaction.description, evaluated: [] as string[] };

  const path = interaction.path.split('?')[0];
  if (!interaction.http || interaction.method !== 'POST' || path !== tokenPath) {
    return {
      ...base,
      because: interaction.http
        ? `skipped: ${interaction.method} ${path} is not the token endpoint (${tokenPath})`
        : 'skipped: not an HTTP interaction',
      verdict: 'skipped',
      findings: [],
      durationMs: 0,
    };
  }

  const exchange = exchangeOf(interaction);
  const now = exampleNow(interaction);
  const requestJudgement = judgeRequest(exchange.request, {
    profile,
    now,
    windowMs: Number.MAX_SAFE_INTEGER,
    path: tokenPath,
    clients: () => undefined,
  });
  const responseJudgement = judgeResponse(exchange, { profile, now, windowMs: Infinity });
  const requestFindings = withoutStatic(requestJudgement.findings);

  const recorder = new Recorder(profile);
  const explained = judgeAnswer(recorder, interaction, requestFindings);
  judgeExamples(recorder, [
    ...placesOf('request', interaction.request),
    ...placesOf('response', interaction.response, interaction.status),
  ]);
  judgeLooseness(recorder, interaction);

  const findings = [
    ...requestFindings.filter((finding) => !explained.has(finding)),
    ...withoutStatic(responseJudgement.findings),
    ...recorder.findings,
  ];
  const evaluated = [
    ...requestJudgement.evaluated,
    ...responseJudgement.evaluated,
    ...recorder.judgement().evaluated,
  ].filter((id) => !NOT_STATIC.has(id));
  const deliberate = [...explained].map((finding) => `${finding.rule} at ${finding.location}`);

  return {
    ...base,
    because:
      deliberate.length > 0
        ? `${given} · the request deliberately breaks ${deliberate.join(', ')}`
        : given,
    verdict: verdictOf(findings),
    exchange,
    findings,
    evaluated: [...new Set(evaluated)],
    durationMs: Math.round(performance.now() - started),
  };
}

/** Judges every interaction of every pact file; never throws for a wrong pact. */
export function lintPacts(files: readonly string[], options: LintOptions): RunReport {
  const started = Date.now();
  const tokenPath = options.path ?? tokenSpec().path;
  const pacts = files.map(readPact);
  const cases: CaseResult[] = [];
  for (const pact of pacts) {
    const profile = profileOfProvider(pact.provider) ?? options.profile;
    for (const interaction of pact.interactions) {
      const id = `${pact.provider || basename(pact.file, '.json')}#${interaction.number}`;
      const result = lintInteraction(interaction, id, profile, tokenPath);
      cases.push(result);
      options.onCase?.(result);
    }
  }

  return runReport({
    mode: 'pact-lint',
    target: files.join(', '),
    profile: options.profile,
    started,
    ended: Date.now(),
    cases,
  });
}
