/**
 * The reference provider under hostile input: generated requests (fast-check) that no client
 * should send, each of which must still get an answer the spec documents, with the provider
 * serving the next valid request afterwards; and the limits that keep one peer from starving
 * the others. Everything talks to a provider on 127.0.0.1 started here.
 */
import { strict as assert } from 'node:assert';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { connect, type Socket } from 'node:net';

import fc from 'fast-check';

import { judgeResponse } from '../src/engine/response.js';
import { send } from '../src/http/send.js';
import {
  ruleAnswer,
  startProvider,
  type ProviderLimits,
  type RunningProvider,
} from '../src/provider/server.js';
import { signToken } from '../src/signature/asymmetric.js';
import { tokenSpec } from '../src/spec/openapi.js';
import { formatTimestamp } from '../src/timestamp.js';
import type { RecordedRequest } from '../src/types.js';
import { exchangeRaw, parseAnswers, rawRequest, type RawAnswer } from './raw-http.js';

const CLIENT = 'MCH-0008-1296507211683';
const PATH = '/authorization/v1/access-token/b2b';
const NOW = Date.parse('2026-01-15T03:04:05Z');
const GRANT = '{"grantType":"client_credentials"}';

/** Short limits, so that the slow and idle cases end in a second or two. */
const TEST_LIMITS: Partial<ProviderLimits> = {
  headersTimeoutMs: 1_000,
  requestTimeoutMs: 2_000,
  keepAliveTimeoutMs: 1_000,
  // Longer than a slow client's pause between bytes, so the request timeout is what cuts it.
  idleTimeoutMs: 3_000,
};

let clientKey: KeyObject;
let publicKey: KeyObject;
let provider: RunningProvider | undefined;

async function start(limits: Partial<ProviderLimits> = {}): Promise<RunningProvider> {
  provider = await startProvider({
    clients: [{ clientId: CLIENT, publicKeys: [publicKey] }],
    clock: () => NOW,
    limits: { ...TEST_LIMITS, ...limits },
  });
  return provider;
}

/** The four token headers, signed over the provider's fixed clock. */
function signedHeaders(): [string, string][] {
  const timestamp = formatTimestamp(new Date(NOW));
  return [
    ['Content-Type', 'application/json'],
    ['X-TIMESTAMP', timestamp],
    ['X-CLIENT-KEY', CLIENT],
    ['X-SIGNATURE', signToken(clientKey, CLIENT, timestamp)],
  ];
}

function validRequest(): RecordedRequest {
  return {
    method: 'POST',
    path: PATH,
    headers: Object.fromEntries(signedHeaders()),
    body: Buffer.from(GRANT),
  };
}

/** A valid request still gets a token: the provider is up and judging correctly. */
async function assertStillServes(running: RunningProvider): Promise<void> {
  const exchange = await send(new URL(running.url), validRequest(), {
    timeoutMs: 3_000,
    maxResponseBytes: 1 << 16,
  });
  assert.equal(exchange.failure, undefined, exchange.failure?.message);
  const body = JSON.parse(exchange.response!.body.toString('utf8')) as Record<string, unknown>;
  assert.deepEqual([exchange.response!.status, body.responseCode], [200, '2007300']);
}

/** Statuses the spec documents: openapi.yaml's table, and the catalogue's path and method. */
const ANSWERED_BY_RULE = new Map([
  [404, ruleAnswer('request.path').body],
  [405, ruleAnswer('request.method').body],
]);

/**
 * An answer the spec documents: a status from the table (never 5xx: that would be the
 * provider failing), JSON, and a body the check engine finds nothing wrong with.
 */
