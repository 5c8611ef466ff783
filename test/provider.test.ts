import { strict as assert } from 'node:assert';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { connect } from 'node:net';

import { send } from '../src/http/send.js';
import { startProvider, type RunningProvider } from '../src/provider/server.js';
import { signToken } from '../src/signature/asymmetric.js';
import { formatTimestamp } from '../src/timestamp.js';
import type { Profile, RecordedRequest } from '../src/types.js';

const CLIENT = 'MCH-0008-1296507211683';
const PATH = '/authorization/v1/access-token/b2b';
const NOW = Date.parse('2026-01-15T03:04:05Z');

let clientKey: KeyObject;
let rotatedKey: KeyObject;
let publicKeys: KeyObject[];

before(() => {
  const first = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const second = generateKeyPairSync('rsa', { modulusLength: 2048 });
  clientKey = first.privateKey;
  rotatedKey = second.privateKey;
  publicKeys = [first.publicKey, second.publicKey];
});

interface Parts {
  method?: string;
  path?: string;
  timestamp?: string;
  headers?: Record<string, string | undefined>;
  body?: string;
  key?: KeyObject;
  /** Sign over this timestamp instead of the one sent. */
  signedTimestamp?: string;
}

function signedRequest(parts: Parts = {}): RecordedRequest {
  const timestamp = parts.timestamp ?? formatTimestamp(new Date(NOW));
  const headers: Record<string, string | undefined> = {
    'Content-Type': 'application/json',
    'X-TIMESTAMP': timestamp,
    'X-CLIENT-KEY': CLIENT,
    'X-SIGNATURE': signToken(parts.key ?? clientKey, CLIENT, parts.signedTimestamp ?? timestamp),
    ...parts.headers,
  };
  return {
    method: parts.method ?? 'POST',
    path: parts.path ?? PATH,
    headers,
    body: Buffer.from(parts.body ?? '{"grantType":"client_credentials"}'),
  };
}

let provider: RunningProvider | undefined;

async function start(profile: Profile = 'doku', onExchange?: () => void): Promise<URL> {
  provider = await startProvider({
    clients: [{ clientId: CLIENT, publicKeys }],
    profile,
    clock: () => NOW,
    ...(onExchange ? { onExchange } : {}),
  });
  return new URL(provider.url);
}

afterEach(async () => {
  await provider?.close();
  provider = undefined;
});

async function answer(url: URL, request: RecordedRequest) {
  const exchange = await send(url, request, { timeoutMs: 3000, maxResponseBytes: 1 << 16 });
  assert.ok(exchange.response, exchange.failure?.message);
  return {
    status: exchange.response.status,
    headers: exchange.response.headers,
    body: JSON.parse(exchange.response.body.toString('utf8')) as Record<string, unknown>,
  };
}

