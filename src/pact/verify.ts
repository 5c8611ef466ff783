/**
 * Provider verification of any base URL against pact files, with Pact's own Verifier. Each
 * replayed request is re-signed on its way to the provider (see resign.ts) and each answer is
 * captured, so an interaction's result carries both Pact's mismatches and the check engine's
 * findings on the same answer. One Verifier run per pact file, so that each file's provider name
 * (and, for the reference provider, its profile) applies to its own interactions.
 */
import type { KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { debuglog } from 'node:util';

import { DEFAULT_WINDOW_MS } from '../engine/request.js';
import { judgeResponse } from '../engine/response.js';
import { redact } from '../engine/render.js';
import { Recorder } from '../engine/recorder.js';
import { runReport, verdictOf, type CaseResult, type RunReport } from '../report/model.js';
import type { Exchange, Finding, HeaderBag, Profile } from '../types.js';
import { profileOfProvider } from './contract.js';
import { readPact, type PactDocument } from './pact-file.js';
import { resign, StateTracker, type ResignNote } from './resign.js';
import { parseState, type StateIntent } from './states.js';

const debug = debuglog('snapcheck:pact');

/** Called as the verifier sets up and tears down provider states (the reference provider). */
export interface StateHooks {
  setup(intent: StateIntent | undefined, profile: Profile): void;
  teardown(profile: Profile): void;
}

/** Pacts fetched from a Pact Broker by the Verifier itself, results optionally published. */
export interface BrokerSource {
  brokerUrl: string;
  /** The provider name the broker knows the pacts under. */
  provider: string;
  /** From the environment (PACT_BROKER_TOKEN), never from the command line. */
  token?: string;
  publish?: { providerVersion: string; branch?: string };
}

export interface VerifyOptions {
  /** Pact files to verify; ignored when `broker` is given. */
  pactFiles: readonly string[];
  broker?: BrokerSource;
  baseUrl: string;
  clientId: string;
  privateKey: KeyObject;
  /** The profile for pacts whose provider name does not imply one. */
  profile: Profile;
  timeoutMs?: number;
  states?: StateHooks;
  clock?: () => number;
  onCase?: (result: CaseResult) => void;
}

interface VerifierMismatch {
  type?: string;
  path?: string;
  key?: string;
  expected?: unknown;
  actual?: unknown;
  mismatch?: string;
}

interface VerifierJson {
  errors?: { interaction?: string; mismatch?: { type?: string; message?: string } }[];
  interactionResults?: { description?: string; result?: string }[];
}

/** Whether anything listens at the base URL; Pact would otherwise report every interaction. */
export function reachable(baseUrl: string, timeoutMs = 3000): Promise<boolean> {
  const url = new URL(baseUrl);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname.replace(/^\[|\]$/g, ''), port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

type FilterRequest = IncomingMessage & { body?: unknown; originalUrl?: string };

/** Pact's proxy parses JSON bodies; this gives back the bytes it will forward. */
function forwardedBody(body: unknown): Buffer {
  if (Buffer.isBuffer(body)) return body;
  if (body !== undefined && body !== null && typeof body === 'object') {
    return Buffer.from(JSON.stringify(body));
  }
  return Buffer.alloc(0);
}

interface Capture {
  exchange: Exchange;
  note: ResignNote;
  /** The provider states set up for this request. */
  states: string[];
}

/** Keeps a copy of what the proxy writes back, without changing it. */
function captureAnswer(
  res: ServerResponse,
  onDone: (status: number, headers: HeaderBag, body: Buffer) => void,
): void {
  const chunks: Buffer[] = [];
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  const keep = (chunk: unknown): void => {
    if (typeof chunk === 'string' || chunk instanceof Uint8Array) chunks.push(Buffer.from(chunk));
  };
  res.write = ((chunk: unknown, ...rest: unknown[]) => {
    keep(chunk);
    return write(chunk, ...rest);
  }) as ServerResponse['write'];
  res.end = ((chunk?: unknown, ...rest: unknown[]) => {
    if (typeof chunk !== 'function') keep(chunk);
    return end(chunk, ...rest);
  }) as ServerResponse['end'];
  res.once('finish', () => {
    onDone(res.statusCode, res.getHeaders() as HeaderBag, Buffer.concat(chunks));
  });
}

function stateSetupRequest(req: FilterRequest): boolean {
  return (req.originalUrl ?? req.url ?? '').startsWith('/_pactSetup');
}

function mismatchFinding(recorder: Recorder, mismatch: VerifierMismatch): void {
  const text = mismatch.mismatch ?? 'the answer does not match the contract';
  const shown = (value: unknown): string | undefined =>
    value === undefined ? undefined : typeof value === 'string' ? value : JSON.stringify(value);
  switch (mismatch.type) {
    case 'StatusMismatch':
      recorder.fail('pact.verify.status', {
        location: 'response.status',
        message: text,
        ...definedOnly({ expected: shown(mismatch.expected), actual: shown(mismatch.actual) }),
      });
      return;
    case 'HeaderMismatch':
      recorder.fail('pact.verify.header', {
        location: `response.header.${mismatch.key ?? ''}`,
        message: text,
        ...definedOnly({ expected: shown(mismatch.expected), actual: shown(mismatch.actual) }),
      });
      return;
    default: {
      const path = mismatch.path ?? '$';
      recorder.fail('pact.verify.body', {
        location: `response.body${path === '$' ? '' : path.replace(/^\$/, '')}`,
        message: text,
        ...definedOnly({ expected: shown(mismatch.expected), actual: shown(mismatch.actual) }),
      });
    }
  }
}

function definedOnly(values: { expected?: string; actual?: string }): {
  expected?: string;
  actual?: string;
} {
  const out: { expected?: string; actual?: string } = {};
  if (values.expected !== undefined) out.expected = values.expected;
  if (values.actual !== undefined) out.actual = values.actual;
  return out;
}

function parseResults(text: string): VerifierJson | undefined {
  try {
    return JSON.parse(text) as VerifierJson;
  } catch {
    return undefined;
  }
}

/** The mismatches Pact reported for one interaction (matched by its description). */
function mismatchesFor(results: VerifierJson, interaction: { description: string }): unknown[] {
  const suffix = ` - ${interaction.description}`;
  return (results.errors ?? [])
    .filter((entry) => entry.interaction?.endsWith(suffix))
    .map((entry) => entry.mismatch);
}

/** Replaces every secret seen in the run by its redacted form. */
function scrub(findings: Finding[], secrets: ReadonlySet<string>): Finding[] {
  const clean = (text: string | undefined): string | undefined => {
    if (text === undefined) return undefined;
    let out = text;
    for (const secret of secrets)
      if (secret.length > 0) out = out.split(secret).join(redact(secret));
    return out;
  };
  return findings.map((finding) => {
    const scrubbed: Finding = { ...finding, message: clean(finding.message)! };
    const expected = clean(finding.expected);
    const actual = clean(finding.actual);
    if (expected !== undefined) scrubbed.expected = expected;
    if (actual !== undefined) scrubbed.actual = actual;
    return scrubbed;
  });
}

function secretsOf(exchange: Exchange | undefined, into: Set<string>): void {
  if (!exchange) return;
  const signature = exchange.request.headers['x-signature'];
  if (typeof signature === 'string') into.add(signature);
  const text = exchange.response?.body.toString('utf8') ?? '';
  const token = /"accessToken"\s*:\s*"([^"]+)"/.exec(text)?.[1];
  if (token) into.add(token);
}

