/**
 * Child processes the benchmarks measure: started, waited for until they listen, read for
 * their peak RSS, and always stopped. Everything binds 127.0.0.1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';

export interface ServerProcess {
  name: string;
  port: number;
  child: ChildProcess;
}

/** Peak resident set size of a running process (Linux `VmHWM`), in MiB. */
export function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  return match ? Number(match[1]) / 1024 : NaN;
}

/** A port free right now on 127.0.0.1 (for servers that cannot pick their own). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts a child that prints `listening <port>` when ready; gives up after `limitMs`. */
export function startAnnounced(
  name: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  limitMs = 20_000,
): Promise<ServerProcess> {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: 'pipe' });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`${name} did not start in ${limitMs} ms`)),
      limitMs,
    );
    const fail = (error: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    let seen = '';
    child.stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      const match = /listening (\d+)/.exec(seen);
      if (!match) return;
      clearTimeout(timer);
      resolve({ name, port: Number(match[1]), child });
    });
    child.stderr.on('data', (chunk: Buffer) => (seen += chunk.toString('utf8')));
    child.on('exit', (code) =>
      fail(new Error(`${name} exited (${code}) before listening:\n${seen}`)),
    );
  });
}

/** Starts a child listening on a known port, polling it until it answers any HTTP request. */
export async function startPolled(
  name: string,
  command: string,
  args: string[],
  port: number,
  limitMs = 60_000,
): Promise<ServerProcess> {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}):\n${stderr}`);
    if (await answers(port)) return { name, port, child };
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  child.kill('SIGKILL');
  throw new Error(`${name} did not answer on port ${port} within ${limitMs} ms:\n${stderr}`);
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = request({ host: '127.0.0.1', port, path: '/', method: 'GET', timeout: 1000 });
    probe.on('response', (response) => {
      response.resume();
      resolve(true);
    });
    probe.on('timeout', () => probe.destroy());
    probe.on('error', () => resolve(false));
    probe.end();
  });
}

/** Stops a child and waits for it to go (SIGKILL after a second). */
export async function stop(server: ServerProcess): Promise<void> {
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 1000);
  await gone;
  clearTimeout(timer);
}
