/**
 * The provider battery against providers that break HTTP itself, not just the SNAP contract:
 * each must end in findings with the right rule ids, within the battery's timeouts, and the
 * command line must exit 1 (not conforming) rather than crash or hang. Every server here is a
 * raw TCP or HTTP server on 127.0.0.x started by the test.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { runBattery, type BatteryReport } from '../src/battery/run.js';
import type { SendOptions } from '../src/http/send.js';
import { formatTimestamp } from '../src/timestamp.js';

const CLIENT_ID = 'MCH-0008-1296507211683';
const CASES = 19;
const AUTH_CASES = [
  'timestamp-stale',
  'timestamp-future',
  'unknown-client',
  'signature-other-key',
  'signature-other-string',
  'signature-not-base64',
];
const QUICK: SendOptions = { timeoutMs: 600, maxResponseBytes: 1 << 20 };

let clientKey: KeyObject;
let strangerKey: KeyObject;
const servers: Server[] = [];

/** Calls `answer` once per complete request on the socket (headers plus declared body). */
function onRequests(socket: Socket, answer: (socket: Socket) => void): void {
  let buffered = Buffer.alloc(0);
  socket.on('error', () => undefined);
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    const end = buffered.indexOf('\r\n\r\n');
    if (end < 0) return;
    const length = /content-length:\s*(\d+)/i.exec(buffered.subarray(0, end).toString('latin1'));
    const total = end + 4 + Number(length?.[1] ?? 0);
    if (buffered.length < total) return;
    buffered = buffered.subarray(total);
    answer(socket);
  });
}

const sockets = new Set<Socket>();

async function listen(server: Server, host = '127.0.0.1'): Promise<URL> {
  servers.push(server);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return new URL(`http://${host}:${(server.address() as AddressInfo).port}`);
}

/** A TCP server that treats every complete request with `answer`. */
function rawProvider(answer: (socket: Socket) => void): Promise<URL> {
  return listen(createServer((socket) => onRequests(socket, answer)));
}

const UNAUTHORIZED = JSON.stringify({
  responseCode: '4017300',
  responseMessage: 'Unauthorized. Signature',
});

function head(status: string, headers: string[]): string {
  return `HTTP/1.1 ${status}\r\n${headers.map((line) => `${line}\r\n`).join('')}\r\n`;
}

function json(status: string, body: Buffer | string, extra: string[] = []): Buffer {
  const bytes = Buffer.from(body);
  const lines = ['Content-Type: application/json', `Content-Length: ${bytes.length}`, ...extra];
  return Buffer.concat([Buffer.from(head(status, lines)), bytes]);
}

/** Writes `bytes` in 1 MiB pieces while the peer reads, until `total` or the peer leaves. */
function flood(socket: Socket, total: number): void {
  const piece = Buffer.alloc(1 << 20, 0x20);
  let written = 0;
  const pump = (): void => {
    while (written < total && !socket.destroyed) {
      written += piece.length;
      if (!socket.write(piece)) return void socket.once('drain', pump);
    }
    socket.end();
  };
  socket.write(head('200 OK', ['Content-Type: application/json', `Content-Length: ${total}`]));
  pump();
}

/** Writes `bytes` one byte per `everyMs`, stopping when the peer leaves. */
function trickle(socket: Socket, bytes: Buffer, everyMs: number): void {
  let sent = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || sent >= bytes.length) return void clearInterval(timer);
    socket.write(bytes.subarray(sent, ++sent));
  }, everyMs);
  socket.on('close', () => clearInterval(timer));
}

/** A server on 127.0.0.2 that only counts the connections it gets (a redirect must get none). */
let elsewhereHits = 0;
async function elsewhere(): Promise<URL> {
  return listen(
    createServer((socket) => {
      elsewhereHits += 1;
      socket.destroy();
    }),
    '127.0.0.2',
  );
}

interface Hostile {
  name: string;
  start: () => Promise<URL>;
  /** Case id → the sorted rule ids of its error findings; clean cases left out. */
  failed: (report: BatteryReport) => void;
}

/** Case id → sorted error rule ids. */
function errorRules(report: BatteryReport): Record<string, string[]> {
  const broken: Record<string, string[]> = {};
  for (const result of report.cases) {
    const rules = result.findings.filter((f) => f.severity === 'error').map((f) => f.rule);
    if (rules.length > 0) broken[result.id] = [...new Set(rules)].sort();
  }
  return broken;
}