function because(states: readonly string[], note: ResignNote | undefined): string {
  const given = states.length > 0 ? `given ${states.join('; ')}` : 'no provider state';
  if (!note) return given;
  const parts: string[] = [];
  if (note.clientId) parts.push(`X-CLIENT-KEY ${note.clientId.from} → ${note.clientId.to}`);
  if (note.timestamp) parts.push(`fresh X-TIMESTAMP ${note.timestamp.to}`);
  if (note.signer) parts.push(`signed by the ${note.signer}`);
  return parts.length > 0 ? `${given} · replayed with ${parts.join(', ')}` : given;
}

/** What one Verifier run is told: a pact file, or a Pact Broker to fetch the pacts from. */
type Source = { pact: PactDocument } | { broker: BrokerSource };

/** The Verifier's options for pacts fetched from a broker, and for publishing the results. */
export function brokerVerifierOptions(broker: BrokerSource): Record<string, unknown> {
  return {
    provider: broker.provider,
    pactBrokerUrl: broker.brokerUrl,
    ...(broker.token ? { pactBrokerToken: broker.token } : {}),
    consumerVersionSelectors: [{ mainBranch: true }, { deployedOrReleased: true }],
    publishVerificationResult: broker.publish !== undefined,
    ...(broker.publish
      ? {
          providerVersion: broker.publish.providerVersion,
          ...(broker.publish.branch ? { providerVersionBranch: broker.publish.branch } : {}),
        }
      : {}),
  };
}

