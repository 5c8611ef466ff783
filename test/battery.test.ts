import { strict as assert } from 'node:assert';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  createServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import nock from 'nock';

import { runBattery, type BatteryReport } from '../src/battery/run.js';
import type { SendOptions } from '../src/http/send.js';
import { providerHandler, startProvider, type ProviderOptions } from '../src/provider/server.js';
import { renderConsole } from '../src/report/console.js';
import { renderReport } from '../src/report/formats.js';
import { decideGate } from '../src/report/gate.js';
import { renderJson } from '../src/report/json.js';
import { buildView } from '../src/report/view.js';
import { formatTimestamp } from '../src/timestamp.js';
import type { Profile, Severity } from '../src/types.js';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** An answer as the reference provider was about to send it, open to tampering. */
interface Answer {
  status: number;
  headers: OutgoingHttpHeaders;
  body: string;
}

const CLIENT_ID = 'MCH-0008-1296507211683';
const TOKEN_PATH = '/authorization/v1/access-token/b2b';
const FAKE_HOST = 'http://snap-provider.test';

/** The battery's cases, in the order it runs them. */
const VALID_CASES = ['valid-request', 'valid-wib-offset'];
const AUTH_CASES = [
  'timestamp-stale',
  'timestamp-future',
  'unknown-client',
  'signature-other-key',
  'signature-other-string',
  'signature-not-base64',
];
const CASE_IDS = [
  ...VALID_CASES,
  'missing-content-type',
  'missing-x-timestamp',
  'missing-x-client-key',
  'missing-x-signature',
  'timestamp-without-offset',
  'timestamp-not-iso',
  ...AUTH_CASES,
  'grant-type-wrong',
  'grant-type-missing',
  'grant-type-snake-case',
  'body-malformed-json',
  'content-type-wrong',
];
const NEGATIVE_CASES = CASE_IDS.filter((id) => !VALID_CASES.includes(id));
/** The negative cases whose request proves no identity: a token there is a security hole. */
const UNPROVEN_CASES = [
  'missing-x-timestamp',
  'missing-x-client-key',
  'missing-x-signature',
  'timestamp-without-offset',
  'timestamp-not-iso',
  'timestamp-stale',
  'timestamp-future',
  'unknown-client',
  'signature-other-key',
  'signature-other-string',
  'signature-not-base64',
];

let clientKey: KeyObject;
let clientPublicKey: KeyObject;
const closers: (() => Promise<void>)[] = [];

function providerOptions(profile: Profile): ProviderOptions {
  return { clients: [{ clientId: CLIENT_ID, publicKeys: [clientPublicKey] }], profile };
}

/** Serves `handler` on a free loopback port until the test ends. */
async function serve(handler: Handler): Promise<URL> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return new URL(`http://127.0.0.1:${port}`);
}

/** The reference provider, each answer passed through `tamper` before it goes out. */
function tamperedProvider(profile: Profile, tamper: (answer: Answer) => Answer): Handler {
  const reference = providerHandler(providerOptions(profile));
  return (request, response) => {
    const writeHead = response.writeHead.bind(response);
    const end = response.end.bind(response);
    let held: Omit<Answer, 'body'> = { status: 0, headers: {} };

    response.writeHead = ((status: number, headers: OutgoingHttpHeaders) => {
      held = { status, headers };
      return response;
    }) as typeof response.writeHead;
    response.end = ((payload: string) => {
      const answer = tamper({ ...held, body: payload });
      writeHead(answer.status, {
        ...answer.headers,
        'Content-Length': Buffer.byteLength(answer.body),
      });
      return end(answer.body);
    }) as typeof response.end;

    reference(request, response);
  };
}

/** A port that was just bound and released: connecting to it is refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function battery(baseUrl: URL, profile: Profile, send?: SendOptions): Promise<BatteryReport> {
  return runBattery({
    baseUrl,
    clientId: CLIENT_ID,
    privateKey: clientKey,
    profile,
    ...(send ? { send } : {}),
  });
}

/** Case id → the sorted ids of the rules it breaks at `severity`; clean cases left out. */
function rulesAt(report: BatteryReport, severity: Severity): Record<string, string[]> {
  const broken: Record<string, string[]> = {};
  for (const result of report.cases) {
    const rules = result.findings.filter((f) => f.severity === severity).map((f) => f.rule);
    if (rules.length > 0) broken[result.id] = [...new Set(rules)].sort();
  }
  return broken;
}

function verdicts(report: BatteryReport): string[] {
  return report.cases.map((result) => `${result.id} ${result.verdict}`);
}

function each(ids: string[], rules: string[]): Record<string, string[]> {
  return Object.fromEntries(ids.map((id) => [id, rules]));
}

