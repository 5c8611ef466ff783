/**
 * Transport failures named for what they are. Certificate and scheme problems are
 * configuration (kind `tls`: the battery stops and the run is unreachable, exit 3); an answer
 * that is not HTTP is `protocol`; a connection dropped by a plain-HTTP server stays `reset`.
 * Certificates are made at test time with openssl, for 127.0.0.1 only, and every server here
 * listens on 127.0.0.1.
 */
import { strict as assert } from 'node:assert';
import { execFile, execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

import { runBattery } from '../src/battery/run.js';
import { ExitCode } from '../src/errors.js';
import { send } from '../src/http/send.js';
import { providerHandler } from '../src/provider/server.js';
import { decideGate } from '../src/report/gate.js';
import { renderJson } from '../src/report/json.js';
import { buildView, type ExchangeView } from '../src/report/view.js';
import type { Exchange, RecordedRequest } from '../src/types.js';

const CLIENT_ID = 'MCH-0008-1296507211683';
const PATH = '/authorization/v1/access-token/b2b';
const QUICK = { timeoutMs: 3_000, maxResponseBytes: 1 << 16 };

interface Pem {
  key: string;
  cert: string;
  certFile: string;
}

/** A key and a certificate from openssl: self-signed, for `san`, valid from now for `days`. */
function certificate(folder: string, name: string, san: string, days: number): Pem {
  const key = join(folder, `${name}-key.pem`);
  const csr = join(folder, `${name}.csr`);
  const cert = join(folder, `${name}.pem`);
  const extensions = join(folder, `${name}.ext`);
  writeFileSync(extensions, `subjectAltName=${san}\n`);
  const quiet = { stdio: 'ignore' } as const;
  execFileSync(
    'openssl',
    [
      'req',
      '-new',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      csr,
      '-subj',
      `/CN=snapcheck test ${name}`,
    ],
    quiet,
  );
  // -days -1 puts notAfter a day before notBefore: a certificate that has expired.
  execFileSync(
    'openssl',
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-signkey',
      key,
      '-out',
      cert,
      '-days',
      String(days),
      '-extfile',
      extensions,
    ],
    quiet,
  );
  return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8'), certFile: cert };
}

function opensslMissing(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return false;
  } catch {
    return true;
  }
}

const servers: Server[] = [];
const sockets = new Set<Socket>();

async function listen(server: Server, scheme: 'http' | 'https'): Promise<URL> {
  servers.push(server);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('secureConnection', (socket: Socket) => socket.on('error', () => undefined));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return new URL(`${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`);
}

/** A TCP server that answers the first bytes of each connection with `reply`. */
function rawServer(reply: (socket: Socket) => void): Server {
  return createServer((socket) => {
    socket.on('error', () => undefined);
    socket.once('data', () => reply(socket));
  });
}

function tokenRequest(): RecordedRequest {
  return {
    method: 'POST',
    path: PATH,
    headers: { 'Content-Type': 'application/json' },
    body: Buffer.from('{"grantType":"client_credentials"}'),
  };
}

const TLS_ALERT = Buffer.from([0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46]);
const NGINX_PAGE =
  '<html><head><title>400 The plain HTTP request was sent to HTTPS port</title></head></html>';

