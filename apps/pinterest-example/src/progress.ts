/** A small progress bar for the command line (a line per phase when stderr is not a terminal). */
export class ProgressBar {
  readonly #stream: NodeJS.WriteStream;
  readonly #tty: boolean;
  #phase = '';
  #total = 0;
  #last = -1;
  #lastDraw = 0;

  constructor(stream: NodeJS.WriteStream = process.stderr) {
    this.#stream = stream;
    this.#tty = Boolean(stream.isTTY);
  }

  update(phase: string, done: number, total: number): void {
    if (phase !== this.#phase) {
      if (this.#phase) this.#finish();
      this.#phase = phase;
      this.#last = -1;
    }
    this.#total = total;
    if (!this.#tty) {
      if (done >= total) this.#finish(done);
      return;
    }
    const now = Date.now();
    if (done === this.#last || (now - this.#lastDraw < 50 && done < total)) return;
    this.#last = done;
    this.#lastDraw = now;
    const width = 30;
    const ratio = total === 0 ? 1 : Math.min(1, done / total);
    const filled = Math.round(ratio * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    this.#stream.write(
      `\r  ${phase.padEnd(14)} ${bar} ${String(Math.round(ratio * 100)).padStart(3)}%  ${done}/${total}\x1b[K`,
    );
  }

  #finish(done = this.#total): void {
    if (this.#tty) this.#stream.write('\n');
    else if (this.#last !== -2)
      this.#stream.write(`  ${this.#phase.padEnd(14)} ${done}/${this.#total} done\n`);
    this.#last = -2;
  }

  done(): void {
    if (this.#phase && this.#last !== -2) this.#finish();
    this.#phase = '';
  }
}