interface Run {
  text: string;
  captures: Capture[];
}

type StateHandler = { setup: () => Promise<undefined>; teardown: () => Promise<undefined> };

/** A handler per provider state of the pact, telling the provider when snapcheck runs it. */
function stateHandlers(
  pact: PactDocument,
  hooks: StateHooks | undefined,
  profile: Profile,
): Record<string, StateHandler> {
  const handlers: Record<string, StateHandler> = {};
  for (const name of new Set(pact.interactions.flatMap((i) => i.states.map((s) => s.name)))) {
    handlers[name] = {
      setup: async () => {
        hooks?.setup(parseState(name), profile);
        return undefined;
      },
      teardown: async () => {
        hooks?.teardown(profile);
        return undefined;
      },
    };
  }
  return handlers;
}

/**
 * The request filter: follows the provider states as the verifier sets them up (the state
 * calls pass through here first), re-signs every replayed request, captures every answer.
 */
function replayFilter(options: VerifyOptions, captures: Capture[]) {
  const clock = options.clock ?? Date.now;
  const tracker = new StateTracker();
  return (req: FilterRequest, res: ServerResponse, next: () => void): void => {
    if (stateSetupRequest(req)) {
      const change = (req.body ?? {}) as { state?: unknown; action?: unknown };
      if (change.action === 'setup' && typeof change.state === 'string') {
        tracker.setup(change.state);
      } else if (change.action === 'teardown') {
        tracker.teardown();
      }
      next();
      return;
    }
    const states = [...tracker.stateNames];
    const note = resign(req.headers as HeaderBag, tracker.current, {
      clientId: options.clientId,
      privateKey: options.privateKey,
      clock,
    });
    const request = {
      method: req.method ?? 'GET',
      path: req.originalUrl ?? req.url ?? '/',
      headers: { ...(req.headers as HeaderBag) },
      body: forwardedBody(req.body),
    };
    captureAnswer(res, (status, headers, body) => {
      captures.push({ exchange: { request, response: { status, headers, body } }, note, states });
    });
    next();
  };
}

/** One Verifier run over one source. */
async function runVerifier(source: Source, options: VerifyOptions, profile: Profile): Promise<Run> {
  const captures: Capture[] = [];
  process.env.PACT_DO_NOT_TRACK ??= 'true';
  const { Verifier } = await import('@pact-foundation/pact');
  const verifier = new Verifier({
    providerBaseUrl: options.baseUrl,
    logLevel: (process.env.SNAPCHECK_PACT_LOG_LEVEL as 'error' | undefined) ?? 'error',
    timeout: options.timeoutMs ?? 5000,
    requestFilter: replayFilter(options, captures) as never,
    ...('pact' in source
      ? {
          provider: source.pact.provider,
          pactUrls: [source.pact.file],
          stateHandlers: stateHandlers(source.pact, options.states, profile) as never,
        }
      : brokerVerifierOptions(source.broker)),
  });

  let text: string;
  try {
    text = String(await verifier.verifyProvider());
  } catch (error) {
    text = error instanceof Error ? error.message : String(error);
  }
  debug('verifier result: %s', text.slice(0, 2000));
  return { text, captures };
}

/** An interaction as the report lists it, from the pact file or from the verifier's results. */
interface Expected {
  id: string;
  description: string;
  states?: string[];
}

function expectedOf(source: Source, results: VerifierJson | undefined): Expected[] {
  if ('pact' in source) {
    return source.pact.interactions
      .filter((interaction) => interaction.http)
      .map((interaction) => ({
        id: `${source.pact.provider}#${interaction.number}`,
        description: interaction.description,
        states: interaction.states.map((state) => state.name),
      }));
  }
  return (results?.interactionResults ?? []).map((result, index) => ({
    id: `${source.broker.provider}#${index + 1}`,
    description: result.description ?? `interaction ${index + 1}`,
  }));
}

