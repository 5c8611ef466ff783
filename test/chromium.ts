/**
 * Headless Chromium for the HTML report test, driven over the DevTools protocol on a pipe (no
 * port, no WebSocket): open a page, record every network request it makes, read its text,
 * take a screenshot and print it to PDF. One browser serves a whole test file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

/** The flags this project runs Chromium with: offline, no sandbox, nothing phoning home. */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--remote-debugging-pipe',
];

/** The Chromium binary (SNAPCHECK_CHROMIUM, or on the PATH), or undefined when there is none. */
export function findChromium(): string | undefined {
  const given = process.env.SNAPCHECK_CHROMIUM;
  if (given) return existsSync(given) ? given : undefined;
  const folders = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const name of ['chromium', 'chromium-browser']) {
    const found = folders.map((folder) => join(folder, name)).find((path) => existsSync(path));
    if (found) return found;
  }
  return undefined;
}

interface Message {
  id?: number;
  method?: string;
  sessionId?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
}

export interface PageVisit {
  /** Every URL the page asked the network stack for, the page itself included. */
  requests: string[];
  evaluate<T>(expression: string): Promise<T>;
  /** A PNG of the page at this viewport size, from `top` down (`height` pixels of it). */
  screenshot(width: number, height: number, top?: number): Promise<Buffer>;
  pdf(): Promise<Buffer>;
}

export class Chromium {
  private nextId = 0;
  private readonly pending = new Map<number, (message: Message) => void>();
  private readonly listeners: ((message: Message) => void)[] = [];
  private buffer = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly profile: string,
  ) {
    // Writing after the browser quit must not crash the test run.
    (child.stdio[3] as Writable).on('error', () => undefined);
    const fromBrowser = child.stdio[4] as Readable;
    fromBrowser.setEncoding('utf8');
    fromBrowser.on('data', (chunk: string) => this.receive(chunk));
  }

  static launch(binary: string): Chromium {
    const profile = mkdtempSync(join(tmpdir(), 'snapcheck-chromium-'));
    const child = spawn(binary, [...FLAGS, `--user-data-dir=${profile}`, 'about:blank'], {
      stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'],
    });
    return new Chromium(child, profile);
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    let end = this.buffer.indexOf('\0');
    while (end >= 0) {
      const message = JSON.parse(this.buffer.slice(0, end)) as Message;
      this.buffer = this.buffer.slice(end + 1);
      if (message.id !== undefined) this.pending.get(message.id)?.(message);
      else for (const listener of this.listeners) listener(message);
      end = this.buffer.indexOf('\0');
    }
  }

  send(method: string, params: object = {}, sessionId?: string): Promise<Message['result']> {
    const id = ++this.nextId;
    const toBrowser = this.child.stdio[3] as Writable;
    return new Promise((resolve, reject) => {
      this.pending.set(id, (message) => {
        this.pending.delete(id);
        if (message.error) reject(new Error(`${method}: ${message.error.message}`));
        else resolve(message.result);
      });
      toBrowser.write(`${JSON.stringify({ id, method, params, sessionId })}\0`);
    });
  }

  private waitFor(method: string, sessionId: string, timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${method} in time`)), timeoutMs);
      this.listeners.push((message) => {
        if (message.method !== method || message.sessionId !== sessionId) return;
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Opens `url` in a fresh tab with network recording on, and waits for its load event. */
  async visit(url: string): Promise<PageVisit> {
    const created = await this.send('Target.createTarget', { url: 'about:blank' });
    const attached = await this.send('Target.attachToTarget', {
      targetId: created?.targetId,
      flatten: true,
    });
    const session = attached?.sessionId as string;
    const requests: string[] = [];
    this.listeners.push((message) => {
      if (message.sessionId === session && message.method === 'Network.requestWillBeSent') {
        requests.push(String((message.params?.request as { url: string }).url));
      }
    });
    await this.send('Network.enable', {}, session);
    await this.send('Page.enable', {}, session);
    const loaded = this.waitFor('Page.loadEventFired', session);
    await this.send('Page.navigate', { url }, session);
    await loaded;
    return this.pageVisit(session, requests);
  }

  private pageVisit(session: string, requests: string[]): PageVisit {
    return {
      requests,
      evaluate: async <T>(expression: string): Promise<T> => {
        const result = await this.send(
          'Runtime.evaluate',
          { expression, returnByValue: true },
          session,
        );
        return (result?.result as { value: T }).value;
      },
      screenshot: async (width, height, top = 0) => {
        await this.send(
          'Emulation.setDeviceMetricsOverride',
          { width, height, deviceScaleFactor: 1, mobile: false },
          session,
        );
        const clip = { x: 0, y: top, width, height, scale: 1 };
        const shot = await this.send(
          'Page.captureScreenshot',
          { format: 'png', clip, captureBeyondViewport: true },
          session,
        );
        return Buffer.from(String(shot?.data), 'base64');
      },
      pdf: async () => {
        const printed = await this.send('Page.printToPDF', { printBackground: true }, session);
        return Buffer.from(String(printed?.data), 'base64');
      },
    };
  }

  async close(): Promise<void> {
    const exited = new Promise<void>((resolve) => {
      if (this.child.exitCode !== null) resolve();
      else this.child.once('exit', () => resolve());
    });
    // The browser may exit before it answers: wait for the exit, not the answer.
    void this.send('Browser.close').catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
    rmSync(this.profile, { recursive: true, force: true });
  }
}