function assertSnapAnswer(answer: RawAnswer, method: string): void {
  const documented = tokenSpec().responseCodes.has(answer.status);
  assert.ok(answer.status < 500, `the provider failed with ${answer.status}`);
  assert.ok(documented || ANSWERED_BY_RULE.has(answer.status), `status ${answer.status}`);
  assert.equal(answer.headers['content-type'], 'application/json');
  if (method === 'HEAD') return;

  const byRule = ANSWERED_BY_RULE.get(answer.status);
  if (byRule) {
    assert.deepEqual(JSON.parse(answer.body.toString('utf8')), byRule);
    return;
  }
  const judgement = judgeResponse(
    {
      request: { method, path: PATH, headers: {}, body: Buffer.alloc(0) },
      response: { status: answer.status, headers: answer.headers, body: answer.body },
    },
    { profile: 'doku', now: NOW, windowMs: 300_000 },
  );
  assert.deepEqual(
    judgement.findings.map((finding) => `${finding.rule}: ${finding.message}`),
    [],
    answer.body.toString('utf8'),
  );
}

// ---- generated hostile requests ---------------------------------------------------------

const TOKEN_HEADERS = ['Content-Type', 'X-TIMESTAMP', 'X-CLIENT-KEY', 'X-SIGNATURE'];

type Mutation =
  | { kind: 'drop'; name: string }
  | { kind: 'duplicate'; name: string; value: string }
  | { kind: 'huge'; name: string; size: number }
  | { kind: 'control'; name: string; code: number }
  | { kind: 'bytes'; name: string; bytes: Uint8Array }
  | { kind: 'replace'; name: string; value: string }
  | { kind: 'extra'; count: number }
  | { kind: 'bad-name'; name: string }
  | { kind: 'lying-length'; delta: number };

const headerName = fc.constantFrom(...TOKEN_HEADERS, 'Host', 'Expect', 'Accept');

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('drop' as const), name: headerName }),
  fc.record({
    kind: fc.constant('duplicate' as const),
    name: headerName,
    value: fc.oneof(fc.constant(''), fc.string({ maxLength: 40 })),
  }),
  fc.record({
    kind: fc.constant('huge' as const),
    name: headerName,
    size: fc.oneof(fc.integer({ min: 100, max: 2_000 }), fc.integer({ min: 15_000, max: 20_000 })),
  }),
  fc.record({
    kind: fc.constant('control' as const),
    name: headerName,
    code: fc.oneof(fc.integer({ min: 0, max: 31 }), fc.constant(127)),
  }),
  fc.record({
    kind: fc.constant('bytes' as const),
    name: headerName,
    bytes: fc.uint8Array({ minLength: 1, maxLength: 12, min: 0x80, max: 0xff }),
  }),
  fc.record({
    kind: fc.constant('replace' as const),
    name: headerName,
    value: fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.constantFrom('100-continue', 'application/json; charset=utf-8', 'text/plain', '  '),
    ),
  }),
  fc.record({ kind: fc.constant('extra' as const), count: fc.integer({ min: 1, max: 90 }) }),
  fc.record({
    kind: fc.constant('bad-name' as const),
    name: fc.constantFrom('Bad Name', 'X(Y)', 'X-Ä', ':authority', ''),
  }),
  fc.record({
    kind: fc.constant('lying-length' as const),
    delta: fc.integer({ min: -30, max: -1 }),
  }),
);

type Header = [string, string | Buffer];

function withValue(name: string, value: string | Buffer): (header: Header) => Header {
  return (header) => (header[0] === name ? [name, value] : header);
}

/** Applies one mutation to the header list; `lying-length` is applied by the framing. */
function mutate(headers: Header[], change: Mutation): Header[] {
  switch (change.kind) {
    case 'drop':
      return headers.filter(([name]) => name !== change.name);
    case 'duplicate':
      return [...headers, [change.name, change.value]];
    case 'huge':
      return headers.map(withValue(change.name, 'A'.repeat(change.size)));
    case 'control':
      return headers.map(withValue(change.name, `v${String.fromCharCode(change.code)}v`));
    case 'bytes':
      return headers.map(withValue(change.name, Buffer.from(change.bytes)));
    case 'replace':
      return headers.map(withValue(change.name, Buffer.from(change.value, 'utf8')));
    case 'extra': {
      const extra: Header[] = Array.from({ length: change.count }, (_, i) => [`X-Junk-${i}`, 'j']);
      return [...headers, ...extra];
    }
    case 'bad-name':
      return [...headers, [change.name, 'x']];
    case 'lying-length':
      return headers;
  }
}