/** Pact's verdict on one interaction, as findings. */
function verifierFindings(
  recorder: Recorder,
  results: VerifierJson | undefined,
  interaction: Expected,
  raw: string,
): void {
  if (!results) {
    recorder.fail('pact.verify.error', {
      location: 'interaction',
      message: `the verifier did not run: ${raw.split('\n')[0]}`,
    });
    return;
  }
  for (const entry of mismatchesFor(results, interaction)) {
    const mismatch = entry as { message?: string; mismatches?: VerifierMismatch[] };
    if (Array.isArray(mismatch.mismatches)) {
      for (const item of mismatch.mismatches) mismatchFinding(recorder, item);
    } else {
      recorder.fail('pact.verify.error', {
        location: 'interaction',
        message: mismatch.message ?? 'the verifier could not replay this interaction',
      });
    }
  }
  const outcome = results.interactionResults?.find(
    (result) => result.description === interaction.description,
  );
  if (outcome?.result !== 'OK' && recorder.findings.length === 0) {
    recorder.fail('pact.verify.error', {
      location: 'interaction',
      message: `the verifier reported ${outcome?.result ?? 'no result'} for this interaction`,
    });
  }
}

/**
 * A case per interaction: Pact's mismatches, then the check engine on the captured answer.
 * Answers are matched to interactions by order, which is the order Pact replays them in.
 */
function casesOf(expected: Expected[], run: Run, profile: Profile, now: number): CaseResult[] {
  const results = parseResults(run.text);
  const secrets = new Set<string>();
  const byOrder = run.captures.length === expected.length;
  return expected.map((interaction, index) => {
    const capture = byOrder ? run.captures[index] : undefined;
    secretsOf(capture?.exchange, secrets);
    const recorder = new Recorder(profile);
    verifierFindings(recorder, results, interaction, run.text);
    let findings: Finding[] = [...recorder.findings];
    let evaluated = ['pact.verify.status', 'pact.verify.header', 'pact.verify.body'];

    if (capture) {
      const judgement = judgeResponse(capture.exchange, {
        profile,
        now,
        windowMs: DEFAULT_WINDOW_MS,
      });
      findings.push(...judgement.findings);
      evaluated = [...new Set([...evaluated, ...judgement.evaluated])];
    }
    findings = scrub(findings, secrets);

    return {
      id: interaction.id,
      title: interaction.description,
      because: because(interaction.states ?? capture?.states ?? [], capture?.note),
      verdict: verdictOf(findings),
      ...(capture ? { exchange: capture.exchange } : {}),
      findings,
      evaluated,
      durationMs: 0,
    };
  });
}

function unreachableCase(interaction: Expected): CaseResult {
  return {
    id: interaction.id,
    title: interaction.description,
    because: 'skipped: the target is unreachable',
    verdict: 'skipped',
    findings: [],
    evaluated: [],
    durationMs: 0,
  };
}

/** Verifies every pact against the base URL; never throws for a failing provider. */
export async function verifyPacts(options: VerifyOptions): Promise<RunReport> {
  const clock = options.clock ?? Date.now;
  const started = clock();
  const sources: Source[] = options.broker
    ? [{ broker: options.broker }]
    : options.pactFiles.map((file) => ({ pact: readPact(file) }));
  const cases: CaseResult[] = [];
  const up = await reachable(options.baseUrl);

  for (const source of sources) {
    const profile =
      ('pact' in source ? profileOfProvider(source.pact.provider) : undefined) ?? options.profile;
    let results: CaseResult[];
    if (up) {
      const run = await runVerifier(source, options, profile);
      results = casesOf(expectedOf(source, parseResults(run.text)), run, profile, clock());
    } else {
      results = expectedOf(source, undefined).map(unreachableCase);
    }
    for (const result of results) {
      cases.push(result);
      options.onCase?.(result);
    }
  }

  return runReport({
    mode: 'pact-verify',
    target: options.baseUrl,
    profile: options.profile,
    started,
    ended: clock(),
    unreachable: !up,
    cases,
  });
}