/** Every case failing the same rules (e.g. a provider that answers all alike). */
function allFail(rules: string[]): Record<string, string[]> {
  return each(CASE_IDS, rules);
}

/** The verdict line of every case: the named ones fail, the others pass. */
function failing(ids: string[]): string[] {
  return CASE_IDS.map((id) => `${id} ${ids.includes(id) ? 'fail' : 'pass'}`);
}

/** The first `count` cases fail, the rest are skipped (the runner gave up). */
function gaveUpAfter(count: number): string[] {
  return CASE_IDS.map((id, index) => `${id} ${index < count ? 'fail' : 'skipped'}`);
}

/** The DOKU-style token answer, the same for everyone. */
const FIXED_TOKEN_BODY = JSON.stringify({
  responseCode: '2007300',
  responseMessage: 'Successful',
  accessToken: 'fixed-token-for-every-caller-0123456789',
  tokenType: 'Bearer',
  expiresIn: 900,
  additionalInfo: '',
});

describe('provider battery', () => {
  before(() => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    clientKey = pair.privateKey;
    clientPublicKey = pair.publicKey;
  });

  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
  });

  describe('against the reference provider', () => {
    for (const profile of ['doku', 'snap'] as const) {
      it(`passes every case under profile ${profile}`, async () => {
        const provider = await startProvider(providerOptions(profile));
        closers.push(() => provider.close());

        const report = await battery(new URL(provider.url), profile);

        assert.deepEqual(
          verdicts(report),
          CASE_IDS.map((id) => `${id} pass`),
        );
        assert.deepEqual(report.summary, {
          cases: 19,
          passed: 19,
          failed: 0,
          skipped: 0,
          inconclusive: 0,
          errors: 0,
          warnings: 0,
          infos: 0,
        });
        assert.equal(report.unreachable, false);
        assert.equal(report.profile, profile);
        assert.equal(report.target, `${provider.url}${TOKEN_PATH}`);
      });
    }
  });

  describe('against providers that break the contract', () => {
    interface WrongProvider {
      name: string;
      profile: Profile;
      start: () => Promise<URL>;
      send?: SendOptions;
      failed: Record<string, string[]>;
      verdicts: string[];
      warned?: Record<string, string[]>;
      unreachable?: boolean;
    }

    const quick: SendOptions = { timeoutMs: 300, maxResponseBytes: 1 << 20 };

    const table: WrongProvider[] = [
      {
        name: 'sends expiresIn as the string "900" under doku',
        profile: 'doku',
        start: () =>
          serve(
            tamperedProvider('doku', (answer) => ({
              ...answer,
              body: answer.body.replace('"expiresIn":900', '"expiresIn":"900"'),
            })),
          ),
        failed: each(VALID_CASES, ['response.expires-in.form']),
        verdicts: failing(VALID_CASES),
      },
      {
        name: 'answers authentication failures 401 with responseCode 4007300',
        profile: 'doku',
        start: () =>
          serve(
            tamperedProvider('doku', (answer) => ({
              ...answer,
              body: answer.status === 401 ? answer.body.replace('4017300', '4007300') : answer.body,
            })),
          ),
        failed: each(AUTH_CASES, ['battery.outcome', 'response.code.http-prefix']),
        // 4007300's documented message is "Bad Request", not "Unauthorized. ...".
        warned: each(AUTH_CASES, ['response.message.documented']),
        verdicts: failing(AUTH_CASES),
      },
      {
        name: 'strips X-TIMESTAMP and X-CLIENT-KEY from the token answer',
        profile: 'snap',
        start: () =>
          serve(
            tamperedProvider('snap', (answer) => {
              if (answer.status !== 200) return answer;
              const headers = { ...answer.headers };
              delete headers['X-TIMESTAMP'];
              delete headers['X-CLIENT-KEY'];
              return { ...answer, headers };
            }),
          ),
        failed: each(VALID_CASES, ['response.header.required']),
        verdicts: failing(VALID_CASES),
      },
      {
        name: 'answers every request with an HTML error page',
        profile: 'doku',
        start: () =>
          serve((_request, response) => {
            response.writeHead(500, { 'Content-Type': 'text/html' });
            response.end('<html><body><h1>500 Internal Server Error</h1></body></html>');
          }),
        failed: allFail(['battery.outcome', 'response.body.json', 'response.content-type']),
        verdicts: failing(CASE_IDS),
      },
      {
        name: 'never answers',
        profile: 'doku',
        start: () => serve(() => undefined),
        send: quick,
        failed: each(CASE_IDS.slice(0, 2), ['transport.timeout']),
        verdicts: gaveUpAfter(2),
      },
      {
        name: 'refuses the connection',
        profile: 'doku',
        start: async () => new URL(`http://127.0.0.1:${await closedPort()}`),
        failed: each(CASE_IDS.slice(0, 1), ['transport.connect']),
        verdicts: gaveUpAfter(1),
        unreachable: true,
      },
      {
        name: 'answers 2 MB of body',
        profile: 'doku',
        start: () =>
          serve((_request, response) => {
            response.writeHead(200, { 'Content-Type': 'application/json' });
            response.end(Buffer.alloc(2 << 20, ' '));
          }),
        failed: each(CASE_IDS.slice(0, 2), ['transport.body-size']),
        verdicts: gaveUpAfter(2),
      },
      {
        name: 'hands out a token to every request (nock)',
        profile: 'doku',
        start: async () => {
          // A static reply: a reply function would make nock JSON.parse the request body, and
          // nock 14 throws (uncaught) on the malformed-JSON case's body.
          nock(FAKE_HOST)
            .persist()
            .post(TOKEN_PATH)
            .reply(200, FIXED_TOKEN_BODY, {
              'Content-Type': 'application/json',
              'X-TIMESTAMP': () => formatTimestamp(new Date()),
              'X-CLIENT-KEY': CLIENT_ID,
            });
          return new URL(FAKE_HOST);
        },
        failed: {
          ...each(NEGATIVE_CASES, ['battery.outcome']),
          ...each(UNPROVEN_CASES, ['battery.outcome', 'battery.token-without-proof']),
        },
        // The fixed X-CLIENT-KEY names the registered client, not the unknown one that asked.
        warned: { 'unknown-client': ['response.client-key.echo'] },
        verdicts: failing(NEGATIVE_CASES),
      },
      {
        name: 'resets every connection (nock)',
        profile: 'doku',
        start: async () => {
          nock(FAKE_HOST)
            .persist()
            .post(TOKEN_PATH)
            // An Error instance: nock 14.0.17 passes a plain-object error to
            // @mswjs/interceptors 0.41.9, which drops non-Error reasons, so the request hangs.
            .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
          return new URL(FAKE_HOST);
        },
        failed: each(CASE_IDS.slice(0, 2), ['transport.reset']),
        verdicts: gaveUpAfter(2),
      },
    ];

    for (const wrong of table) {
      it(`names the broken rules of a provider that ${wrong.name}`, async () => {
        const report = await battery(await wrong.start(), wrong.profile, wrong.send);

        assert.deepEqual(rulesAt(report, 'error'), wrong.failed);
        assert.deepEqual(verdicts(report), wrong.verdicts);
        assert.deepEqual(rulesAt(report, 'warning'), wrong.warned ?? {});
        assert.equal(report.unreachable, wrong.unreachable ?? false);

        const failed = wrong.verdicts.filter((line) => line.endsWith(' fail')).length;
        const skipped = wrong.verdicts.filter((line) => line.endsWith(' skipped')).length;
        assert.deepEqual(
          [report.summary.passed, report.summary.failed, report.summary.skipped],
          [19 - failed - skipped, failed, skipped],
        );
      });
    }

    it('skips the remaining cases once the target refuses, with the reason', async () => {
      const report = await battery(new URL(`http://127.0.0.1:${await closedPort()}`), 'doku');

      const [first, second] = report.cases;
      assert.equal(first?.exchange?.failure?.kind, 'connect');
      assert.match(first?.exchange?.failure?.message ?? '', /ECONNREFUSED/);
      assert.equal(second?.exchange, undefined);
      assert.equal(second?.because, 'skipped: the target is unreachable');
    });
  });
  describe('when the provider refuses the valid request', () => {
    /** Cases whose request is otherwise right, so a 401 to them is the credentials' doing. */
    const NEED_CREDENTIALS = [
      'valid-wib-offset',
      'grant-type-wrong',
      'grant-type-missing',
      'grant-type-snake-case',
      'body-malformed-json',
    ];
    let registered: KeyObject;
    let stranger: KeyObject;

    before(() => {
      registered = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
      stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    });

    /** The battery with a client id and key the reference provider does not pair. */
    async function refusedRun(clientId: string): Promise<BatteryReport> {
      const provider = await startProvider({
        clients: [{ clientId: CLIENT_ID, publicKeys: [registered] }],
        profile: 'doku',
      });
      closers.push(() => provider.close());
      return runBattery({
        baseUrl: new URL(provider.url),
        clientId,
        privateKey: clientKey,
        strangerKey: stranger,
        profile: 'doku',
      });
    }

    const refusals: [string, string, string][] = [
      ['a key it never registered', CLIENT_ID, 'Unauthorized. Signature'],
      ['a client id it does not know', 'MCH-UNKNOWN', 'Unauthorized. Unknown Client'],
    ];

    for (const [name, clientId, message] of refusals) {
      it(`quotes ${message}; cases that need credentials are inconclusive (${name})`, async () => {
        const report = await refusedRun(clientId);
        const refusal = `401 4017300 "${message}"`;

        assert.deepEqual(
          verdicts(report),
          CASE_IDS.map((id) => {
            if (id === 'valid-request') return `${id} fail`;
            return `${id} ${NEED_CREDENTIALS.includes(id) ? 'inconclusive' : 'pass'}`;
          }),
        );
        assert.deepEqual(
          report.cases[0]?.findings.map((f) => [f.rule, f.message, f.expected, f.actual]),
          [
            [
              'battery.outcome',
              `answered ${refusal}; expected 200 2007300`,
              '200 2007300',
              refusal,
            ],
          ],
        );
        assert.equal(
          report.cases.find((c) => c.id === 'grant-type-wrong')?.because,
          `inconclusive: answered ${refusal}, as the valid request was; ` +
            'this case needs working credentials',
        );
        assert.deepEqual(report.notices, [
          `the valid request was refused (${refusal}): check --client-id and --private-key ` +
            'against what the provider has registered; cases that need working credentials ' +
            'are inconclusive',
        ]);
        assert.deepEqual(
          [report.summary.passed, report.summary.failed, report.summary.inconclusive],
          [13, 1, 5],
        );
        assert.equal(decideGate(report, 'error').exitCode, 1);
      });
    }

    it('says it on the console before the footer, and each answer once per finding', async () => {
      const text = renderConsole(await refusedRun(CLIENT_ID), false);
      const refusal = '401 4017300 "Unauthorized. Signature"';

      const footer = [
        '',
        `note: the valid request was refused (${refusal}): check --client-id and --private-key ` +
          'against what the provider has registered; cases that need working credentials are ' +
          'inconclusive',
        '',
        '19 cases: 13 passed, 1 failed, 0 skipped, 5 inconclusive · ',
      ].join('\n');
      assert.ok(text.includes(footer), text);
      assert.equal(text.split(refusal).length - 1, 1 + NEED_CREDENTIALS.length + 1);
      assert.doesNotMatch(text, /expected 200 2007300, got/);
      assert.match(text, /\n {2}\? grant-type-wrong {11}401 4017300 /);
    });

    it('carries the notice and the inconclusive cases into every report format', async () => {
      const view = buildView(await refusedRun(CLIENT_ID), { failOn: 'error', showSecrets: false });
      const notice = view.notices[0] ?? '';

      assert.match(
        notice,
        /^the valid request was refused \(401 4017300 "Unauthorized\. Signature"\)/,
      );
      assert.equal(JSON.parse(renderJson(view)).notices[0], notice);
      const schema = JSON.parse(readFileSync('spec/report.schema.json', 'utf8')) as object;
      const ajv = new Ajv2020({ strict: true, allErrors: true });
      addFormats.default(ajv);
      const validate = ajv.compile(schema);
      assert.ok(validate(JSON.parse(renderJson(view))), JSON.stringify(validate.errors));
      assert.ok(renderReport('markdown', view).includes(`- **Note:** ${notice}`));
      assert.match(renderReport('markdown', view), /\| 19 \| 13 \| 1 \| 0 \| 5 \| 1 \|/);
      const junit = renderReport('junit', view);
      assert.ok(junit.includes(`<system-out>note: ${notice}</system-out>`));
      assert.match(junit, /<testsuite [^>]*skipped="5"/);
      assert.match(
        renderReport('html', view),
        /<ul class="notices"><li>the valid request was refused/,
      );
    });
  });

  describe('its JSON report', () => {
    it('redacts X-SIGNATURE and every accessToken', async () => {
      const provider = await startProvider(providerOptions('doku'));
      closers.push(() => provider.close());
      const report = await battery(new URL(provider.url), 'doku');

      const json = renderJson(buildView(report, { failOn: 'error', showSecrets: false }));
      JSON.parse(json);

      const signatures = report.cases.flatMap((result) => {
        const signature = result.exchange?.request.headers['X-SIGNATURE'];
        return typeof signature === 'string' ? [signature] : [];
      });
      const tokens = report.cases.flatMap((result) => {
        const body = result.exchange?.response?.body.toString('utf8') ?? '{}';
        const token = (JSON.parse(body) as { accessToken?: unknown }).accessToken;
        return typeof token === 'string' ? [token] : [];
      });
      // Every case but missing-x-signature signs; only the two valid cases get a token.
      assert.equal(signatures.length, 18);
      assert.equal(tokens.length, 2);

      for (const secret of [...signatures, ...tokens]) {
        assert.ok(secret.length > 12, 'a secret long enough to keep a prefix');
        assert.ok(!json.includes(secret), `the full secret ${secret.slice(0, 10)}… is absent`);
        assert.ok(json.includes(`${secret.slice(0, 10)}…[${secret.length} chars]`));
      }
    });
  });
});