/** The first two cases fail with `rule`; the battery gives up and skips the other 17. */
function gaveUpWith(rule: string): (report: BatteryReport) => void {
  return (report) => {
    const ids = report.cases.map((result) => result.id);
    assert.deepEqual(errorRules(report), { [ids[0]!]: [rule], [ids[1]!]: [rule] });
    assert.deepEqual(report.summary.skipped, CASES - 2);
  };
}

/**
 * Cases that carry the battery's credentials (BatteryCase.needsCredentials) and expect no 401:
 * once the valid request is refused with 401, a 401 to them is inconclusive, not a failure.
 */
const NEED_CREDENTIALS = [
  'valid-wib-offset',
  'missing-content-type',
  'timestamp-without-offset',
  'timestamp-not-iso',
  'grant-type-wrong',
  'grant-type-missing',
  'grant-type-snake-case',
  'body-malformed-json',
  'content-type-wrong',
];

/**
 * Every case fails with `rules`, plus battery.outcome where the answer is not the case's. A
 * provider that answers 401 to all (`all401`) passes the authentication cases, and leaves the
 * cases that need credentials inconclusive: its refusal of the valid request explains them.
 */
function everyCase(rules: string[], all401: boolean): (report: BatteryReport) => void {
  return (report) => {
    const broken = errorRules(report);
    for (const result of report.cases) {
      const explained = all401 && [...AUTH_CASES, ...NEED_CREDENTIALS].includes(result.id);
      const expected = [...rules, ...(explained ? [] : ['battery.outcome'])].sort();
      assert.deepEqual(broken[result.id] ?? [], expected, result.id);
    }
    const count = (verdict: string): number =>
      report.cases.filter((result) => result.verdict === verdict).length;
    const unexplained = CASES - AUTH_CASES.length - NEED_CREDENTIALS.length;
    const failing = rules.length > 0 || !all401 ? CASES : unexplained;
    const inconclusive = all401 && rules.length === 0 ? NEED_CREDENTIALS.length : 0;
    assert.deepEqual([count('fail'), count('inconclusive')], [failing, inconclusive]);
  };
}

