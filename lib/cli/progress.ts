// Progress display for the command line: live bars on a TTY (cli-progress), plain lines
// otherwise (one line per upload at start, every 25%, and at the end).
import type { Progress } from '../validate';

export interface ProgressView {
  add(label: string, totalBytes: number): (p: Progress) => void;
  done(label: string, ok: boolean): void;
  stop(): void;
}

const MiB = 1024 * 1024;

export function createProgressView(stream: NodeJS.WriteStream, tty: boolean): ProgressView {
  if (tty) return barView(stream);
  return lineView(stream);
}

function barView(stream: NodeJS.WriteStream): ProgressView {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const cliProgress = require('cli-progress') as typeof import('cli-progress');
  const multi = new cliProgress.MultiBar(
    {
      stream,
      clearOnComplete: false,
      hideCursor: true,
      format: ' {label} |{bar}| {percentage}% {sentMiB}/{totalMiB} MiB {parts}',
      barsize: 30,
    },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, import('cli-progress').SingleBar>();
  return {
    add(label, totalBytes) {
      const bar = multi.create(Math.max(totalBytes, 1), 0, { label: label.padEnd(16), sentMiB: '0.0', totalMiB: (totalBytes / MiB).toFixed(1), parts: '' });
      bars.set(label, bar);
      return (p) => {
        bar.setTotal(Math.max(p.totalBytes, 1));
        bar.update(p.bytesSent, { sentMiB: (p.bytesSent / MiB).toFixed(1), totalMiB: (p.totalBytes / MiB).toFixed(1), parts: p.partsTotal > 1 ? `parts ${p.partsDone}/${p.partsTotal}` : '' });
      };
    },
    done(label, ok) {
      const bar = bars.get(label);
      if (bar && ok) bar.update(bar.getTotal());
    },
    stop() {
      multi.stop();
    },
  };
}

function lineView(stream: NodeJS.WriteStream): ProgressView {
  return {
    add(label, totalBytes) {
      stream.write(`${label}: started, ${(totalBytes / MiB).toFixed(1)} MiB\n`);
      // a line at 25, 50 and 75 %, and one at 100 % once every part is stored (the
      // engine's final report), however late the first report comes
      let nextQuarter = 1;
      return (p) => {
        const total = Math.max(p.totalBytes, 1);
        const final = p.bytesSent >= p.totalBytes && p.partsDone >= p.partsTotal;
        if (final) {
          if (nextQuarter > 4) return;
          nextQuarter = 5;
        } else {
          if (nextQuarter >= 4 || p.bytesSent >= p.totalBytes || p.bytesSent < (total * nextQuarter) / 4) return;
          while (nextQuarter < 4 && p.bytesSent >= (total * nextQuarter) / 4) nextQuarter++;
        }
        const pct = final ? 100 : Math.floor((p.bytesSent / total) * 100);
        stream.write(`${label}: ${pct}% (${(p.bytesSent / MiB).toFixed(1)} MiB${p.partsTotal > 1 ? `, parts ${p.partsDone}/${p.partsTotal}` : ''})\n`);
      };
    },
    done(label, ok) {
      stream.write(`${label}: ${ok ? 'done' : 'failed'}\n`);
    },
    stop() {
      /* nothing to tear down */
    },
  };
}
