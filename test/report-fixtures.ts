/**
 * Runs for the report tests: one fixed battery run whose every output is compared with the
 * golden files in test/fixtures/reports/, and hand-made runs that plant secrets where a report
 * could leak them. See test/fixtures/reports/README.md for what is fixed and how.
 */
import { createHash } from 'node:crypto';

import { runBattery } from '../src/battery/run.js';
import { startProvider } from '../src/provider/server.js';
import { specVersion, summarise, tool, verdictOf, type RunReport } from '../src/report/model.js';
import { readPrivateKeyFile, readPublicKeyFile } from '../src/signature/keys.js';
import type { Exchange, Finding } from '../src/types.js';

export const KEYS = 'test/fixtures/keys';
export const CLIENT_ID = 'MCH-0008-1296507211683';
/** The battery's clock for the fixed run. */
export const FIXED_NOW = Date.parse('2026-03-02T03:04:05.000Z');
/** The provider's clock runs two minutes fast: its answers' X-TIMESTAMP draw warnings. */
export const PROVIDER_SKEW_MS = 120_000;

/** What the fixed run's report says where a real run would say something of its moment. */
export const SETTLED = {
  base: 'http://127.0.0.1:8080',
  date: 'Mon, 02 Mar 2026 03:06:05 GMT',
  caseMs: 12,
  version: '1.2.3',
  spec: { openapiSha256: 'a'.repeat(64), rulesVersion: 1, rulesSha256: 'b'.repeat(64) },
} as const;

/** Tokens a reader can tell apart and a test can predict: sha256 of a counter. */
export function countingTokens(): () => string {
  let issued = 0;
  return () => {
    issued += 1;
    return createHash('sha256').update(`snapcheck fixed token ${issued}`).digest('base64url');
  };
}

/**
 * Replaces what differs between two runs of the same fixed inputs: the provider's port, the
 * Date header Node adds, case durations, and the versions of snapcheck, openapi.yaml and the
 * catalogue (so the goldens change with the renderers, not with every edit of the spec).
 */
export function settle(report: RunReport, base: string): RunReport {
  return {
    ...report,
    tool: { ...tool, version: SETTLED.version },
    spec: { ...SETTLED.spec },
    target: report.target.replace(base, SETTLED.base),
    cases: report.cases.map((result) => {
      const response = result.exchange?.response;
      if (response && response.headers.date !== undefined) {
        response.headers = { ...response.headers, date: SETTLED.date };
      }
      return { ...result, durationMs: result.verdict === 'skipped' ? 0 : SETTLED.caseMs };
    }),
  };
}

/**
 * The fixed run: the battery under profile `doku`, fixture keys, a fixed clock and a 60 s
 * window, against the reference provider in SNAP style (`"expiresIn": "900"`) whose clock runs
 * two minutes fast. It yields passes, errors and warnings, each the same on every run.
 */
export async function fixedBatteryRun(): Promise<RunReport> {
  const publicKey = readPublicKeyFile(`${KEYS}/client-public-spki.pem`).key;
  const provider = await startProvider({
    clients: [{ clientId: CLIENT_ID, publicKeys: [publicKey] }],
    profile: 'snap',
    clock: () => FIXED_NOW + PROVIDER_SKEW_MS,
    issueToken: countingTokens(),
  });
  try {
    const report = await runBattery({
      baseUrl: new URL(provider.url),
      clientId: CLIENT_ID,
      privateKey: readPrivateKeyFile(`${KEYS}/client-pkcs8.pem`).key,
      strangerKey: readPrivateKeyFile(`${KEYS}/weak-1024-pkcs8.pem`).key,
      profile: 'doku',
      windowMs: 60_000,
      clock: () => FIXED_NOW,
    });
    return settle(report, provider.url);
  } finally {
    await provider.close();
  }
}

/** Every string the fixed run's exchanges hold that a report must shorten. */
export function secretsOf(report: RunReport): string[] {
  return report.cases.flatMap((result) => {
    const exchange = result.exchange;
    if (!exchange) return [];
    const signature = exchange.request.headers['X-SIGNATURE'];
    const found = typeof signature === 'string' ? [signature] : [];
    const body = exchange.response?.body.toString('utf8') ?? '';
    const token = /"accessToken":"([^"]+)"/.exec(body)?.[1];
    return token ? [...found, token] : found;
  });
}

