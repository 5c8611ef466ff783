import { strict as assert } from 'node:assert';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer } from 'node:net';

import nock from 'nock';

import {
  NonConformingAnswerError,
  SnapTokenError,
  TokenTransportError,
} from '../src/client/errors.js';
import { createTokenClient, type TokenClientOptions } from '../src/client/token-client.js';
import { verifyToken } from '../src/signature/asymmetric.js';

const BASE = 'http://snap-provider.test';
const PATH = '/authorization/v1/access-token/b2b';
const CLIENT_ID = 'MCH-0008-1296507211683';
const START = Date.parse('2026-01-15T03:04:05Z');
const TOKEN = 'tok_0123456789abcdefghijklmnopqrstuvwxyz';

let privateKey: KeyObject;
let publicKey: KeyObject;
let now = START;

before(() => {
  ({ privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 }));
});

beforeEach(() => {
  now = START;
});

function client(options: Partial<TokenClientOptions> = {}) {
  return createTokenClient({
    baseUrl: BASE,
    clientId: CLIENT_ID,
    privateKey,
    clock: () => now,
    timeoutMs: 1000,
    ...options,
  });
}

function tokenBody(expiresIn: number | string, accessToken = TOKEN): Record<string, unknown> {
  return {
    responseCode: '2007300',
    responseMessage: 'Successful',
    accessToken,
    tokenType: 'Bearer',
    expiresIn,
    additionalInfo: {},
  };
}