describe('transport failures', function () {
  this.timeout(30_000);
  let folder: string;
  let selfSigned: Pem;
  let otherName: Pem;
  let expired: Pem;

  before(function () {
    if (opensslMissing()) {
      console.log('      (skipped: openssl is not installed)');
      this.skip();
    }
    folder = mkdtempSync(join(tmpdir(), 'snapcheck-tls-'));
    selfSigned = certificate(folder, 'self-signed', 'IP:127.0.0.1', 1);
    otherName = certificate(folder, 'other-name', 'DNS:other.test', 1);
    expired = certificate(folder, 'expired', 'IP:127.0.0.1', -1);
  });

  after(() => {
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  afterEach(async () => {
    for (const socket of sockets) socket.destroy();
    await Promise.all(
      servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))),
    );
  });

  function tokenAnswer(_request: IncomingMessage, response: ServerResponse): void {
    response.writeHead(200, { 'Content-Type': 'application/json' });
    response.end('{}');
  }

  function httpsServer(pem: () => Pem): Server {
    const { key, cert } = pem();
    return createHttpsServer({ key, cert }, tokenAnswer);
  }

  const table: [string, () => Promise<URL>, Exchange['failure'] & object][] = [
    [
      'a self-signed certificate',
      () =>
        listen(
          httpsServer(() => selfSigned),
          'https',
        ),
      {
        kind: 'tls',
        message:
          'the certificate of 127.0.0.1:PORT is not trusted (DEPTH_ZERO_SELF_SIGNED_CERT: ' +
          'self-signed certificate): it is self-signed or issued by a private CA. To trust ' +
          'that CA, run with NODE_EXTRA_CA_CERTS=/path/to/ca.pem',
      },
    ],
    [
      'https:// to a plain-HTTP port',
      () => listen(createHttpServer(tokenAnswer), 'https'),
      {
        kind: 'tls',
        message:
          '127.0.0.1:PORT speaks plain HTTP on this port, but the URL says https://: ' +
          'use http://127.0.0.1:PORT',
      },
    ],
    [
      'http:// to a TLS port that drops the request (Node)',
      () =>
        listen(
          httpsServer(() => selfSigned),
          'http',
        ),
      {
        kind: 'tls',
        message:
          '127.0.0.1:PORT speaks TLS on this port, but the URL says http://: ' +
          'use https://127.0.0.1:PORT',
      },
    ],
    [
      'http:// to a TLS port that answers with a TLS alert',
      () =>
        listen(
          rawServer((socket) => socket.end(TLS_ALERT)),
          'http',
        ),
      {
        kind: 'tls',
        message:
          '127.0.0.1:PORT speaks TLS on this port, but the URL says http://: ' +
          'use https://127.0.0.1:PORT',
      },
    ],
    [
      'http:// to a TLS port that answers 400 in plain HTTP (nginx)',
      () =>
        listen(
          rawServer((socket) =>
            socket.end(
              'HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\n' +
                `Content-Length: ${NGINX_PAGE.length}\r\n\r\n${NGINX_PAGE}`,
            ),
          ),
          'http',
        ),
      {
        kind: 'tls',
        message:
          '127.0.0.1:PORT speaks TLS on this port, but the URL says http://: ' +
          'use https://127.0.0.1:PORT',
      },
    ],
    [
      'an answer that is not HTTP',
      () =>
        listen(
          rawServer((socket) => socket.end('HTTP/1.1 200 OK\r\nBad Header\r\n\r\n')),
          'http',
        ),
      {
        kind: 'protocol',
        message:
          'the answer is not valid HTTP ' +
          '(HPE_INVALID_HEADER_TOKEN: Parse Error: Invalid header token)',
      },
    ],
    [
      'a plain-HTTP server that drops the connection',
      () =>
        listen(
          rawServer((socket) => socket.destroy()),
          'http',
        ),
      {
        kind: 'reset',
        message: 'the connection failed before a complete answer: ECONNRESET',
      },
    ],
  ];

  for (const [name, start, expected] of table) {
    it(`names ${name}: ${expected.kind}`, async () => {
      const base = await start();
      const exchange = await send(base, tokenRequest(), QUICK);

      assert.deepEqual(exchange.failure, {
        kind: expected.kind,
        message: expected.message.replaceAll('PORT', base.port),
      });
    });
  }

  it('keeps the 400 page of a TLS port as evidence', async () => {
    const base = await listen(
      rawServer((socket) =>
        socket.end(
          `HTTP/1.1 400 Bad Request\r\nContent-Length: ${NGINX_PAGE.length}\r\n\r\n${NGINX_PAGE}`,
        ),
      ),
      'http',
    );
    const exchange = await send(base, tokenRequest(), QUICK);
    assert.equal(exchange.response?.status, 400);
    assert.equal(exchange.response?.body.toString('utf8'), NGINX_PAGE);
  });

  it('names a certificate for another host or expired; trusts NODE_EXTRA_CA_CERTS', async () => {
    const bases = {
      trusted: await listen(
        httpsServer(() => selfSigned),
        'https',
      ),
      otherName: await listen(
        httpsServer(() => otherName),
        'https',
      ),
      expired: await listen(
        httpsServer(() => expired),
        'https',
      ),
    };
    const bundle = join(folder, 'bundle.pem');
    writeFileSync(bundle, [selfSigned.cert, otherName.cert, expired.cert].join(''));
    const script = [
      "import { send } from './src/http/send.ts';",
      'const bases = JSON.parse(process.env.BASES);',
      'const request = { method: "POST", path: "/", headers: {}, body: Buffer.from("{}") };',
      'const out = {};',
      'for (const [name, base] of Object.entries(bases)) {',
      '  const exchange = await send(new URL(base), request);',
      '  out[name] = exchange.failure ?? { status: exchange.response.status };',
      '}',
      'console.log(JSON.stringify(out));',
    ].join('\n');
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', script],
        {
          env: { ...process.env, NODE_EXTRA_CA_CERTS: bundle, BASES: JSON.stringify(bases) },
          timeout: 20_000,
        },
        (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)),
      );
    });

    const port = (name: keyof typeof bases): string => bases[name].port;
    assert.deepEqual(JSON.parse(stdout), {
      trusted: { status: 200 },
      otherName: {
        kind: 'tls',
        message:
          'the certificate is not issued for 127.0.0.1 (ERR_TLS_CERT_ALTNAME_INVALID: ' +
          "Hostname/IP does not match certificate's altnames: IP: 127.0.0.1 is not in the " +
          "cert's list: ): use the host name the certificate names in the URL",
      },
      expired: {
        kind: 'tls',
        message:
          `the certificate of 127.0.0.1:${port('expired')} is outside its validity dates ` +
          "(CERT_HAS_EXPIRED: certificate has expired): check this machine's clock, or have " +
          'the provider renew the certificate',
      },
    });
  });

  describe('in the battery: a configuration problem, not a verdict', () => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const provider = providerHandler({
      clients: [{ clientId: CLIENT_ID, publicKeys: [pair.publicKey] }],
    });

    const runs: [string, 'http' | 'https'][] = [
      ['an untrusted certificate', 'https'],
      ['http:// to the TLS port', 'http'],
    ];
    for (const [name, scheme] of runs) {
      it(`stops at the first case and exits 3 for ${name}`, async () => {
        const server = createHttpsServer({ key: selfSigned.key, cert: selfSigned.cert }, provider);
        const base = await listen(server, scheme);
        const report = await runBattery({
          baseUrl: base,
          clientId: CLIENT_ID,
          privateKey: pair.privateKey,
          strangerKey: pair.privateKey,
          profile: 'doku',
          send: QUICK,
        });

        assert.equal(report.unreachable, true);
        assert.deepEqual(
          report.cases.map((c) => [c.verdict, c.findings.map((f) => f.rule)]),
          [['fail', ['transport.tls']], ...Array(18).fill(['skipped', []])],
        );
        assert.equal(report.cases[1]?.because, 'skipped: the target is unreachable');
        const gate = decideGate(report, 'error');
        assert.deepEqual([gate.verdict, gate.exitCode], ['unreachable', ExitCode.unreachable]);

        const view = buildView(report, { failOn: 'error', showSecrets: false });
        const json = JSON.parse(renderJson(view)) as { cases: { exchange?: ExchangeView }[] };
        const schema = JSON.parse(readFileSync('spec/report.schema.json', 'utf8')) as object;
        const ajv = new Ajv2020({ strict: true, allErrors: true });
        addFormats.default(ajv);
        const validate = ajv.compile(schema);
        assert.ok(validate(json), JSON.stringify(validate.errors));
        assert.equal(json.cases[0]?.exchange?.failure?.kind, 'tls');
      });
    }
  });
});
