// Writes the demo organisation as the export files `bqcost analyze --from <dir>` reads. The one
// I/O piece of the demo: rows go out in ~1 MiB chunks through stream pipelines, which apply
// backpressure, so a million jobs never sit in memory at once.
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  createDemoTally,
  demoTruth,
  generateJobsJsonl,
  generateReservationsTimeline,
  generateSchemataOptions,
  generateTableStorage,
  type DemoOptions,
} from './demo-org.js';

const chunkBytes = 1 << 20;

// Each row is encoded into the current Buffer right away: a batch kept as one growing string
// would keep every row's pieces alive until the flush, and garbage collection would dominate.
function* jsonLines(rows: Iterable<unknown>): Generator<Buffer> {
  let chunk = Buffer.allocUnsafe(chunkBytes);
  let used = 0;
  for (const row of rows) {
    const line = `${JSON.stringify(row)}\n`;
    if (used + Buffer.byteLength(line) > chunk.length) {
      if (used > 0) yield chunk.subarray(0, used);
      chunk = Buffer.allocUnsafe(Math.max(chunkBytes, Buffer.byteLength(line)));
      used = 0;
    }
    used += chunk.write(line, used);
  }
  if (used > 0) yield chunk.subarray(0, used);
}

async function writeChunks(file: string, chunks: Iterable<Uint8Array>): Promise<void> {
  // A deep write buffer lets generation run while earlier chunks are still being written.
  await pipeline(
    Readable.from(chunks),
    createWriteStream(file, { highWaterMark: 16 * chunkBytes }),
  );
}

export async function writeDemoExports(
  dir: string,
  opts: DemoOptions,
  onProgress?: (jobsWritten: number) => void,
): Promise<{ files: string[]; jobs: number }> {
  await mkdir(dir, { recursive: true });
  const files = {
    jobs: join(dir, 'jobs.jsonl'),
    tableStorage: join(dir, 'table_storage.jsonl'),
    schemataOptions: join(dir, 'schemata_options.jsonl'),
    reservationsTimeline: join(dir, 'reservations_timeline.jsonl'),
    truth: join(dir, 'demo-truth.json'),
  };
  // The tally collects counts and reservation usage during the jobs pass, so the timeline and
  // the truth do not generate the jobs a second time.
  const tally = createDemoTally();
  function* jobChunks(): Generator<Uint8Array> {
    for (const chunk of generateJobsJsonl(opts, tally, (bytes) => Buffer.allocUnsafe(bytes))) {
      yield chunk;
      onProgress?.(tally.jobs);
    }
  }
  await writeChunks(files.jobs, jobChunks());
  await writeChunks(
    files.reservationsTimeline,
    jsonLines(generateReservationsTimeline(opts, tally)),
  );
  await writeChunks(files.tableStorage, jsonLines(generateTableStorage(opts)));
  await writeChunks(files.schemataOptions, jsonLines(generateSchemataOptions(opts)));
  await writeFile(files.truth, `${JSON.stringify(demoTruth(opts, tally), null, 2)}\n`);
  return {
    files: [
      files.jobs,
      files.tableStorage,
      files.schemataOptions,
      files.reservationsTimeline,
      files.truth,
    ],
    jobs: tally.jobs,
  };
}