/** The headers of a conforming 200 answer, stamped by the test's clock. */
function tokenHeaders(): Record<string, string> {
  return {
    'Content-Type': 'application/json',
    'X-TIMESTAMP': new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    'X-CLIENT-KEY': CLIENT_ID,
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('expected the promise to reject');
}

describe('token client against nock', () => {
  describe('accepts both documented forms of expiresIn', () => {
    // The doku profile judges the string form, and the client keeps that verdict on the token
    // as a tolerated finding instead of refusing the token.
    const table: [string, number | string, string[]][] = [
      ['the number 900 (DOKU)', 900, []],
      ['the string "900" (SNAP)', '900', ['response.expires-in.form']],
    ];
    for (const [name, expiresIn, tolerated] of table) {
      it(name, async () => {
        nock(BASE).post(PATH).reply(200, tokenBody(expiresIn), tokenHeaders());

        const { findings, ...token } = await client().getToken();

        assert.deepEqual(
          findings.map((f) => f.rule),
          tolerated,
        );
        assert.deepEqual(token, {
          accessToken: TOKEN,
          tokenType: 'Bearer',
          expiresInSeconds: 900,
          obtainedAt: START,
          expiresAt: START + 900_000,
          responseCode: '2007300',
          responseMessage: 'Successful',
          additionalInfo: {},
        });
      });
    }
  });

  it('sends the four headers and the body, signed over clientId|timestamp', async () => {
    let seen: { headers: Record<string, string>; body: unknown } | undefined;
    nock(BASE)
      .post(PATH)
      .reply(function (_uri, body) {
        seen = { headers: this.req.headers as Record<string, string>, body };
        return [200, tokenBody(900), tokenHeaders()];
      });

    await client().getToken();

    assert.ok(seen);
    assert.equal(seen.headers['content-type'], 'application/json');
    assert.equal(seen.headers['x-timestamp'], '2026-01-15T03:04:05Z');
    assert.equal(seen.headers['x-client-key'], CLIENT_ID);
    assert.equal(
      verifyToken(publicKey, CLIENT_ID, '2026-01-15T03:04:05Z', seen.headers['x-signature']!),
      true,
    );
    assert.deepEqual(seen.body, { grantType: 'client_credentials' });
  });

  it('writes X-TIMESTAMP in the configured form', async () => {
    let stamp: string | undefined;
    nock(BASE)
      .post(PATH)
      .reply(function () {
        stamp = this.req.headers['x-timestamp'] as string;
        return [200, tokenBody(900), tokenHeaders()];
      });

    await client({ timestamp: { offsetMinutes: 420, milliseconds: true } }).getToken();

    assert.equal(stamp, '2026-01-15T10:04:05.000+07:00');
  });

  it('posts to the provider path it is given', async () => {
    nock(BASE).post('/v1.0/access-token/b2b').reply(200, tokenBody('900'), tokenHeaders());

    const token = await client({ path: '/v1.0/access-token/b2b' }).getToken();

    assert.equal(token.accessToken, TOKEN);
  });

  describe('turns each SNAP error body into a SnapTokenError', () => {
    const table: [number, string, string][] = [
      [400, '4007300', 'Bad Request'],
      [400, '4007301', 'Invalid Field Format [X-TIMESTAMP]'],
      [400, '4007302', 'Invalid Mandatory Field [X-SIGNATURE]'],
      [401, '4017300', 'Unauthorized. Unknown Client'],
      [401, '4017300', 'Unauthorized. Signature'],
      [401, '4017301', 'Invalid Token (B2B)'],
      [409, '4097300', 'Conflict'],
      [429, '4297300', 'Too Many Requests'],
      [500, '5007300', 'General Error'],
      [500, '5007301', 'Internal Server Error'],
      [504, '5047300', 'Timeout'],
    ];
    for (const [status, responseCode, responseMessage] of table) {
      it(`${status} ${responseCode} ${responseMessage}`, async () => {
        nock(BASE)
          .post(PATH)
          .reply(status, { responseCode, responseMessage }, { 'Content-Type': 'application/json' });

        const error = await rejection(client().getToken());

        assert.ok(error instanceof SnapTokenError);
        assert.equal(error.code, 'ERR_SNAP_ERROR');
        assert.deepEqual(
          [error.status, error.responseCode, error.responseMessage, error.findings],
          [status, responseCode, responseMessage, []],
        );
        assert.equal(
          error.message,
          `token refused: HTTP ${status} ${responseCode} ${responseMessage}`,
        );
      });
    }
  });

  it('keeps the inconsistency of a 401 carrying 4007302 as a finding', async () => {
    nock(BASE)
      .post(PATH)
      .reply(
        401,
        { responseCode: '4007302', responseMessage: 'Invalid Mandatory Field [X-SIGNATURE]' },
        { 'Content-Type': 'application/json' },
      );

    const error = await rejection(client().getToken());

    assert.ok(error instanceof SnapTokenError);
    assert.deepEqual(
      error.findings.map((f) => [f.rule, f.location, f.expected, f.actual]),
      [['response.code.http-prefix', 'response.body.responseCode', '401xxxxx', '4007302']],
    );
  });

  it('reports a 500 HTML page as a non-conforming answer', async () => {
    nock(BASE).post(PATH).reply(500, '<html><body><h1>502 Bad Gateway</h1></body></html>', {
      'Content-Type': 'text/html',
    });

    const error = await rejection(client().getToken());

    assert.ok(error instanceof NonConformingAnswerError);
    assert.equal(error.code, 'ERR_NON_CONFORMING');
    assert.equal(error.status, 500);
    assert.deepEqual(
      error.findings.map((f) => [f.rule, f.location, f.message]),
      [
        [
          'response.content-type',
          'response.header.Content-Type',
          'the answer is not declared as JSON',
        ],
        ['response.body.json', 'response.body', 'the body is an HTML page, not a SNAP JSON body'],
      ],
    );
  });

  describe('refuses a 200 that breaks the spec, naming the rule and field', () => {
    const table: [string, Record<string, unknown>, [string, string]][] = [
      [
        'no accessToken',
        { ...tokenBody(900), accessToken: undefined },
        ['response.body.required', 'response.body.accessToken'],
      ],
      [
        'tokenType in lower case',
        { ...tokenBody(900), tokenType: 'bearer' },
        ['response.token-type', 'response.body.tokenType'],
      ],
      [
        'expiresIn that is not a number of seconds',
        tokenBody('15 minutes'),
        ['response.body.format', 'response.body.expiresIn'],
      ],
    ];
    for (const [name, body, [rule, location]] of table) {
      it(name, async () => {
        nock(BASE).post(PATH).reply(200, body, tokenHeaders());

        const error = await rejection(client().getToken());

        assert.ok(error instanceof NonConformingAnswerError);
        assert.deepEqual(
          error.findings.map((f) => [f.rule, f.location]),
          [[rule, location]],
        );
      });
    }
  });

  it('keeps a lifetime other than 900 as a warning on the token', async () => {
    nock(BASE).post(PATH).reply(200, tokenBody(3600), tokenHeaders());

    const token = await client().getToken();

    assert.equal(token.expiresAt, START + 3_600_000);
    assert.deepEqual(
      token.findings.map((f) => [f.rule, f.severity, f.actual]),
      [['response.expires-in.value', 'warning', '3600']],
    );
  });

  it('reports a connection reset as a transport error', async () => {
    nock(BASE)
      .post(PATH)
      .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));

    const error = await rejection(client().getToken());

    assert.ok(error instanceof TokenTransportError);
    assert.deepEqual([error.code, error.kind], ['ERR_TRANSPORT', 'reset']);
    assert.equal(
      error.message,
      'token request failed (reset): the connection failed before a complete answer: ECONNRESET',
    );
  });

  it('reports a refused connection as a connect failure', async () => {
    const port = await closedPort();

    const error = await rejection(client({ baseUrl: `http://127.0.0.1:${port}` }).getToken());

    assert.ok(error instanceof TokenTransportError);
    assert.equal(error.kind, 'connect');
    assert.equal(
      error.message,
      `token request failed (connect): cannot connect to http://127.0.0.1:${port}: ECONNREFUSED`,
    );
  });

  it('gives up on a provider that hangs past the timeout', async () => {
    nock(BASE).post(PATH).delay(2_000).reply(200, tokenBody(900), tokenHeaders());
    const started = performance.now();

    const error = await rejection(client({ timeoutMs: 150 }).getToken());

    const elapsed = performance.now() - started;
    assert.ok(error instanceof TokenTransportError);
    assert.deepEqual(
      [error.kind, error.message],
      ['timeout', 'token request failed (timeout): no complete answer within 150 ms'],
    );
    assert.ok(elapsed >= 140 && elapsed < 1_000, `gave up after ${Math.round(elapsed)} ms`);
  });

  it('refuses an answer larger than the limit', async () => {
    nock(BASE).post(PATH).reply(200, 'x'.repeat(5_000), tokenHeaders());

    const error = await rejection(client({ maxResponseBytes: 1_024 }).getToken());

    assert.ok(error instanceof TokenTransportError);
    assert.deepEqual(
      [error.kind, error.message],
      [
        'body-size',
        'token request failed (body-size): the answer exceeded 1024 bytes and was cut off',
      ],
    );
  });

  describe('caching', () => {
    it('serves the cached token until the refresh margin', async () => {
      const scope = nock(BASE)
        .post(PATH)
        .reply(200, tokenBody(900, 'first-token-0000000000'), tokenHeaders())
        .post(PATH)
        .reply(200, tokenBody(900, 'second-token-000000000'), tokenHeaders());
      const tokens = client({ refreshMarginMs: 60_000 });

      const first = await tokens.getToken();
      now = START + 839_999; // 1 ms before expiry minus the margin
      const cached = await tokens.getToken();
      now = START + 840_000;
      const refreshed = await tokens.getToken();

      assert.deepEqual(
        [first.accessToken, cached.accessToken, refreshed.accessToken],
        ['first-token-0000000000', 'first-token-0000000000', 'second-token-000000000'],
      );
      assert.equal(scope.isDone(), true);
    });

    it('refreshes a token near expiry once for many concurrent callers', async () => {
      let requests = 0;
      nock(BASE)
        .post(PATH)
        .times(2)
        .delay(20)
        .reply(() => {
          requests += 1;
          return [200, tokenBody(900, `token-number-${requests}-0000000`), tokenHeaders()];
        });
      const tokens = client({ refreshMarginMs: 30_000 });
      await tokens.getToken();
      now = START + 880_000; // 20 s before expiry: inside the 30 s margin

      const answers = await Promise.all(Array.from({ length: 10 }, () => tokens.getToken()));

      assert.equal(requests, 2);
      assert.deepEqual(
        new Set(answers.map((t) => t.accessToken)),
        new Set(['token-number-2-0000000']),
      );
      assert.equal(answers[0]!.expiresAt, START + 880_000 + 900_000);
    });

    it('caps the margin at half the lifetime of a short-lived token', async () => {
      const scope = nock(BASE).post(PATH).times(2).reply(200, tokenBody(60), tokenHeaders());
      const tokens = client({ refreshMarginMs: 120_000 });

      await tokens.getToken();
      now = START + 29_999;
      await tokens.getToken();
      assert.equal(scope.pendingMocks().length, 1);
      now = START + 30_000;
      await tokens.getToken();

      assert.equal(scope.isDone(), true);
    });

    it('does not cache a failure: the next call asks again', async () => {
      nock(BASE)
        .post(PATH)
        .reply(503, '<html>Service Unavailable</html>', { 'Content-Type': 'text/html' })
        .post(PATH)
        .reply(200, tokenBody(900), tokenHeaders());
      const tokens = client();

      const error = await rejection(tokens.getToken());
      const token = await tokens.getToken();

      assert.ok(error instanceof NonConformingAnswerError);
      assert.equal(token.accessToken, TOKEN);
    });

    it('asks anew after invalidate()', async () => {
      const scope = nock(BASE).post(PATH).times(2).reply(200, tokenBody(900), tokenHeaders());
      const tokens = client();

      await tokens.getToken();
      tokens.invalidate();
      await tokens.getToken();

      assert.equal(scope.isDone(), true);
    });
  });
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
