// A server under load, in its own process so that its peak RSS is its own and it gets a core of
// its own beside the load generator. Plain JavaScript over the compiled dist/, so no TypeScript
// loader sits in the measured process. `reference`: the reference provider with full checking;
// `bare`: the limit, node:http answering a fixed 200 and doing nothing else.
// Prints `listening <port>` once ready; exits on SIGTERM (which also writes a --cpu-prof).
import { createPublicKey } from 'node:crypto';
import { createServer } from 'node:http';

import { startProvider } from '../dist/provider/server.js';

/** The size and shape of a token answer, so both servers write a similar amount. */
const FIXED_ANSWER = JSON.stringify({
  responseCode: '2007300',
  responseMessage: 'Successful',
  accessToken: 'x'.repeat(64),
  tokenType: 'Bearer',
  expiresIn: 900,
  additionalInfo: '',
});

async function startBare() {
  const server = createServer((_request, response) => {
    response.writeHead(200, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(FIXED_ANSWER),
    });
    response.end(FIXED_ANSWER);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server.address().port;
}

async function startReference() {
  const clientId = process.env.BENCH_CLIENT_ID;
  const publicKeyPem = process.env.BENCH_PUBLIC_KEY;
  if (!clientId || !publicKeyPem) throw new Error('BENCH_CLIENT_ID and BENCH_PUBLIC_KEY needed');
  const provider = await startProvider({
    clients: [{ clientId, publicKeys: [createPublicKey(publicKeyPem)] }],
    profile: 'doku',
  });
  return provider.port;
}

process.on('SIGTERM', () => process.exit(0));
const port = process.argv[2] === 'bare' ? await startBare() : await startReference();
process.stdout.write(`listening ${port}\n`);