describe('reference provider', () => {
  describe('answers each failure with the catalogue answer', () => {
    const table: [string, Parts, [number, string, string]][] = [
      ['wrong method', { method: 'PUT' }, [405, '4057300', 'Method Not Allowed']],
      ['wrong path', { path: '/v1.0/access-token/b2b' }, [404, '4047300', 'Not Found']],
      [
        'missing X-SIGNATURE',
        { headers: { 'X-SIGNATURE': undefined } },
        [400, '4007302', 'Invalid Mandatory Field [X-SIGNATURE]'],
      ],
      [
        'missing Content-Type',
        { headers: { 'Content-Type': undefined } },
        [400, '4007302', 'Invalid Mandatory Field [Content-Type]'],
      ],
      [
        'timestamp without offset',
        { timestamp: '2026-01-15T03:04:05' },
        [400, '4007301', 'Invalid Field Format [X-TIMESTAMP]'],
      ],
      [
        'timestamp on February 30',
        { timestamp: '2026-02-30T03:04:05Z' },
        [400, '4007301', 'Invalid Field Format [X-TIMESTAMP]'],
      ],
      [
        'unknown client',
        { headers: { 'X-CLIENT-KEY': 'MCH-9999' } },
        [401, '4017300', 'Unauthorized. Unknown Client'],
      ],
      [
        'timestamp six minutes old',
        { timestamp: formatTimestamp(new Date(NOW - 6 * 60_000)) },
        [401, '4017300', 'Unauthorized. Timestamp'],
      ],
      [
        'signature over another timestamp',
        { signedTimestamp: '2026-01-15T03:04:06Z' },
        [401, '4017300', 'Unauthorized. Signature'],
      ],
      ['malformed JSON', { body: '{"grantType":' }, [400, '4007300', 'Bad Request']],
      ['JSON array body', { body: '[]' }, [400, '4007300', 'Bad Request']],
      [
        'grantType missing',
        { body: '{"grant_type":"client_credentials"}' },
        [400, '4007302', 'Invalid Mandatory Field [grantType]'],
      ],
      [
        'grantType wrong',
        { body: '{"grantType":"password"}' },
        [400, '4007301', 'Invalid Field Format [grantType]'],
      ],
      [
        'additionalInfo a string',
        { body: '{"grantType":"client_credentials","additionalInfo":"x"}' },
        [400, '4007301', 'Invalid Field Format [additionalInfo]'],
      ],
      [
        'missing header reported before a bad signature',
        { headers: { 'X-SIGNATURE': 'AAAA', 'Content-Type': undefined } },
        [400, '4007302', 'Invalid Mandatory Field [Content-Type]'],
      ],
    ];

    for (const [name, parts, [status, code, message]] of table) {
      it(`${name} → ${status} ${code}`, async () => {
        const url = await start();
        const got = await answer(url, signedRequest(parts));
        assert.deepEqual(
          [got.status, got.body.responseCode, got.body.responseMessage],
          [status, code, message],
        );
      });
    }
  });

  describe('issues tokens', () => {
    const styles: [Profile, unknown, unknown, string][] = [
      ['doku', 900, '', '2026-01-15T10:04:05+07:00'],
      ['snap', '900', {}, '2026-01-15T03:04:05Z'],
    ];
    for (const [profile, expiresIn, additionalInfo, stamp] of styles) {
      it(`in the ${profile} style`, async () => {
        const url = await start(profile);
        const got = await answer(url, signedRequest());
        assert.equal(got.status, 200);
        assert.deepEqual(
          { ...got.body, accessToken: typeof got.body.accessToken },
          {
            responseCode: '2007300',
            responseMessage: 'Successful',
            accessToken: 'string',
            tokenType: 'Bearer',
            expiresIn,
            additionalInfo,
          },
        );
        assert.equal(got.headers['x-client-key'], CLIENT);
        assert.equal(got.headers['x-timestamp'], stamp);
      });
    }

    it('accepts a signature by any of the keys registered for the client', async () => {
      const url = await start();
      const first = await answer(url, signedRequest());
      const second = await answer(url, signedRequest({ key: rotatedKey }));
      assert.deepEqual([first.status, second.status], [200, 200]);
      assert.notEqual(first.body.accessToken, second.body.accessToken);
      assert.match(String(first.body.accessToken), /^[A-Za-z0-9_-]{64}$/);
    });

    it('accepts a charset suffix on Content-Type', async () => {
      const url = await start();
      const got = await answer(
        url,
        signedRequest({ headers: { 'Content-Type': 'application/json; charset=utf-8' } }),
      );
      assert.equal(got.status, 200);
    });
  });

  describe('stays up under bad input', () => {
    it('refuses a body over 16 KiB and answers the next request', async () => {
      const url = await start();
      const huge = JSON.stringify({ grantType: 'client_credentials', pad: 'x'.repeat(20_000) });
      const refused = await answer(url, signedRequest({ body: huge }));
      assert.deepEqual([refused.status, refused.body.responseCode], [400, '4007300']);
      const next = await answer(url, signedRequest());
      assert.equal(next.status, 200);
    });

    it('answers an unparseable request line with a SNAP 400 body', async () => {
      const url = await start();
      const raw = await new Promise<string>((resolve, reject) => {
        const socket = connect(Number(url.port), '127.0.0.1', () => {
          socket.write('THIS IS NOT HTTP\r\n\r\n');
        });
        let text = '';
        socket.on('data', (chunk) => (text += chunk.toString('utf8')));
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      });
      assert.match(raw, /^HTTP\/1\.1 400 Bad Request\r\n/);
      assert.ok(raw.endsWith('{"responseCode":"4007300","responseMessage":"Bad Request"}'));
    });

    it('tells the listener about its own failure, as the 500 that was sent', async () => {
      const heard: [number | undefined, string[]][] = [];
      provider = await startProvider({
        clients: [{ clientId: CLIENT, publicKeys }],
        clock: () => NOW,
        onExchange: (exchange, judgement) => {
          heard.push([exchange.response?.status, judgement.findings.map((f) => f.message)]);
          if (heard.length === 1) throw new Error('listener broke');
        },
      });
      await answer(new URL(provider.url), signedRequest());

      assert.deepEqual(heard, [
        [200, []],
        [
          500,
          ['snapcheck failed while answering this request (listener broke); it was not judged'],
        ],
      ]);
    });

    it('tells the listener about a request cut off by its time limit', async () => {
      const heard: string[] = [];
      provider = await startProvider({
        clients: [{ clientId: CLIENT, publicKeys }],
        clock: () => NOW,
        limits: { headersTimeoutMs: 300, requestTimeoutMs: 600 },
        onExchange: (exchange, judgement) => {
          const rules = judgement.findings.map((f) => f.rule).join(',');
          heard.push(`${exchange.response?.status} ${rules}: ${judgement.findings[0]?.message}`);
        },
      });
      const raw = await new Promise<string>((resolve, reject) => {
        const socket = connect(provider!.port, '127.0.0.1', () => {
          socket.write(`POST ${PATH} HTTP/1.1\r\nHost: x\r\n`);
        });
        let text = '';
        socket.on('data', (chunk) => (text += chunk.toString('utf8')));
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      });

      assert.match(raw, /^HTTP\/1\.1 400 Bad Request\r\n/);
      assert.deepEqual(heard, [
        '400 request.message.timeout: the request was not complete in time ' +
          '(headers within 0.3 s, all of it within 0.6 s)',
      ]);
    });

    it('turns its own failure into 500 5007300 and keeps serving', async () => {
      let calls = 0;
      const url = await start('doku', () => {
        calls += 1;
        if (calls === 1) throw new Error('listener broke');
      });
      const broken = await answer(url, signedRequest());
      assert.deepEqual(
        [broken.status, broken.body.responseCode, broken.body.responseMessage],
        [500, '5007300', 'General Error'],
      );
      const next = await answer(url, signedRequest());
      assert.equal(next.status, 200);
    });
  });
});
