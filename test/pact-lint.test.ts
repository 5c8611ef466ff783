import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { lintPactCommand } from '../src/cli/pact-commands.js';
import { SnapcheckError } from '../src/errors.js';
import { lintPacts } from '../src/pact/lint.js';
import { parsePact } from '../src/pact/pact-file.js';
import type { Profile } from '../src/types.js';

const FIXTURES = 'test/fixtures/pacts';

/** [rule, severity, location] of every finding that is not an info note. */
function verdicts(file: string, profile: Profile = 'doku'): [string, string, string][] {
  const report = lintPacts([file], { profile });
  return report.cases.flatMap((c) =>
    c.findings
      .filter((finding) => finding.severity !== 'info')
      .map((f): [string, string, string] => [f.rule, f.severity, f.location]),
  );
}

describe('lint-pact: pact files against openapi.yaml', () => {
  describe('finds what wrong pacts get wrong', () => {
    const table: [string, string, Profile, [string, string, string][]][] = [
      [
        'expiresIn as a string under the doku profile (V2)',
        'v2-expires-in-string.json',
        'doku',
        [['response.expires-in.form', 'error', 'response.body.expiresIn']],
      ],
      [
        'a 401 carrying 4007302 (V3)',
        'v3-401-with-4007302.json',
        'doku',
        [
          ['response.code.http-prefix', 'error', 'response.body.responseCode'],
          ['pact.interaction.answer', 'error', 'response.body.responseCode'],
        ],
      ],
      [
        'a token for a request without X-SIGNATURE (V4)',
        'v4-missing-signature.json',
        'doku',
        [
          ['request.header.required', 'error', 'request.header.X-SIGNATURE'],
          ['pact.interaction.answer', 'error', 'response.status'],
        ],
      ],
      [
        'grant_type in the body (V3)',
        'v3-grant-type-snake-case.json',
        'doku',
        [
          ['request.body.required', 'error', 'request.body.grantType'],
          ['request.body.unknown-field', 'warning', 'request.body.grant_type'],
          ['pact.interaction.answer', 'error', 'response.status'],
        ],
      ],
      [
        'a matcher that accepts timestamps without offset (V4)',
        'v4-timestamp-matcher-without-offset.json',
        'doku',
        [['pact.matcher.loose', 'error', 'request.header.X-TIMESTAMP']],
      ],
      [
        'an example its own matcher refuses (V2)',
        'v2-example-breaks-matcher.json',
        'doku',
        [['pact.matcher.example', 'error', 'request.header.X-SIGNATURE']],
      ],
      ['nothing in a conforming V2 pact', 'v2-conforming.json', 'doku', []],
      [
        'a number expiresIn under the snap profile',
        'v2-conforming.json',
        'snap',
        [['response.expires-in.form', 'error', 'response.body.expiresIn']],
      ],
    ];
    for (const [name, file, profile, expected] of table) {
      it(name, () => {
        assert.deepEqual(verdicts(join(FIXTURES, file), profile), expected);
      });
    }
  });

  it('names the loose matcher and the values it lets through', () => {
    const report = lintPacts([join(FIXTURES, 'v4-timestamp-matcher-without-offset.json')], {
      profile: 'doku',
    });
    const finding = report.cases[0]!.findings[0]!;

    assert.equal(
      finding.message,
      'matcher regex ^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}.*$ accepts what openapi.yaml ' +
        'refuses: no offset, an offset without a colon',
    );
    assert.equal(finding.actual, '"2022-10-07T14:18:39", "2022-10-07T14:18:39+0700"');
  });

  it('lists interactions for other endpoints as skipped', () => {
    const report = lintPacts([join(FIXTURES, 'v4-timestamp-matcher-without-offset.json')], {
      profile: 'doku',
    });

    assert.deepEqual(
      report.cases.map((c) => [c.id, c.verdict, c.because]),
      [
        ['doku-token#1', 'fail', 'no provider state'],
        [
          'doku-token#2',
          'skipped',
          'skipped: GET /orders/v1/status/INV-1 is not the token endpoint ' +
            '(/authorization/v1/access-token/b2b)',
        ],
      ],
    );
  });

  it('passes the committed contracts, noting what negative interactions break on purpose', () => {
    const report = lintPacts(contractFiles(), { profile: 'doku' });

    assert.deepEqual(report.summary, {
      cases: 10,
      passed: 10,
      failed: 0,
      skipped: 0,
      inconclusive: 0,
      errors: 0,
      warnings: 0,
      infos: 8,
    });
    const given =
      'given client MCH-0008-1296507211683 is registered with the public key that signs the ' +
      'request · the request deliberately breaks ';
    const badFormat = `${given}request.header.format at request.header.X-TIMESTAMP`;
    const missing = `${given}request.header.required at request.header.X-SIGNATURE`;
    assert.deepEqual(
      report.cases.filter((c) => c.because.includes('deliberately')).map((c) => c.because),
      [badFormat, missing, badFormat, missing],
    );
  });

  describe('reads the three pact formats alike', () => {
    const table: [string, number][] = [
      ['v2-conforming.json', 2],
      ['v3-grant-type-snake-case.json', 3],
      ['v4-missing-signature.json', 4],
    ];
    for (const [file, version] of table) {
      it(`specification ${version}`, () => {
        const path = join(FIXTURES, file);
        const pact = parsePact(readFileSync(path, 'utf8'), path);
        const first = pact.interactions[0]!;

        assert.deepEqual(
          [pact.specification, pact.consumer, first.method, first.path, first.status],
          [version, 'merchant-app', 'POST', '/authorization/v1/access-token/b2b', 200],
        );
        assert.equal(first.request.headers['Content-Type'], 'application/json');
      });
    }
  });

  describe('as a command', () => {
    let folder: string;
    beforeEach(() => {
      folder = mkdtempSync(join(tmpdir(), 'snapcheck-lint-'));
    });
    afterEach(() => rmSync(folder, { recursive: true, force: true }));

    function run(paths: string[], json?: string): { code: number; out: string[] } {
      const out: string[] = [];
      const code = lintPactCommand(
        paths,
        { profile: 'doku', ...(json ? { json } : {}) },
        { out: (line) => out.push(line), err: (line) => out.push(line) },
      );
      return { code, out };
    }

    it('exits 0 for conforming pacts and 1 for a wrong one', () => {
      assert.equal(run(['contracts']).code, 0);
      assert.equal(run([join(FIXTURES, 'v4-missing-signature.json')]).code, 1);
    });

    it('writes findings per interaction with rule ids to the JSON report', () => {
      const json = join(folder, 'lint.json');
      run([join(FIXTURES, 'v3-401-with-4007302.json')], json);
      const report = JSON.parse(readFileSync(json, 'utf8')) as {
        mode: string;
        cases: { id: string; findings: { rule: string }[] }[];
      };

      assert.deepEqual([report.mode, report.cases[0]!.id], ['pact-lint', 'doku-token#1']);
      assert.deepEqual(
        report.cases[0]!.findings.map((f) => f.rule),
        ['response.code.http-prefix', 'pact.interaction.answer'],
      );
    });

    describe('refuses what is not a pact file with a usage error', () => {
      const table: [string, string, string][] = [
        ['not JSON', '{ interactions: ', 'is not JSON, so not a pact file'],
        ['no interactions', '{"consumer": {"name": "x"}}', 'has no "interactions" list'],
      ];
      for (const [name, content, message] of table) {
        it(name, () => {
          const file = join(folder, 'bad.json');
          writeFileSync(file, content);

          assert.throws(
            () => run([file]),
            (error: unknown) =>
              error instanceof SnapcheckError &&
              error.exitCode === 2 &&
              error.message === `${file} ${message}${name === 'not JSON' ? '' : ': not a pact'}`,
          );
        });
      }
    });
  });
});

function contractFiles(): string[] {
  return [
    'contracts/snapcheck-token-client-snap-b2b-token-doku.json',
    'contracts/snapcheck-token-client-snap-b2b-token-snap.json',
  ];
}
