/**
 * Progress for long work: a bar with rate and ETA on a TTY, plain lines otherwise (logs, CI).
 * Always on stderr, so stdout stays free for results and --json.
 */
export interface ProgressOptions {
  total: number;
  /** What is counted, e.g. 'img' or 'B'. */
  unit?: string;
  label?: string;
  /** Defaults to whether stderr is a terminal. */
  tty?: boolean;
  stream?: NodeJS.WriteStream;
  /** Plain mode: print at most this often (ms). */
  plainIntervalMs?: number;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function formatCount(n: number, unit: string): string {
  if (unit === 'B') {
    if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
    if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
    return `${n} B`;
  }
  return `${Math.round(n).toLocaleString('en-US')}${unit ? ' ' + unit : ''}`;
}

export class Progress {
  private done = 0;
  private readonly start = Date.now();
  private lastDraw = 0;
  private readonly tty: boolean;
  private readonly stream: NodeJS.WriteStream;
  private suffix = '';

  constructor(private readonly opts: ProgressOptions) {
    this.stream = opts.stream ?? process.stderr;
    this.tty = opts.tty ?? Boolean(this.stream.isTTY);
  }

  /** Advance by `n` and optionally replace the trailing text (e.g. running loss). */
  tick(n = 1, suffix?: string): void {
    this.done += n;
    if (suffix !== undefined) this.suffix = suffix;
    const now = Date.now();
    const interval = this.tty ? 100 : (this.opts.plainIntervalMs ?? 10_000);
    if (now - this.lastDraw >= interval || (this.tty && this.done >= this.opts.total)) {
      this.lastDraw = now;
      this.draw(false);
    }
  }

  /** Final line (always printed), with an optional summary. */
  finish(summary?: string): void {
    if (summary !== undefined) this.suffix = summary;
    this.draw(true);
  }

  line(): string {
    const { total, unit = '', label = '' } = this.opts;
    const elapsed = (Date.now() - this.start) / 1000;
    const rate = elapsed > 0 ? this.done / elapsed : 0;
    const eta = rate > 0 ? (total - this.done) / rate : Infinity;
    const frac = total > 0 ? Math.min(1, this.done / total) : 1;
    const pct = `${(frac * 100).toFixed(0).padStart(3)}%`;
    const rateText = `${formatCount(rate, unit)}/s`;
    const timeText = this.done >= total ? formatDuration(elapsed) : `ETA ${formatDuration(eta)}`;
    const bar = this.tty ? ' [' + '#'.repeat(Math.round(frac * 24)).padEnd(24, '.') + ']' : '';
    return `${label}${bar} ${pct} ${formatCount(this.done, unit)}/${formatCount(total, unit)} ${rateText} ${timeText}${this.suffix ? ' ' + this.suffix : ''}`.trim();
  }

  private draw(final: boolean): void {
    const text = this.line();
    if (this.tty) this.stream.write(`\r\x1b[2K${text}${final ? '\n' : ''}`);
    else this.stream.write(text + '\n');
  }
}
