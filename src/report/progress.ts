/**
 * Progress while a run is going. Every case's lines are printed as the case completes, in
 * every environment. On an interactive terminal, once a run has taken more than a second, a
 * status line below them says how far it got and for how long, so a case waiting out a
 * timeout does not look like a hang; it is redrawn in place and erased before anything else
 * is printed. Without a terminal, or under CI, there is no status line and no control
 * character: the output stays quiet and line-oriented, fit for a log.
 */

/** Where the status line goes (stderr): only whether it is a terminal and how to write. */
export interface StatusTerminal {
  isTTY?: boolean;
  write(text: string): void;
}

export interface ProgressOptions {
  terminal: StatusTerminal;
  env?: NodeJS.ProcessEnv;
  /** Cases the run will have, when known (the battery); the judge does not know. */
  total?: number;
  /** What a case is called in the status line: `cases`, `requests judged`, ... */
  noun?: string;
  now?: () => number;
  /** The status line appears once the run is older than this (ms). */
  after?: number;
  /** Redraw interval of the status line (ms); 0 draws only when a case completes. */
  interval?: number;
}

/** `CI=true` (set by GitHub Actions, GitLab CI and most others) means: no live output. */
export function underCi(env: NodeJS.ProcessEnv): boolean {
  const value = env.CI?.trim().toLowerCase();
  return value !== undefined && value !== '' && value !== '0' && value !== 'false';
}

const CLEAR_LINE = '\r\x1b[2K';

export class Progress {
  readonly live: boolean;
  private readonly started: number;
  private readonly now: () => number;
  private readonly after: number;
  private done = 0;
  private shown = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly print: (lines: string) => void,
    private readonly options: ProgressOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.started = this.now();
    this.after = options.after ?? 1000;
    this.live = options.terminal.isTTY === true && !underCi(options.env ?? process.env);
    const interval = options.interval ?? 250;
    if (this.live && interval > 0) {
      this.timer = setInterval(() => this.draw(), interval);
      this.timer.unref();
    }
  }

  /** A case completed: its lines now, and the status line below them again. */
  caseDone(lines: string): void {
    this.done += 1;
    this.erase();
    this.print(lines);
    this.draw();
  }

  /** Prints other lines (a note, the footer) without the status line in the way. */
  line(lines: string): void {
    this.erase();
    this.print(lines);
  }

  /** Redraws the status line if the run is old enough for one. */
  draw(): void {
    if (!this.live) return;
    const elapsed = this.now() - this.started;
    if (elapsed < this.after) return;
    const count = this.options.total ? `${this.done}/${this.options.total}` : `${this.done}`;
    const noun = this.options.noun ?? 'cases';
    this.options.terminal.write(
      `${CLEAR_LINE}  … ${count} ${noun} · ${(elapsed / 1000).toFixed(1)} s`,
    );
    this.shown = true;
  }

  /** Stops redrawing and erases the status line. */
  finish(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.erase();
  }

  private erase(): void {
    if (!this.shown) return;
    this.options.terminal.write(CLEAR_LINE);
    this.shown = false;
  }
}