const hostiles: Hostile[] = [
  {
    name: 'resets every connection',
    start: () => rawProvider((socket) => socket.resetAndDestroy()),
    failed: gaveUpWith('transport.reset'),
  },
  {
    name: 'answers HTTP/1.0 with no length, closing to end the body',
    start: () =>
      rawProvider((socket) => {
        socket.end(
          `HTTP/1.0 401 Unauthorized\r\nContent-Type: application/json\r\n\r\n${UNAUTHORIZED}`,
        );
      }),
    // The body is read to the close and judged: only the answer itself is wrong.
    failed: everyCase([], true),
  },
  {
    name: 'sends a 50 MB body',
    start: () => rawProvider((socket) => flood(socket, 50 * 1024 * 1024)),
    failed: gaveUpWith('transport.body-size'),
  },
  {
    name: 'sends invalid UTF-8',
    start: () =>
      rawProvider((socket) => {
        const body = Buffer.concat([
          Buffer.from('{"responseCode":"4017300","responseMessage":"Unauthorized. '),
          Buffer.from([0xff, 0xfe, 0xc3]),
          Buffer.from('"}'),
        ]);
        socket.write(json('401 Unauthorized', body));
      }),
    // responseCode is still legible, so the auth cases' outcome stands; the body's encoding fails.
    failed: everyCase(['response.body.json'], true),
  },
  {
    name: 'sends JSON with a repeated name',
    start: () =>
      rawProvider((socket) => {
        const body = `{"responseCode":"2007300",${UNAUTHORIZED.slice(1)}`;
        socket.write(json('401 Unauthorized', body));
      }),
    failed: everyCase(['response.body.unique-names'], true),
  },
  {
    name: 'never answers',
    start: () => rawProvider(() => undefined),
    failed: gaveUpWith('transport.timeout'),
  },
  {
    name: 'redirects to itself',
    start: async () => {
      const server = createHttpServer((request, response) => {
        response.writeHead(302, { Location: request.url ?? '/' });
        response.end();
      });
      return listen(server);
    },
    failed: everyCase(
      ['response.body.json', 'response.content-type', 'response.status.documented'],
      false,
    ),
  },
  {
    name: 'redirects to another host (127.0.0.2), which it must not follow',
    start: async () => {
      const target = await elsewhere();
      const server = createHttpServer((request, response) => {
        response.writeHead(307, { Location: new URL(request.url ?? '/', target).toString() });
        response.end();
      });
      return listen(server);
    },
    failed: (report) => {
      everyCase(
        ['response.body.json', 'response.content-type', 'response.status.documented'],
        false,
      )(report);
      assert.equal(elsewhereHits, 0);
    },
  },
  {
    name: 'answers 200 with a token to everything',
    start: () =>
      rawProvider((socket) => {
        const token = JSON.stringify({
          responseCode: '2007300',
          responseMessage: 'Successful',
          accessToken: 'the-same-token-for-everyone-0123456789',
          tokenType: 'Bearer',
          expiresIn: 900,
          additionalInfo: '',
        });
        const stamp = `X-TIMESTAMP: ${formatTimestamp(new Date())}`;
        socket.write(json('200 OK', token, [stamp, `X-CLIENT-KEY: ${CLIENT_ID}`]));
      }),
    failed: (report) => {
      const broken = errorRules(report);
      const valid = ['valid-request', 'valid-wib-offset'];
      // Requests that prove nothing about the client: a token there is a security finding too.
      const unproven = /^(missing-x-|timestamp-(without|not|stale|future)|unknown|signature)/;
      for (const result of report.cases) {
        const expected = valid.includes(result.id)
          ? []
          : unproven.test(result.id)
            ? ['battery.outcome', 'battery.token-without-proof']
            : ['battery.outcome'];
        assert.deepEqual(broken[result.id] ?? [], expected, result.id);
      }
      assert.equal(report.notices?.length, 1);
      assert.match(
        report.notices?.[0] ?? '',
        /^SECURITY: the provider issued tokens to 11 request\(s\) that do not prove/,
      );
    },
  },
  {
    name: 'answers one byte at a time, slowly',
    start: () =>
      rawProvider((socket) => trickle(socket, json('401 Unauthorized', UNAUTHORIZED), 20)),
    failed: gaveUpWith('transport.timeout'),
  },
];

/** Runs the CLI against `url` as a user would; resolves with its exit code (killed at 30 s). */
function cli(url: URL, keyFile: string): Promise<number | null> {
  const args = ['--import', 'tsx', 'src/cli/main.ts', 'provider', url.toString()];
  args.push(
    '--client-id',
    CLIENT_ID,
    '--private-key',
    keyFile,
    '--timeout',
    String(QUICK.timeoutMs),
  );
  const child = spawn(process.execPath, args, {
    stdio: 'ignore',
    env: { ...process.env, CI: 'true' },
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) => {
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve(code);
    });
  });
}

describe('provider battery against hostile providers', function () {
  this.timeout(60_000);
  let scratch: string;
  let keyFile: string;

  before(() => {
    clientKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    strangerKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    scratch = mkdtempSync(join(tmpdir(), 'snapcheck-hostile-'));
    keyFile = join(scratch, 'client.pem');
    writeFileSync(keyFile, clientKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  });

  afterEach(async () => {
    for (const socket of sockets) socket.destroy();
    await Promise.all(
      servers
        .splice(0)
        .map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
    );
  });

  after(() => rmSync(scratch, { recursive: true, force: true }));

  for (const hostile of hostiles) {
    it(`names what is wrong with a provider that ${hostile.name}`, async () => {
      const url = await hostile.start();
      const report = await runBattery({
        baseUrl: url,
        clientId: CLIENT_ID,
        privateKey: clientKey,
        strangerKey,
        profile: 'doku',
        send: QUICK,
      });

      hostile.failed(report);
      assert.equal(report.unreachable, false);
      assert.equal(report.cases.length, CASES);
    });
  }

  it('exits 1 from the command line against each of them, never crashing or hanging', async () => {
    const codes: Record<string, number | null> = {};
    for (const hostile of hostiles) {
      codes[hostile.name] = await cli(await hostile.start(), keyFile);
    }
    assert.deepEqual(codes, Object.fromEntries(hostiles.map((hostile) => [hostile.name, 1])));
  });
});