/** Secrets planted where a careless report would show them. */
export const PLANTED = {
  signature: `${'Zm9vYmFyYmF6'.repeat(28)}Qg==`,
  bearer: 'eyJhbGciOiJSUzI1NiJ9.planted-bearer-token-value-0123456789',
  accessToken: 'planted-access-token-ABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789',
  refreshToken: 'planted-refresh-token-abcdefghijklmnopqrstuvwxyz-98765',
  cutToken: 'planted-cut-token-0123456789abcdefghijklmnopqrstuvwxyz',
  shortSignature: 'c2ln',
  passphrase: 'planted-passphrase-snapcheck',
  password: 'planted-url-password',
  privateKeyBody: 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCplantedKEYbody',
} as const;

const PEM = [
  '-----BEGIN PRIVATE KEY-----',
  PLANTED.privateKeyBody,
  'c2Vjb25kIGxpbmUgb2YgdGhlIHBsYW50ZWQga2V5',
  '-----END PRIVATE KEY-----',
].join('\n');

function exchange(
  headers: Record<string, string>,
  body: string,
  status: number,
  answer: string,
): Exchange {
  return {
    request: {
      method: 'POST',
      path: '/authorization/v1/access-token/b2b',
      headers,
      body: Buffer.from(body),
    },
    response: {
      status,
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(answer),
    },
  };
}

function finding(rule: string, location: string, actual: string, fact?: string): Finding {
  const result: Finding = {
    rule,
    severity: 'error',
    location,
    message: `planted finding quoting ${actual}`,
    expected: 'anything but a secret',
    actual,
    hint: 'a hint',
  };
  if (fact) {
    result.diagnosis = {
      outcome: 'explained',
      summary: 'planted',
      fix: 'planted',
      facts: [fact],
      tried: 3,
    };
  }
  return result;
}

/** A client-judge run whose exchanges and findings carry every planted secret. */
export function plantedReport(): RunReport {
  const tokenBody = JSON.stringify({
    responseCode: '2007300',
    responseMessage: 'Successful',
    accessToken: PLANTED.accessToken,
    tokenType: 'Bearer',
    expiresIn: '900',
    additionalInfo: { refreshToken: PLANTED.refreshToken },
  });
  const cutBody = `{"responseCode":"2007300","accessToken":"${PLANTED.cutToken}`;
  const first = exchange(
    {
      'X-SIGNATURE': PLANTED.signature,
      Authorization: `Bearer ${PLANTED.bearer}`,
      'X-Debug': `passphrase=${PLANTED.passphrase}`,
    },
    `{"grantType":"client_credentials","additionalInfo":{"key":${JSON.stringify(PEM)}}}`,
    200,
    tokenBody,
  );
  const second = exchange({ 'X-SIGNATURE': PLANTED.shortSignature }, PEM, 200, cutBody);
  const findings = [
    [
      finding('response.body.format', 'response.body', tokenBody.slice(0, 80)),
      finding(
        'request.signature.verifies',
        'request.header.X-SIGNATURE',
        'see the diagnosis',
        `the block holds ${PLANTED.signature.slice(0, 40)}`,
      ),
    ],
    [finding('response.body.json', 'response.body', `${cutBody.slice(0, 70)} and ${PEM}`)],
  ];
  const cases = [first, second].map((ex, index) => ({
    id: `request-${index + 1}`,
    title: `planted request ${index + 1}`,
    because: 'planted',
    verdict: verdictOf(findings[index] ?? []),
    exchange: ex,
    findings: findings[index] ?? [],
    evaluated: ['request.signature.verifies', 'response.body.format'],
    durationMs: 1,
  }));
  return {
    mode: 'client',
    tool,
    spec: specVersion(),
    target: `http://judge:${PLANTED.password}@127.0.0.1:9/`,
    profile: 'doku',
    startedAt: new Date(FIXED_NOW).toISOString(),
    durationMs: 5,
    unreachable: false,
    cases,
    summary: summarise(cases),
  };
}