const nested = (depth: number, open: string, close: string): string =>
  `${open.repeat(depth)}1${close.repeat(depth)}`;

const body: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(Buffer.from(GRANT)) },
  fc.integer({ min: 0, max: GRANT.length - 1 }).map((cut) => Buffer.from(GRANT.slice(0, cut))),
  fc.integer({ min: 1, max: 12_000 }).map((depth) => Buffer.from(nested(depth, '[', ']'))),
  fc.integer({ min: 1, max: 3_000 }).map((depth) => Buffer.from(nested(depth, '{"a":', '}'))),
  fc
    .integer({ min: 1, max: 40_000 })
    .map((size) => Buffer.from(JSON.stringify({ grantType: 'x'.repeat(size) }))),
  fc.jsonValue().map((value) => Buffer.from(JSON.stringify(value) ?? 'null')),
  fc
    .record({ grantType: fc.jsonValue(), additionalInfo: fc.jsonValue() }, { requiredKeys: [] })
    .map((value) => Buffer.from(JSON.stringify(value))),
  fc.uint8Array({ maxLength: 2_000 }).map((bytes) => Buffer.from(bytes)),
  fc
    .uint8Array({ minLength: 1, maxLength: 8, min: 0x80, max: 0xff })
    .map((bytes) =>
      Buffer.concat([Buffer.from('{"grantType":"'), Buffer.from(bytes), Buffer.from('"}')]),
    ),
  fc.constant(Buffer.from('{"grantType":"password","grantType":"client_credentials"}')),
);

const method = fc.oneof(
  { weight: 4, arbitrary: fc.constant('POST') },
  fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE', 'PROPFIND'),
  fc.constantFrom('post', 'P0ST', 'FOO', 'POST ', ''),
);

const path = fc.oneof(
  { weight: 4, arbitrary: fc.constant(PATH) },
  fc.constantFrom('/', '*', `${PATH}?a=1`, `${PATH}/`, '/v1.0/access-token/b2b', `/${PATH}`),
  fc.constantFrom('/%00', '/..%2f..%2fetc', `http://snap-provider.test${PATH}`, '/a b', '/\x7f'),
  fc.webPath(),
  fc.integer({ min: 1_000, max: 20_000 }).map((size) => `/${'p'.repeat(size)}`),
);

interface Hostile {
  method: string;
  path: string;
  mutations: Mutation[];
  body: Buffer;
}

const hostile: fc.Arbitrary<Hostile> = fc.record({
  method,
  path,
  mutations: fc.array(mutation, { maxLength: 4 }),
  body,
});

/** The request as bytes: signed headers, mutated, then framing and `Connection: close`. */
function hostileBytes(request: Hostile, signed: Header[]): Buffer {
  const headers = request.mutations.reduce(mutate, [['Host', 'provider.test'], ...signed]);
  const lie = request.mutations.find((change) => change.kind === 'lying-length');
  const declared = Math.max(
    0,
    request.body.length + (lie?.kind === 'lying-length' ? lie.delta : 0),
  );
  headers.push(['Content-Length', String(declared)], ['Connection', 'close']);
  return rawRequest(request.method, request.path, headers, request.body);
}

/** Fails the property with the request that broke it (fast-check shrinks it first). */
async function answersHostile(running: RunningProvider, request: Hostile, signed: Header[]) {
  const outcome = await exchangeRaw(running.port, hostileBytes(request, signed));
  assert.ok(outcome.closedByServer, 'the provider left the connection hanging');
  // A body shorter than declared is framing the provider cannot answer: the client closed
  // before the request was complete. Anything else gets at least one answer.
  const answers = parseAnswers(outcome.bytes, request.method === 'HEAD');
  assert.ok(answers.length > 0, 'no answer at all');
  for (const answer of answers) assertSnapAnswer(answer, request.method);
  await assertStillServes(running);
}

