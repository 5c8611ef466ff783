import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';

import { parse } from 'yaml';

import { judgeRequest } from '../src/engine/request.js';
import { judgeResponse } from '../src/engine/response.js';
import { readPublicKeyFile } from '../src/signature/keys.js';
import { parseTimestamp } from '../src/timestamp.js';
import type { Exchange, Finding, Profile, RecordedRequest } from '../src/types.js';

interface MessageFixture {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

const page = parse(readFileSync('test/fixtures/page/examples.yaml', 'utf8')) as {
  clock: string;
  request: { method: string; path: string; headers: Record<string, string>; body: string };
  success: MessageFixture;
  errors: Record<string, MessageFixture>;
};
const clock = (parseTimestamp(page.clock) as { epochMs: number }).epochMs;
const fixtureKey = readPublicKeyFile('test/fixtures/keys/client-public-spki.pem').key;

const pageRequest: RecordedRequest = {
  ...page.request,
  body: Buffer.from(page.request.body),
};

function exchangeWith(response: MessageFixture, request = pageRequest): Exchange {
  const body = typeof response.body === 'string' ? response.body : JSON.stringify(response.body);
  return {
    request,
    response: { status: response.status, headers: response.headers, body: Buffer.from(body) },
  };
}

function ruleIds(findings: Finding[]): string[] {
  return findings.map((finding) => `${finding.severity} ${finding.rule} @${finding.location}`);
}

function judgeAs(profile: Profile, exchange: Exchange): string[] {
  return ruleIds(judgeResponse(exchange, { profile, now: clock, windowMs: 300_000 }).findings);
}

describe('check engine on the provider page examples', () => {
  describe('the 200 example', () => {
    const table: [Profile, string[]][] = [
      ['doku', []],
      [
        'snap',
        [
          'error response.expires-in.form @response.body.expiresIn',
          'error response.additional-info.form @response.body.additionalInfo',
        ],
      ],
    ];
    for (const [profile, want] of table) {
      it(`gives exactly ${want.length} findings under ${profile}`, () => {
        assert.deepEqual(judgeAs(profile, exchangeWith(page.success)), want);
      });
    }

    it('marks the profile rules as evaluated even when they pass', () => {
      const judgement = judgeResponse(exchangeWith(page.success), {
        profile: 'doku',
        now: clock,
        windowMs: 300_000,
      });
      for (const id of [
        'response.code.http-prefix',
        'response.expires-in.form',
        'response.token-type',
      ]) {
        assert.ok(judgement.evaluated.includes(id), id);
      }
      assert.ok(!judgement.evaluated.includes('response.additional-info.form'));
    });
  });

  describe('the error examples', () => {
    for (const [name, fixture] of Object.entries(page.errors)) {
      for (const profile of ['doku', 'snap'] as Profile[]) {
        it(`passes the ${name} example under ${profile}`, () => {
          assert.deepEqual(judgeAs(profile, exchangeWith(fixture)), []);
        });
      }
    }
  });

  describe('the request example', () => {
    const clients = (id: string) => (id === 'MCH-0008-1296507211683' ? [fixtureKey] : undefined);
    const table: [Profile, string[]][] = [
      [
        'doku',
        [
          'error request.header.format @request.header.X-SIGNATURE',
          'info request.timestamp.utc @request.header.X-TIMESTAMP',
          // The page's request (14:18:39) is 8 min 11 s older than its own answer (14:26:50).
          'error request.timestamp.window @request.header.X-TIMESTAMP',
        ],
      ],
      [
        'snap',
        [
          'error request.header.format @request.header.X-SIGNATURE',
          'info request.timestamp.fraction @request.header.X-TIMESTAMP',
          // The page's request (14:18:39) is 8 min 11 s older than its own answer (14:26:50).
          'error request.timestamp.window @request.header.X-TIMESTAMP',
        ],
      ],
    ];
    for (const [profile, want] of table) {
      it(`flags the page's truncated signature and stale timestamp under ${profile}`, () => {
        const judgement = judgeRequest(pageRequest, {
          profile,
          now: clock,
          windowMs: 300_000,
          path: '/authorization/v1/access-token/b2b',
          clients,
        });
        assert.deepEqual(ruleIds(judgement.findings), want);
        assert.equal(judgement.clientId, 'MCH-0008-1296507211683');
      });
    }
  });
});

describe('check engine on wrong answers', () => {
  const ok = page.success;
  const body = ok.body as Record<string, unknown>;
  const table: [string, MessageFixture, Profile, string[]][] = [
    [
      'expiresIn "900" under doku',
      { ...ok, body: { ...body, expiresIn: '900' } },
      'doku',
      ['error response.expires-in.form @response.body.expiresIn'],
    ],
    [
      '401 carrying 4007300',
      {
        status: 401,
        headers: ok.headers,
        body: { responseCode: '4007300', responseMessage: 'Bad Request' },
      },
      'doku',
      ['error response.code.http-prefix @response.body.responseCode'],
    ],
    [
      '5047300 sent with HTTP 408',
      {
        status: 408,
        headers: ok.headers,
        body: { responseCode: '5047300', responseMessage: 'Timeout' },
      },
      'doku',
      [
        'error response.status.documented @response.status',
        'error response.code.http-prefix @response.body.responseCode',
      ],
    ],
    [
      'service code 24 and an undocumented case code',
      { status: 401, headers: ok.headers, body: { responseCode: '4012401', responseMessage: 'x' } },
      'doku',
      ['error response.code.service @response.body.responseCode'],
    ],
    [
      'case code 09 under 400',
      { status: 400, headers: ok.headers, body: { responseCode: '4007309', responseMessage: 'x' } },
      'snap',
      ['error response.code.case @response.body.responseCode'],
    ],
    [
      'tokenType in lower case and expiresIn 3600',
      { ...ok, body: { ...body, tokenType: 'bearer', expiresIn: 3600 } },
      'doku',
      [
        'error response.token-type @response.body.tokenType',
        'warning response.expires-in.value @response.body.expiresIn',
      ],
    ],
    [
      'no response headers at all',
      { status: 200, headers: {}, body },
      'doku',
      [
        'error response.content-type @response.header.Content-Type',
        'error response.header.required @response.header.X-TIMESTAMP',
        'error response.header.required @response.header.X-CLIENT-KEY',
      ],
    ],
    [
      'an HTML error page',
      { status: 500, headers: { 'content-type': 'text/html' }, body: '<html><h1>502</h1></html>' },
      'doku',
      [
        'error response.content-type @response.header.Content-Type',
        'error response.body.json @response.body',
      ],
    ],
    [
      'accessToken missing, responseMessage reworded',
      {
        ...ok,
        body: {
          responseCode: '2007300',
          responseMessage: 'OK',
          tokenType: 'Bearer',
          expiresIn: 900,
        },
      },
      'doku',
      [
        'error response.body.required @response.body.accessToken',
        'warning response.message.documented @response.body.responseMessage',
      ],
    ],
    [
      'expiresIn a boolean',
      { ...ok, body: { ...body, expiresIn: true } },
      'snap',
      [
        'error response.body.format @response.body.expiresIn',
        'error response.expires-in.form @response.body.expiresIn',
        'error response.additional-info.form @response.body.additionalInfo',
      ],
    ],
    [
      'header names in lower case are the same headers',
      {
        ...ok,
        headers: {
          'content-type': 'application/json',
          'x-client-key': 'MCH-0008-1296507211683',
          'x-timestamp': '2022-10-07T07:26:50Z',
        },
      },
      'doku',
      [],
    ],
    [
      'the provider clock 10 minutes off',
      { ...ok, headers: { ...ok.headers, 'X-TIMESTAMP': '2022-10-07T14:36:51+07:00' } },
      'doku',
      ['warning response.timestamp.window @response.header.X-TIMESTAMP'],
    ],
  ];

  for (const [name, response, profile, want] of table) {
    it(`${name} (${profile})`, () => {
      assert.deepEqual(judgeAs(profile, exchangeWith(response)), want);
    });
  }

  it('redacts the access token in a finding about it', () => {
    const token = 'x'.repeat(3000);
    const findings = judgeResponse(exchangeWith({ ...ok, body: { ...body, accessToken: token } }), {
      profile: 'doku',
      now: clock,
      windowMs: 300_000,
    }).findings;
    assert.equal(findings.length, 1);
    assert.equal(findings[0]?.rule, 'response.body.format');
    assert.equal(findings[0]?.actual, 'xxxxxxxxxx…[3000 chars]');
  });

  describe('quotes a body that is not JSON without the token in it', () => {
    const token = 'q8Zr2VxW7nKf3LmP0aBcDeFgHiJkLmNoPqRsTuVwXyZ012345-_AbCdEfGhIjKlMn';
    const hex = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
    const table: [string, string, string][] = [
      [
        'a plain-text error naming the token',
        `Unauthorized ${token} is not valid`,
        `"Unauthorized q8Zr2VxW7n…[${token.length} chars] is not valid"`,
      ],
      [
        'a token answer cut short',
        `{"responseCode":"2007300","accessToken":"${token.slice(0, 40)}`,
        '"{\\"responseCode\\":\\"2007300\\",\\"accessToken\\":\\"q8Zr2VxW7n…[40 chars]"',
      ],
      ['a hex token', `token=${hex}`, '"token=9f86…[70 chars]"'],
      [
        'an HTML page, left readable',
        '<html><body><h1>500 Internal Server Error</h1></body></html>',
        '"<html><body><h1>500 Internal Server Error</h1></body></html>"',
      ],
      [
        'a path, left readable',
        'Cannot POST /authorization/v1/access-token/b2b',
        '"Cannot POST /authorization/v1/access-token/b2b"',
      ],
    ];

    for (const [name, text, actual] of table) {
      it(name, () => {
        const findings = judgeResponse(exchangeWith({ ...ok, body: text }), {
          profile: 'doku',
          now: clock,
          windowMs: 300_000,
        }).findings.filter((f) => f.rule === 'response.body.json');

        assert.deepEqual(
          findings.map((f) => f.actual),
          [actual],
        );
        assert.ok(!JSON.stringify(findings).includes(token.slice(0, 11)));
      });
    }

    it('in a request body too (the client judge)', () => {
      const secret = 'Zx81Qw72Er63Ty54Ui45Op36';
      const judgement = judgeRequest(
        { ...pageRequest, body: Buffer.from(`grant_type=client_credentials&secret=${secret}`) },
        {
          profile: 'doku',
          now: clock,
          windowMs: 300_000,
          path: page.request.path,
          clients: () => [fixtureKey],
        },
      );
      const finding = judgement.findings.find((f) => f.rule === 'request.body.json');
      assert.equal(finding?.actual, '"grant_type=client_credentials&secret=Zx8…[31 chars]"');
    });
  });

  it('turns a transport failure into its rule', () => {
    const findings = judgeResponse(
      { request: pageRequest, failure: { kind: 'timeout', message: 'no answer in 5000 ms' } },
      { profile: 'doku', now: clock, windowMs: 300_000 },
    ).findings;
    assert.deepEqual(ruleIds(findings), ['error transport.timeout @transport']);
  });
});
