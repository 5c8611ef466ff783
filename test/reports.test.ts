import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parse as parseJunit, type TestCase, type TestSuite } from 'junit2json';

import { runBattery } from '../src/battery/run.js';
import { ExitCode } from '../src/errors.js';
import { caseBlock, renderConsole } from '../src/report/console.js';
import { parseReportTarget, renderReport, type ReportFormat } from '../src/report/formats.js';
import { decideGate, type FailOn } from '../src/report/gate.js';
import { escapeMarkdownCell, escapeXml, markdownCode, printable } from '../src/report/markup.js';
import { summarise, type CaseResult, type RunReport } from '../src/report/model.js';
import { Progress } from '../src/report/progress.js';
import { PRIVATE_KEY_REMOVED, SECRET_REMOVED } from '../src/report/redaction.js';
import { buildView, type ReportView, type ViewOptions } from '../src/report/view.js';
import { readPrivateKeyFile } from '../src/signature/keys.js';
import { catalogue } from '../src/spec/catalogue.js';
import type { Finding, Severity } from '../src/types.js';
import {
  CLIENT_ID,
  FIXED_NOW,
  KEYS,
  PLANTED,
  fixedBatteryRun,
  plantedReport,
  secretsOf,
} from './report-fixtures.js';

const GOLDEN_DIR = 'test/fixtures/reports';
const UPDATE = process.env.SNAPCHECK_UPDATE_GOLDEN === '1';
const DEFAULTS: ViewOptions = { failOn: 'error', showSecrets: false };

const GOLDEN: [ReportFormat, string][] = [
  ['json', 'fixed-run.json'],
  ['junit', 'fixed-run.junit.xml'],
  ['markdown', 'fixed-run.md'],
  ['html', 'fixed-run.html'],
];

const ALL_FORMATS: ReportFormat[] = ['json', 'junit', 'markdown', 'html'];

function renderAll(report: RunReport, options: ViewOptions = DEFAULTS): Record<string, string> {
  const view = buildView(report, options);
  return Object.fromEntries(ALL_FORMATS.map((format) => [format, renderReport(format, view)]));
}