describe('reference provider under hostile input', function () {
  this.timeout(180_000);

  before(() => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    clientKey = pair.privateKey;
    publicKey = pair.publicKey;
  });

  afterEach(async () => {
    await provider?.close();
    provider = undefined;
  });

  it('answers 1,500 generated hostile requests in SNAP form and keeps serving', async () => {
    const running = await start();
    const signed = signedHeaders();
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(hostile, async (request) => {
        sent += 1;
        await answersHostile(running, request, signed);
      }),
      {
        numRuns: Number(process.env.RUNS ?? 1_500),
        seed: Number(process.env.SEED ?? 20261204),
        endOnFailure: true,
      },
    );
    assert.equal(sent, Number(process.env.RUNS ?? 1_500));
  });

  describe('limits that hold under attack', limitTests);
});

// ---- limits -----------------------------------------------------------------------------

/** The signed token request as bytes, with extra header fields and keep-alive or close. */
function tokenBytes(extra: Header[] = [], connection = 'close'): Buffer {
  const headers: Header[] = [['Host', 'provider.test'], ...signedHeaders(), ...extra];
  headers.push(['Content-Length', String(GRANT.length)], ['Connection', connection]);
  return rawRequest('POST', PATH, headers, Buffer.from(GRANT));
}

/** The one answer on a connection, as status and responseCode. */
async function onlyAnswer(port: number, request: Buffer): Promise<[number, unknown]> {
  const outcome = await exchangeRaw(port, request);
  assert.ok(outcome.closedByServer, 'the provider left the connection open');
  const answers = parseAnswers(outcome.bytes);
  assert.equal(answers.length, 1);
  const body = JSON.parse(answers[0]!.body.toString('utf8')) as Record<string, unknown>;
  return [answers[0]!.status, body.responseCode];
}

/** Opens a connection and resolves once it is up; `closed` resolves when the server ends it. */
function idleConnection(port: number): Promise<{ socket: Socket; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    let received = 0;
    const socket = connect(port, '127.0.0.1');
    const closed = new Promise<number>((done) => socket.on('close', () => done(received)));
    socket.on('data', (chunk: Buffer) => (received += chunk.length));
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve({ socket, closed }));
    socket.once('error', reject);
  });
}

/** Writes `bytes` one byte per `everyMs`; resolves with what came back once the server closes. */
function dribble(port: number, bytes: Buffer, everyMs: number): Promise<[Buffer, number]> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let sent = 0;
    const socket = connect(port, '127.0.0.1');
    const timer = setInterval(() => {
      if (sent < bytes.length && socket.writable) socket.write(bytes.subarray(sent, ++sent));
    }, everyMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      resolve([Buffer.concat(chunks), sent]);
    });
  });
}

