/**
 * The reference provider as a judge of clients: it answers every request as the spec demands,
 * and turns each one into a case of the report, judged in full. When a signature does not
 * verify, the doctor's diagnosis is attached to the finding, so the report says which mistake
 * produced it instead of "401".
 */
import { diagnoseSignature, type DoctorKey } from '../doctor/signature-doctor.js';
import { headerValue } from '../engine/headers.js';
import type { RequestJudgement } from '../engine/request.js';
import { startProvider, type RegisteredClient, type RunningProvider } from '../provider/server.js';
import { runReport, verdictOf, type CaseResult, type RunReport } from '../report/model.js';
import type { Exchange, Finding, Profile } from '../types.js';

export interface ClientJudgeOptions {
  clients: RegisteredClient[];
  profile: Profile;
  path?: string;
  windowMs?: number;
  port?: number;
  host?: string;
  clock?: () => number;
  /** Called with each judged request as it arrives. */
  onCase?: (result: CaseResult) => void;
}

export interface ClientJudge {
  provider: RunningProvider;
  /** The judged requests so far, in arrival order. */
  cases: CaseResult[];
  report(): RunReport;
  close(): Promise<void>;
}

const SIGNATURE_LOCATION = 'request.header.X-SIGNATURE';

/** Attaches the doctor's diagnosis to the finding that says the signature failed. */
function withDiagnosis(
  findings: Finding[],
  exchange: Exchange,
  judgement: RequestJudgement,
  clients: RegisteredClient[],
): Finding[] {
  const failed = findings.find(
    (f) =>
      f.location === SIGNATURE_LOCATION &&
      (f.rule === 'request.signature.verifies' || f.rule === 'request.header.format'),
  );
  const client = clients.find((c) => c.clientId === judgement.clientId);
  const headers = exchange.request.headers;
  const timestamp = headerValue(headers, 'X-TIMESTAMP');
  const signature = headerValue(headers, 'X-SIGNATURE');
  if (!failed || !client || timestamp === undefined || signature === undefined) return findings;

  const others: DoctorKey[] = clients
    .filter((c) => c.clientId !== client.clientId)
    .flatMap((c) => c.publicKeys.map((key) => ({ clientId: c.clientId, key })));
  const diagnosis = diagnoseSignature({
    clientId: client.clientId,
    timestamp,
    signature,
    keys: client.publicKeys,
    others,
    body: exchange.request.body.toString('utf8'),
  });
  if (diagnosis.outcome === 'verifies') return findings;

  const diagnosed: Finding = {
    ...failed,
    message: `${failed.message}: ${diagnosis.summary}`,
    hint: diagnosis.fix,
    diagnosis,
  };
  return findings.map((finding) => (finding === failed ? diagnosed : finding));
}

function caseFrom(
  index: number,
  exchange: Exchange,
  judgement: RequestJudgement,
  options: ClientJudgeOptions,
): CaseResult {
  const request = exchange.request;
  const response = exchange.response;
  const code = /"responseCode":"(\d+)"/.exec(response?.body.toString('utf8') ?? '')?.[1];
  const answer = response ? `${response.status} ${code ?? ''}`.trim() : 'no answer';
  const findings = withDiagnosis(judgement.findings, exchange, judgement, options.clients);
  const clientId = headerValue(request.headers, 'X-CLIENT-KEY') ?? '(no X-CLIENT-KEY)';
  // A request the HTTP parser refused may have no readable request line.
  const line = request.method ? `${request.method} ${request.path}` : 'unreadable request';

  return {
    id: `request-${index}`,
    title: `${line} from ${clientId}`,
    because: `answered ${answer}`,
    verdict: verdictOf(findings),
    exchange,
    findings,
    evaluated: judgement.evaluated,
    durationMs: 0,
  };
}

/**
 * Starts the judge on a loopback port; every request it answers becomes a case, including the
 * ones the provider refuses before judging (an oversized body, unparseable bytes): their
 * judgement names the rule that refused them.
 */
export async function startClientJudge(options: ClientJudgeOptions): Promise<ClientJudge> {
  const clock = options.clock ?? Date.now;
  const started = clock();
  const cases: CaseResult[] = [];

  const provider = await startProvider({
    clients: options.clients,
    profile: options.profile,
    clock,
    ...(options.path ? { path: options.path } : {}),
    ...(options.windowMs !== undefined ? { windowMs: options.windowMs } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.host ? { host: options.host } : {}),
    onExchange: (exchange, judgement) => {
      const result = caseFrom(cases.length + 1, exchange, judgement, options);
      cases.push(result);
      options.onCase?.(result);
    },
  });

  return {
    provider,
    cases,
    report: () =>
      runReport({
        mode: 'client',
        target: provider.url,
        profile: options.profile,
        started,
        ended: clock(),
        cases: [...cases],
      }),
    close: () => provider.close(),
  };
}