function schemaValidator(): (data: unknown) => string[] {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats.default(ajv);
  const validate = ajv.compile(JSON.parse(readFileSync('spec/report.schema.json', 'utf8')));
  return (data) =>
    validate(data) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

async function junitSuite(xml: string): Promise<TestSuite> {
  const parsed = (await parseJunit(xml)) as { testsuite?: TestSuite[] };
  assert.equal(parsed.testsuite?.length, 1, 'one <testsuite> per run');
  return parsed.testsuite![0]!;
}

function caseNamed(suite: TestSuite, id: string): TestCase {
  const found = suite.testcase?.find((c) => c.name?.startsWith(`${id}: `));
  assert.ok(found, `a testcase for ${id}`);
  return found;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The battery against a closed port: the first case cannot connect, the rest are not run. */
async function unreachableRun(): Promise<RunReport> {
  return runBattery({
    baseUrl: new URL(`http://127.0.0.1:${await closedPort()}`),
    clientId: CLIENT_ID,
    privateKey: readPrivateKeyFile(`${KEYS}/client-pkcs8.pem`).key,
    strangerKey: readPrivateKeyFile(`${KEYS}/weak-1024-pkcs8.pem`).key,
    profile: 'doku',
    clock: () => FIXED_NOW,
  });
}

function finding(severity: Severity, rule = 'response.code.case'): Finding {
  return { rule, severity, location: 'response', message: 'm', hint: 'h' };
}

/** A run with one case holding the given findings. */
function runWith(findings: Finding[], unreachable = false): RunReport {
  const result: CaseResult = {
    id: 'only',
    title: 'the only case',
    because: 'b',
    verdict: findings.some((f) => f.severity === 'error') ? 'fail' : 'pass',
    findings,
    evaluated: findings.map((f) => f.rule),
    durationMs: 1,
  };
  const base = plantedReport();
  return { ...base, unreachable, cases: [result], summary: summarise([result]) };
}

describe('reports', function () {
  this.timeout(30_000);
  let fixed: RunReport;
  let validate: (data: unknown) => string[];

  before(async () => {
    fixed = await fixedBatteryRun();
    validate = schemaValidator();
  });

  describe('golden outputs of the fixed run (regenerate: npm run golden)', () => {
    for (const [format, file] of GOLDEN) {
      it(`renders ${format} exactly as ${GOLDEN_DIR}/${file}`, () => {
        const actual = renderReport(format, buildView(fixed, DEFAULTS));
        const path = `${GOLDEN_DIR}/${file}`;
        if (UPDATE) writeFileSync(path, actual);

        // A new rule or a reworded finding changes the goldens on purpose: regenerate them
        // (test/fixtures/reports/README.md) and read the diff.
        const hint = `${path} differs; if the change is intended: npm run golden`;
        assert.equal(actual, readFileSync(path, 'utf8'), hint);
      });
    }

    it('is the same run every time (two runs render the same bytes)', async () => {
      const again = renderAll(await fixedBatteryRun());

      assert.deepEqual(again, renderAll(fixed));
    });

    it('has passes, errors and warnings to show', () => {
      assert.deepEqual(fixed.summary, {
        cases: 19,
        passed: 15,
        failed: 4,
        skipped: 0,
        inconclusive: 0,
        errors: 8,
        warnings: 4,
        infos: 0,
      });
    });
  });

  describe('JSON', () => {
    it('validates against spec/report.schema.json: fixed, unreachable, planted', async () => {
      for (const report of [fixed, await unreachableRun(), plantedReport()]) {
        const json = JSON.parse(renderReport('json', buildView(report, DEFAULTS))) as unknown;
        assert.deepEqual(validate(json), []);
      }
    });

    it('is refused by the schema when a field is unknown or missing', () => {
      const json = JSON.parse(renderReport('json', buildView(fixed, DEFAULTS))) as ReportView;

      assert.deepEqual(validate({ ...json, extra: true }), [
        ' must NOT have additional properties',
      ]);
      const withoutGate: Partial<ReportView> = { ...json };
      delete withoutGate.gate;
      assert.deepEqual(validate(withoutGate), [" must have required property 'gate'"]);
    });

    it('carries version, spec hashes, clock, gate and redaction', () => {
      const json = JSON.parse(renderReport('json', buildView(fixed, DEFAULTS))) as ReportView;

      assert.equal(json.reportVersion, 1);
      assert.deepEqual(json.tool, { name: 'snapcheck', version: '1.2.3' });
      assert.equal(json.spec.openapiSha256, 'a'.repeat(64));
      assert.equal(json.startedAt, '2026-03-02T03:04:05.000Z');
      assert.deepEqual(json.gate, {
        failOn: 'error',
        passed: false,
        exitCode: 1,
        reasons: ['8 errors'],
      });
      assert.deepEqual(json.redaction, {
        secretsShortened: true,
        form: 'prefix…[N chars]',
        shortened: 14,
        privateKeysRemoved: 0,
      });
    });

    it('gives each finding its evidence: value, expectation, rule and source', () => {
      const json = JSON.parse(renderReport('json', buildView(fixed, DEFAULTS))) as ReportView;
      const stale = json.cases.find((c) => c.id === 'timestamp-stale');

      assert.deepEqual(
        stale?.findings.find((f) => f.rule === 'battery.outcome'),
        {
          rule: 'battery.outcome',
          severity: 'error',
          location: 'response',
          message: 'answered 200 2007300 "Successful"; expected 401 4017300',
          expected: '401 4017300',
          actual: '200 2007300 "Successful"',
          hint:
            'A timestamp outside the freshness window is an authentication failure, 4017300. ' +
            "See the case's accepted answers.",
          ruleTitle: 'The provider answers the case with a status and responseCode the spec allows',
          source: {
            ref: 'snap',
            title: json.sources.snap?.title,
            section: 'Response code list (service 73)',
          },
        },
      );
    });

    it('lists every catalogue rule in the coverage, with what the run made of it', () => {
      const view = buildView(fixed, DEFAULTS);
      const byRule = new Map(view.coverage.map((row) => [row.rule, row]));

      assert.deepEqual(
        view.coverage.map((row) => row.rule),
        catalogue().rules.map((rule) => rule.id),
      );
      assert.deepEqual(byRule.get('response.expires-in.form'), {
        ...byRule.get('response.expires-in.form'),
        status: 'failed',
        evaluatedIn: 4,
        failedIn: ['valid-request', 'valid-wib-offset', 'timestamp-stale', 'timestamp-future'],
        worst: 'error',
      });
      assert.equal(byRule.get('response.code.case')?.status, 'passed');
      assert.equal(byRule.get('request.signature.verifies')?.status, 'not-exercised');
      assert.equal(byRule.get('response.additional-info.form')?.status, 'off');
      assert.equal(byRule.get('response.timestamp.window')?.worst, 'warning');
    });
  });

  describe('JUnit XML', () => {
    it('parses as one suite with one testcase per case, failures naming rules', async () => {
      const suite = await junitSuite(renderReport('junit', buildView(fixed, DEFAULTS)));

      assert.equal(suite.name, 'snapcheck provider battery (doku)');
      assert.deepEqual([suite.tests, suite.failures, suite.errors, suite.skipped], [19, 4, 0, 0]);
      assert.equal(suite.testcase?.length, 19);
      const stale = caseNamed(suite, 'timestamp-stale');
      assert.equal(stale.classname, 'snapcheck.provider.doku');
      assert.deepEqual(
        stale.failure?.map((f) => [f.type, f.message]),
        [
          [
            'response.expires-in.form',
            '3 findings: response.expires-in.form, battery.token-without-proof, battery.outcome',
          ],
        ],
      );
      assert.match(stale.failure?.[0]?.inner ?? '', /hint: A timestamp outside the freshness/);
      assert.match(stale.failure?.[0]?.inner ?? '', /source: SNAP .*, Response code list/);
      assert.equal(caseNamed(suite, 'unknown-client').failure, undefined);
    });

    it('records the run as properties', async () => {
      const suite = await junitSuite(renderReport('junit', buildView(fixed, DEFAULTS)));
      const properties = Object.fromEntries((suite.properties ?? []).map((p) => [p.name, p.value]));

      assert.deepEqual(properties, {
        'snapcheck.version': '1.2.3',
        mode: 'provider',
        target: 'http://127.0.0.1:8080/authorization/v1/access-token/b2b',
        profile: 'doku',
        'openapi.sha256': 'a'.repeat(64),
        'rules.version': 1, // junit2json reads numeric attribute values as numbers
        'rules.sha256': 'b'.repeat(64),
        verdict: 'not-conforming',
        'fail-on': 'error',
        secrets: 'shortened',
      });
    });

    it('fails warning-only cases under --fail-on warning', async () => {
      const view = buildView(fixed, { ...DEFAULTS, failOn: 'warning' });
      const suite = await junitSuite(renderReport('junit', view));

      assert.equal(suite.failures, 4);
      const valid = caseNamed(suite, 'valid-request');
      assert.deepEqual(valid.failure?.[0]?.type, 'response.expires-in.form');
      assert.match(valid.failure?.[0]?.message ?? '', /response\.timestamp\.window/);
    });

    it('marks an unreachable target as an error and the cases not run as skipped', async () => {
      const suite = await junitSuite(
        renderReport('junit', buildView(await unreachableRun(), DEFAULTS)),
      );

      assert.deepEqual([suite.tests, suite.failures, suite.errors, suite.skipped], [19, 0, 1, 18]);
      const first = suite.testcase?.[0];
      assert.equal(first?.error?.[0]?.type, 'transport.connect');
      assert.match(
        first?.error?.[0]?.message ?? '',
        /^no answer: cannot connect to 127\.0\.0\.1:\d+/,
      );
      assert.deepEqual(suite.testcase?.[1]?.skipped, [
        { message: 'skipped: the target is unreachable' },
      ]);
    });

    it('adds a failing testcase for the run itself when it falls short', async () => {
      const view = buildView(runWith([]), {
        ...DEFAULTS,
        shortfalls: ['no token request reached the judge'],
      });
      const suite = await junitSuite(renderReport('junit', view));

      assert.deepEqual([suite.tests, suite.failures], [2, 1]);
      assert.equal(suite.testcase?.[1]?.name, 'run: the run as a whole');
      assert.equal(
        suite.testcase?.[1]?.failure?.[0]?.message,
        'no token request reached the judge',
      );
    });

    it('stays well-formed whatever bytes a peer sent', async () => {
      const report = runWith([
        { ...finding('error'), message: 'nul \u0000 bell \u0007 ]]> <tag> & "q" \'a\' \uFFFF' },
      ]);

      const suite = await junitSuite(renderReport('junit', buildView(report, DEFAULTS)));

      assert.match(
        suite.testcase?.[0]?.failure?.[0]?.inner ?? '',
        /nul \\x00 bell \\x07 ]]> <tag> & "q" 'a' \\uffff/,
      );
    });
  });

  describe('redaction', () => {
    it('keeps the fixed run’s tokens and signatures out of every format', () => {
      const secrets = secretsOf(fixed);
      // 18 requests are signed; 4 answers carry a token. With one clock and one key, several
      // cases send the same signature: 14 distinct values.
      assert.equal(secrets.length, 22);
      assert.equal(new Set(secrets).size, 14);

      for (const [format, text] of Object.entries(renderAll(fixed))) {
        for (const secret of secrets) {
          assert.ok(!text.includes(secret.slice(0, 11)), `${format} holds ${secret.slice(0, 11)}`);
        }
        const shown = `${secrets[0]!.slice(0, 10)}…[${secrets[0]!.length} chars]`;
        if (format !== 'markdown') assert.ok(text.includes(shown), `${format} shows ${shown}`);
      }
    });

    it('keeps planted secrets, keys and passphrases out of every format', () => {
      const outputs = renderAll(plantedReport(), { ...DEFAULTS, neverShow: [PLANTED.passphrase] });
      const leaks = [
        PLANTED.signature.slice(0, 11),
        PLANTED.bearer.slice(0, 11),
        PLANTED.accessToken.slice(0, 11),
        PLANTED.refreshToken.slice(0, 11),
        PLANTED.cutToken.slice(0, 11),
        PLANTED.shortSignature,
        PLANTED.passphrase,
        PLANTED.password,
        PLANTED.privateKeyBody,
        'BEGIN PRIVATE KEY',
      ];

      for (const [format, text] of Object.entries(outputs)) {
        for (const leak of leaks) assert.ok(!text.includes(leak), `${format} holds ${leak}`);
        assert.ok(text.includes(PRIVATE_KEY_REMOVED), `${format} says a key was removed`);
      }
      // The finding that quoted a cut body: the token's head, then the key, both gone.
      const quoted = '"accessToken":"planted-cu…[54 chars] and [private key removed]';
      assert.ok(outputs.markdown!.includes(quoted), 'the cut token is shown at its full length');
      const json = JSON.parse(outputs.json!) as ReportView;
      const [first, second] = json.cases;
      assert.equal(first?.exchange?.request.headers['X-Debug'], `passphrase=${SECRET_REMOVED}`);
      assert.equal(first?.exchange?.request.headers['X-SIGNATURE'], 'Zm9vYmFyYm…[340 chars]');
      const authorization = first?.exchange?.request.headers.Authorization;
      assert.equal(authorization, 'Bearer eyJhbGciOi…[58 chars]');
      assert.equal(second?.exchange?.request.headers['X-SIGNATURE'], '…[4 chars]');
      assert.equal(second?.exchange?.request.body, PRIVATE_KEY_REMOVED);
      assert.equal(json.target, 'http://redacted@127.0.0.1:9/');
    });

    it('keeps planted secrets and keys out of the console report too', () => {
      const text = renderConsole(plantedReport(), false);

      for (const leak of [
        PLANTED.signature.slice(0, 11),
        PLANTED.cutToken.slice(0, 11),
        PLANTED.privateKeyBody,
      ]) {
        assert.ok(!text.includes(leak), `the console shows ${leak}`);
      }
      assert.match(text, /"accessToken":"planted-cu…\[54 chars\] and \[private key removed\]/);
    });

    it('shows tokens and signatures under --show-secrets, but never keys or passphrases', () => {
      const options = { ...DEFAULTS, showSecrets: true, neverShow: [PLANTED.passphrase] };
      const outputs = renderAll(plantedReport(), options);
      const json = JSON.parse(outputs.json!) as ReportView;

      assert.equal(json.redaction.secretsShortened, false);
      assert.equal(json.cases[0]?.exchange?.request.headers['X-SIGNATURE'], PLANTED.signature);
      for (const [format, text] of Object.entries(outputs)) {
        // The Markdown summary shows findings, not exchanges: no token to show there.
        if (format !== 'markdown') {
          assert.ok(text.includes(PLANTED.accessToken), `${format} shows the token`);
        }
        assert.ok(!text.includes(PLANTED.passphrase), `${format} holds the passphrase`);
        assert.ok(!text.includes(PLANTED.privateKeyBody), `${format} holds the key`);
      }
    });

    it('records how much it redacted', () => {
      const json = JSON.parse(
        renderReport('json', buildView(plantedReport(), DEFAULTS)),
      ) as ReportView;

      assert.deepEqual(json.redaction, {
        secretsShortened: true,
        form: 'prefix…[N chars]',
        shortened: 6,
        privateKeysRemoved: 4,
      });
    });
  });

  describe('the gate', () => {
    const table: [string, Finding[], FailOn, boolean, number][] = [
      ['no finding passes', [], 'error', false, ExitCode.conforming],
      ['an error fails', [finding('error')], 'error', false, ExitCode.notConforming],
      ['a warning passes by default', [finding('warning')], 'error', false, ExitCode.conforming],
      [
        'a warning fails on warning',
        [finding('warning')],
        'warning',
        false,
        ExitCode.notConforming,
      ],
      ['a note passes on warning', [finding('info')], 'warning', false, ExitCode.conforming],
      ['an error passes on never', [finding('error')], 'never', false, ExitCode.conforming],
      ['unreachable exits 3 on never', [finding('error')], 'never', true, ExitCode.unreachable],
    ];
    for (const [name, findings, failOn, unreachable, exitCode] of table) {
      it(name, () => {
        assert.equal(decideGate(runWith(findings, unreachable), failOn).exitCode, exitCode);
      });
    }

    it('fails on a shortfall even without findings, and says why', () => {
      const gate = decideGate(runWith([]), 'error', ['the command exited with code 2']);

      assert.deepEqual(gate, {
        failOn: 'error',
        verdict: 'not-conforming',
        passed: false,
        exitCode: ExitCode.notConforming,
        reasons: ['the command exited with code 2'],
      });
    });
  });

  describe('--report FORMAT:PATH', () => {
    const table: [string, ReturnType<typeof parseReportTarget>][] = [
      ['junit:reports/snapcheck.xml', { format: 'junit', path: 'reports/snapcheck.xml' }],
      ['JSON:out.json', { format: 'json', path: 'out.json' }],
      ['md:summary.md', { format: 'markdown', path: 'summary.md' }],
      ['xml:a:b.xml', { format: 'junit', path: 'a:b.xml' }],
      ['html:C:\\audit\\run.html', { format: 'html', path: 'C:\\audit\\run.html' }],
    ];
    for (const [text, target] of table) {
      it(`reads ${text}`, () => assert.deepEqual(parseReportTarget(text), target));
    }

    it('refuses an unknown format, naming the known ones', () => {
      assert.throws(() => parseReportTarget('pdf:out.pdf'), {
        message:
          'unknown report format "pdf" in "pdf:out.pdf": use one of json, junit, markdown, html',
      });
    });

    it('refuses a format without a file', () => {
      assert.throws(() => parseReportTarget('junit'), {
        message: 'no file in "junit": write it as junit:PATH',
      });
    });
  });

  describe('markup', () => {
    it('escapes every XML special and writes control characters visibly', () => {
      assert.equal(escapeXml('<a b="c">&\'\u0001'), '&lt;a b=&quot;c&quot;&gt;&amp;&apos;\\x01');
      assert.equal(printable('ok\ttab\nline\u001b[0m'), 'ok\ttab\nline\\x1b[0m');
    });

    it('keeps Markdown table cells in one cell', () => {
      assert.equal(escapeMarkdownCell('a|b\nc <i>'), 'a\\|b c &lt;i&gt;');
      assert.equal(markdownCode('has `tick`'), '`` has `tick` ``');
      assert.equal(markdownCode('a|b'), '`a|b`');
    });
  });

  describe('console', () => {
    const hostileBody = JSON.stringify({
      responseCode: '\u001b[31m4017300',
      responseMessage: 'Unauthorized.\r\u001b]0;owned\u0007',
    });
    const hostileCase: CaseResult = {
      id: 'request-1',
      title: 'POST /token\u001b[2J from MCH-1\u202eevil',
      because: 'answered 401',
      verdict: 'fail',
      exchange: {
        request: { method: 'POST', path: '/token', headers: {}, body: Buffer.alloc(0) },
        response: { status: 401, headers: {}, body: Buffer.from(hostileBody) },
      },
      findings: [
        {
          rule: 'response.message.documented',
          severity: 'warning',
          location: 'response.body.\u001bx',
          message: 'responseMessage is "Unauthorized.\r\u001b]0;owned\u0007"',
          expected: 'one line\nfake line',
          actual: '\u009b2J',
          hint: 'h',
        },
      ],
      evaluated: [],
      durationMs: 0,
    };

    it("writes a peer's control characters out instead of sending them to the terminal", () => {
      const text = caseBlock(hostileCase);

      assert.equal(
        text,
        [
          '  ✗ request-1                  401 \\u001b[31m4017300 ' +
            'POST /token\\u001b[2J from MCH-1\\u202eevil',
          '      warning response.message.documented  response.body.\\u001bx',
          '              responseMessage is "Unauthorized.\\u000d\\u001b]0;owned\\u0007"',
          '              expected one line\\u000afake line, got \\u009b2J',
          '              hint: h',
        ].join('\n'),
      );
    });

    it('prints nothing a terminal would obey, in any part of the report', () => {
      const report: RunReport = {
        ...plantedReport(),
        target: 'http://127.0.0.1:1/\u001b[2J',
        cases: [hostileCase],
        summary: summarise([hostileCase]),
      };
      const text = renderConsole(report, false);

      // eslint-disable-next-line no-control-regex -- looking for control characters
      assert.deepEqual(text.match(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/g), null);
      assert.match(text, /^target {3}http:\/\/127\.0\.0\.1:1\/\\u001b\[2J$/m);
    });

    it('shortens a responseCode too long to be one', () => {
      const long: CaseResult = {
        ...hostileCase,
        findings: [],
        exchange: {
          ...hostileCase.exchange!,
          response: {
            status: 400,
            headers: {},
            body: Buffer.from(JSON.stringify({ responseCode: 'x'.repeat(500) })),
          },
        },
      };
      assert.match(caseBlock(long), / 400 x{16}… POST/);
    });
  });

  describe('progress', () => {
    function terminal(isTTY: boolean): {
      isTTY: boolean;
      written: string[];
      write(t: string): void;
    } {
      const written: string[] = [];
      return { isTTY, written, write: (text) => void written.push(text) };
    }

    it('prints each case as it completes, and a status line on a terminal after a second', () => {
      let now = 0;
      const printed: string[] = [];
      const term = terminal(true);
      const progress = new Progress((l) => printed.push(l), {
        terminal: term,
        env: {},
        total: 19,
        now: () => now,
        interval: 0,
      });

      progress.caseDone('  ✓ first');
      now = 1500;
      progress.caseDone('  ✓ second');
      progress.finish();

      assert.deepEqual(printed, ['  ✓ first', '  ✓ second']);
      assert.deepEqual(term.written, ['\r\x1b[2K  … 2/19 cases · 1.5 s', '\r\x1b[2K']);
    });

    it('writes no status line and no control character when not a terminal', () => {
      const term = terminal(false);
      const progress = new Progress(() => undefined, { terminal: term, env: {}, now: () => 5000 });

      progress.caseDone('  ✓ first');
      progress.finish();

      assert.equal(progress.live, false);
      assert.deepEqual(term.written, []);
    });

    it('stays quiet on a terminal under CI=true', () => {
      const term = terminal(true);
      const progress = new Progress(() => undefined, {
        terminal: term,
        env: { CI: 'true' },
        now: () => 5000,
      });

      progress.caseDone('  ✓ first');
      progress.finish();

      assert.equal(progress.live, false);
      assert.deepEqual(term.written, []);
    });
  });
});