function limitTests(): void {
  it('refuses a declared 50 MB body after reading none of it, then serves the next', async () => {
    const running = await start();
    const head = rawRequest('POST', PATH, [
      ['Host', 'provider.test'],
      ...signedHeaders(),
      ['Content-Length', String(50 * 1024 * 1024)],
    ]);
    const request = Buffer.concat([head, Buffer.alloc(64 * 1024, 0x20)]);
    assert.deepEqual(await onlyAnswer(running.port, request), [400, '4007300']);
    await assertStillServes(running);
  });

  it('refuses a chunked body that grows past 16 KiB', async () => {
    const running = await start();
    const chunk = `4000\r\n${' '.repeat(0x4000)}\r\n`;
    const head = rawRequest('POST', PATH, [
      ['Host', 'provider.test'],
      ...signedHeaders(),
      ['Transfer-Encoding', 'chunked'],
    ]);
    const request = Buffer.concat([head, Buffer.from(chunk.repeat(2))]);
    assert.deepEqual(await onlyAnswer(running.port, request), [400, '4007300']);
    await assertStillServes(running);
  });

  it('refuses headers over 16 KiB with 400 4007300', async () => {
    const running = await start();
    const request = tokenBytes([['X-Padding', 'p'.repeat(17 * 1024)]]);
    assert.deepEqual(await onlyAnswer(running.port, request), [400, '4007300']);
    await assertStillServes(running);
  });

  it('takes 64 header fields and refuses 65', async () => {
    const running = await start();
    // Host, the four token headers, Content-Length and Connection: 7 fields before the junk.
    const junk = (count: number): Header[] =>
      Array.from({ length: count }, (_, i) => [`X-Junk-${i}`, 'j']);
    assert.deepEqual(await onlyAnswer(running.port, tokenBytes(junk(57))), [200, '2007300']);
    assert.deepEqual(await onlyAnswer(running.port, tokenBytes(junk(58))), [400, '4007300']);
  });

  it('cuts off a client that sends a byte a second, with 400 4007300', async () => {
    const running = await start();
    const request = tokenBytes();
    const [bytes, sent] = await dribble(running.port, request, 1_000);

    assert.ok(sent < request.length / 10, `sent ${sent} of ${request.length} bytes`);
    const answers = parseAnswers(bytes);
    assert.deepEqual(
      answers.map((answer) => [answer.status, answer.body.toString('utf8')]),
      [[400, '{"responseCode":"4007300","responseMessage":"Bad Request"}']],
    );
    await assertStillServes(running);
  });

  it('refuses connections past the limit and closes idle ones, then serves', async () => {
    const running = await start({ maxConnections: 100, idleTimeoutMs: 1_000 });
    const idle = await Promise.all(Array.from({ length: 100 }, () => idleConnection(running.port)));
    const surplus = await Promise.all(
      Array.from({ length: 20 }, () => idleConnection(running.port)),
    );

    // Both kinds are closed by the provider without a byte: the surplus at once, the idle
    // ones when their inactivity timeout runs out.
    const received = await Promise.all([...surplus, ...idle].map((held) => held.closed));
    assert.deepEqual(received, Array<number>(120).fill(0));
    await assertStillServes(running);
  });

  it('answers CONNECT with 405 4057300 instead of dropping the connection', async () => {
    const running = await start();
    const request = Buffer.from(
      'CONNECT provider.test:443 HTTP/1.1\r\nHost: provider.test\r\n\r\n',
    );
    assert.deepEqual(await onlyAnswer(running.port, request), [405, '4057300']);
    await assertStillServes(running);
  });

  it('judges a request with an unknown expectation instead of answering 417', async () => {
    const running = await start();
    const request = tokenBytes([['Expect', 'something-else']]);
    assert.deepEqual(await onlyAnswer(running.port, request), [200, '2007300']);
  });

  it('answers a request without Host in SNAP form (RFC 9112 §3.2)', async () => {
    const running = await start();
    const request = rawRequest('POST', PATH, [
      ...signedHeaders(),
      ['Content-Length', String(GRANT.length)],
      ['Connection', 'close'],
    ]);
    request.write(GRANT, request.length - GRANT.length);
    assert.deepEqual(await onlyAnswer(running.port, request), [400, '4007300']);
  });

  it('closes after the last answer a connection may have, never answering 503', async () => {
    const running = await start({ maxRequestsPerSocket: 3 });
    const pipelined = Buffer.concat(Array.from({ length: 5 }, () => tokenBytes([], 'keep-alive')));
    const outcome = await exchangeRaw(running.port, pipelined);

    assert.ok(outcome.closedByServer);
    const answers = parseAnswers(outcome.bytes);
    assert.deepEqual(
      answers.map((answer) => [answer.status, answer.headers.connection]),
      [
        [200, 'keep-alive'],
        [200, 'keep-alive'],
        [200, 'close'],
      ],
    );
  });
}
