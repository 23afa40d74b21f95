import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { analyzers } from '../analyzers/index.js';
import { createSlackApp, slackSecrets } from '../handlers/app.js';
import { DuckDbWarehouse } from './adapters/duckdb/duckdb-warehouse.js';
import { SlackWebChat } from './adapters/slack/web-chat.js';
import { GoogleSqlInspector } from './adapters/sql/googlesql-inspector.js';
import { answerQuery } from './app/answer-query.js';
import { loadPricing } from './cli/pricing.js';
import type { Config } from './config.js';

// Composition root for the Slack receiver, embedded default: DuckDB warehouse, Web API chat, one
// long-running HTTP server. (The Cloud Functions entry points come with the pipeline issue; they
// hand Bolt req.rawBody untouched, with the same createSlackApp.)

export interface SlackServer {
  url: string;
  close(): Promise<void>;
}

export async function startSlackServer(
  config: Config,
  onError: (error: unknown) => void = () => undefined,
): Promise<SlackServer> {
  // Before opening anything: a missing secret or token stops the start here, named.
  const { signingSecret, botToken } = slackSecrets(
    config.SLACK_SIGNING_SECRET,
    config.SLACK_BOT_TOKEN,
  );
  const pricing = loadPricing(config.BQCOST_REGION, config.BQCOST_PRICING_FILE);
  const warehouse = await DuckDbWarehouse.open(config.BQCOST_DB);
  const deps = { warehouse, pricing, inspector: await GoogleSqlInspector.create(), analyzers };
  const slack = createSlackApp({
    signingSecret,
    botToken,
    chat: new SlackWebChat(botToken),
    answer: (query) => answerQuery(deps, query),
    onError,
  });
  const server: Server = createServer(slack.requestListener);
  await new Promise<void>((resolve) => server.listen(config.BQCOST_SLACK_PORT, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}/slack/events`,
    close: async () => {
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
      await warehouse.close();
    },
  };
}
