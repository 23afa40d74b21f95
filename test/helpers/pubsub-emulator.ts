// The Pub/Sub emulator from the Google Cloud CLI, for the tests that need real Pub/Sub
// semantics (nock cannot see gRPC). When PUBSUB_EMULATOR_HOST is set (CI: .ci/run starts one)
// the tests use it; otherwise each test file starts its own on a free loopback port and stops it
// afterwards. Each file also uses its own project id, so files running in parallel against one
// emulator do not see each other's topics.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import nock from 'nock';
import { afterAll, afterEach, beforeAll } from 'vitest';

const externalHost = process.env.PUBSUB_EMULATOR_HOST;

function onPath(command: string): boolean {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .some((dir) => dir !== '' && existsSync(join(dir, command)));
}

/** Whether these tests can run here: an emulator is given, or gcloud can start one. */
export const emulatorAvailable = Boolean(externalHost) || onPath('gcloud');

export const emulatorMissing =
  'SKIPPED: the Pub/Sub emulator tests need the Google Cloud CLI — install it ' +
  '(https://cloud.google.com/sdk/docs/install) with `gcloud components install beta ' +
  'pubsub-emulator` (or apt-get install google-cloud-cli google-cloud-cli-pubsub-emulator), ' +
  'or set PUBSUB_EMULATOR_HOST to a running emulator';

if (!emulatorAvailable) console.warn(emulatorMissing);

export interface PubSubEmulator {
  /** `127.0.0.1:port` */
  host: string;
  /** A fresh project id for this test file. */
  projectId: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function answers(host: string): Promise<boolean> {
  try {
    const response = await fetch(`http://${host}/`, { signal: AbortSignal.timeout(1000) });
    return response.ok;
  } catch {
    return false;
  }
}

async function waitUntilAnswering(host: string, child: ChildProcess | null, output: () => string) {
  const deadline = Date.now() + 45_000;
  while (Date.now() < deadline) {
    if (await answers(host)) return;
    if (child && child.exitCode !== null) {
      throw new Error(`the Pub/Sub emulator exited (${child.exitCode}):\n${output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the Pub/Sub emulator at ${host} did not answer within 45 s:\n${output()}`);
}

export async function startPubSubEmulator(): Promise<PubSubEmulator> {
  // No GCE metadata server here: stop google-auth-library probing for one (and warning).
  process.env.METADATA_SERVER_DETECTION = 'none';
  const projectId = `bqcost-test-${randomUUID().slice(0, 8)}`;
  if (externalHost) {
    await waitUntilAnswering(externalHost, null, () => '');
    return { host: externalHost, projectId, stop: () => Promise.resolve() };
  }
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'bqcost-pubsub-'));
  // Its own process group: gcloud starts the emulator's JVM as a child, and stopping gcloud
  // alone would leave the JVM running.
  const child = spawn(
    'gcloud',
    [
      'beta',
      'emulators',
      'pubsub',
      'start',
      `--host-port=${host}`,
      `--data-dir=${dataDir}`,
      '--quiet',
    ],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }, 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitUntilAnswering(host, child, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { host, projectId, stop };
}

/** Polls until `check` holds (deliveries from the emulator arrive asynchronously). */
export async function waitFor(
  check: () => boolean,
  timeoutMs = 15_000,
  intervalMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * The suite's emulator: started before its tests, stopped after. Call inside a describe; the
 * returned getter answers once `beforeAll` has run.
 */
export function useEmulator(): () => PubSubEmulator {
  let emulator: PubSubEmulator | undefined;
  beforeAll(async () => {
    emulator = await startPubSubEmulator();
  }, 60_000);
  afterAll(async () => {
    await emulator?.stop();
  });
  return () => {
    if (!emulator) throw new Error('the emulator is not started yet (use it inside a test)');
    return emulator;
  };
}

/**
 * nock for a test that talks to the emulator: only loopback passes, every other request must be
 * intercepted; the paths of unmatched ones are collected (expect them to stay empty). Undone
 * after each test of the suite.
 */
export function loopbackOnlyNock(): string[] {
  const unmatched: string[] = [];
  nock.disableNetConnect();
  nock.enableNetConnect(/^127\.0\.0\.1/);
  nock.emitter.on('no match', (req: unknown) =>
    unmatched.push(String((req as { path?: string }).path)),
  );
  return unmatched;
}

export function resetNockAfterEach(): void {
  afterEach(() => {
    nock.cleanAll();
    nock.emitter.removeAllListeners('no match');
    nock.enableNetConnect();
  });
}
