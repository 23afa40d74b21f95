// Progress on stderr, only when it is a terminal: pipes and CI logs stay clean.

export interface Progress {
  update(done: number, total?: number): void;
  done(message: string): void;
}

const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function progress(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
  quiet = false,
): Progress {
  const tty = Boolean(stream.isTTY) && !quiet;
  const started = Date.now();
  let last = { done: 0, total: undefined as number | undefined };
  let frame = 0;
  const draw = () => {
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    let bar = '';
    if (last.total) {
      const ratio = Math.min(1, last.done / last.total);
      const width = 24;
      const filled = Math.round(ratio * width);
      bar = ` [${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${Math.round(ratio * 100)}%`;
    } else if (last.done > 0) {
      bar = ` ${last.done.toLocaleString('en-US')}`;
    }
    stream.write(`\r\x1b[2K${frames[frame++ % frames.length]} ${label}${bar} ${seconds}s`);
  };
  const timer = tty ? setInterval(draw, 120) : null;
  timer?.unref();
  return {
    update(done, total) {
      last = { done, total };
    },
    done(message) {
      if (timer) clearInterval(timer);
      if (tty)
        stream.write(`\r\x1b[2K✔ ${message} (${((Date.now() - started) / 1000).toFixed(1)}s)\n`);
      else if (!quiet)
        stream.write(`${message} (${((Date.now() - started) / 1000).toFixed(1)}s)\n`);
    },
  };
}
