import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { renderBlocks } from '../adapters/transcript/render-blocks.js';
import type { Config } from '../config.js';
import { badInput } from '../errors.js';

// `bqcost slack "<text>"`: a signed /bqcost request to the local receiver (`npm start`), as
// Slack would send it, for trying the Slack app without a workspace. The answer is printed as
// text; a slow answer arrives through response_url, which the local stack shows in its
// transcript.

export interface SlackLocalOptions {
  text: string;
  url: string;
  user: string;
  channel: string;
  team: string;
}

export function localSecret(config: Config): string {
  if (config.SLACK_SIGNING_SECRET) return config.SLACK_SIGNING_SECRET;
  const file = join(dirname(config.BQCOST_DB), 'local-signing-secret');
  if (!existsSync(file)) {
    throw badInput(
      'slack.no_local_receiver',
      `no local signing secret at ${file}: start the local stack first (npm start)`,
    );
  }
  return readFileSync(file, 'utf8').trim();
}

export function signedCommand(
  secret: string,
  options: Omit<SlackLocalOptions, 'url'>,
  nowSeconds = Math.floor(Date.now() / 1000),
): { body: string; headers: Record<string, string> } {
  const body = new URLSearchParams({
    team_id: options.team,
    team_domain: 'local',
    channel_id: options.channel,
    channel_name: 'local',
    user_id: options.user,
    user_name: 'local',
    command: '/bqcost',
    text: options.text,
    api_app_id: 'A0LOCAL00',
    response_url: `https://hooks.slack.com/commands/${options.team}/local/${randomBytes(8).toString('hex')}`,
    trigger_id: `local.${randomBytes(6).toString('hex')}`,
  }).toString();
  const signature = createHmac('sha256', secret).update(`v0:${nowSeconds}:${body}`).digest('hex');
  return {
    body,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(nowSeconds),
      'x-slack-signature': `v0=${signature}`,
    },
  };
}

export async function sendLocalCommand(
  secret: string,
  options: SlackLocalOptions,
): Promise<{ status: number; text: string }> {
  const { body, headers } = signedCommand(secret, options);
  const { status, raw } = await new Promise<{ status: number; raw: string }>((resolve, reject) => {
    const req = request(
      options.url,
      { method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, raw: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', (error) =>
      reject(
        badInput(
          'slack.local_unreachable',
          `the local receiver at ${options.url} did not answer (${(error as Error).message}); is npm start running?`,
        ),
      ),
    );
    req.end(body);
  });
  if (status !== 200) return { status, text: `HTTP ${status}` };
  if (raw.trim() === '')
    return { status, text: '(acknowledged; the answer follows in the transcript)' };
  try {
    const json = JSON.parse(raw) as { text?: string; blocks?: Record<string, unknown>[] };
    return { status, text: renderBlocks(json.blocks, json.text ?? '') };
  } catch {
    return { status, text: raw };
  }
}
